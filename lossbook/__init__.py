"""lossbook: the loss functions of the book, stable, tested and derived.

Every loss is a plain function of one or more arrays and keyword parameters,
``f(<arrays>, *, <params>, reduction="mean")``, with

* ``f.grad(<arrays>, *, <params>, reduction="sum")``: the gradient of the
  summed (or, with ``reduction="mean"``, the averaged) loss with respect to
  each differentiable array, an array, or a tuple of arrays in argument order
  when there are several;
* ``f.symbolic()``: the sympy definition of one element's loss;
* ``f.info``: a :class:`~lossbook.LossInfo` with the family, the chapter, the arguments
  (names, sympy symbols, which are differentiated), the parameters, the
  element shape and the LaTeX of the formula and gradients.

The arguments keep names that say what they hold: ``(y_true, y_pred)`` for
the regression losses, ``(y_true, p)`` for :func:`~lossbook.classification.binary_cross_entropy`,
``(y_true, logits)`` for the losses on logits, ``(y_true, scores)`` for the
margin losses, ``(p, q)`` for :func:`~lossbook.information.kl_divergence`,
``(boxes_true, boxes_pred)`` for the box losses, ``(y_true, y_pred, var)`` for
:func:`~lossbook.noise_models.gaussian_nll_loss`, ``(y_true, y_pred, sigma)`` for
:func:`~lossbook.scoring.crps_gaussian`, ``(y_true, logits)`` with one
label sequence per sample for :func:`~lossbook.sequences.ctc_loss`, ``(y_true, y_pred)``
masks for the overlap losses, ``(y_true, x1, x2)``, ``(anchor, positive, negative)``,
``(queries, keys)`` and ``(y_true, distances)`` for the similarity losses,
``(y_true, scores)`` for :func:`~lossbook.ranking.multi_margin_loss`,
``(teacher_logits, student_logits)``, ``(mu, logvar)``, ``(real_logits, fake_logits)``
and ``(fake_logits)`` for the losses of :mod:`lossbook.generative`, and ``(w)``
for the penalties;
``loss.info.argument_names`` lists them for every loss. ``LOSSES`` maps every
loss name to its function (penalties included, family "penalty", summed by
default).

One module per part of the book: :mod:`lossbook.regression`,
:mod:`lossbook.classification`, :mod:`lossbook.information`,
:mod:`lossbook.detection` (the focal family, with the distribution and
varifocal losses) and :mod:`lossbook.boxes` (the detection part),
:mod:`lossbook.generative` (distillation, the VAE's KL, GAN objectives),
:mod:`lossbook.regularisation`, :mod:`lossbook.noise_models` (counts,
positive targets, learned variances), :mod:`lossbook.scoring` (expectiles
and the CRPS),
:mod:`lossbook.robust` (robust losses and noisy labels),
:mod:`lossbook.sequences` (CTC), :mod:`lossbook.overlap` (Dice, Tversky),
:mod:`lossbook.similarity` (metric learning), :mod:`lossbook.infonce` and
:mod:`lossbook.ranking` (multiclass margins); the stable sigmoid and softmax in
:mod:`lossbook.logits`; sympy likelihoods in :mod:`lossbook.likelihood`;
checks and solvers in :mod:`lossbook.checks`; shared sympy symbols in
:mod:`lossbook.symbols`.
"""

from . import (
    boxes,
    checks,
    classification,
    detection,
    generative,
    infonce,
    information,
    likelihood,
    logits,
    noise_models,
    overlap,
    ranking,
    regression,
    regularisation,
    robust,
    scoring,
    sequences,
    similarity,
    symbols,
)
from ._registry import FAMILIES, LOSSES, Argument, LossInfo, Parameter
from .boxes import *  # noqa: F403
from .classification import *  # noqa: F403
from .detection import *  # noqa: F403
from .generative import *  # noqa: F403
from .infonce import *  # noqa: F403
from .information import *  # noqa: F403
from .logits import *  # noqa: F403
from .noise_models import *  # noqa: F403
from .overlap import *  # noqa: F403
from .ranking import *  # noqa: F403
from .regression import *  # noqa: F403
from .regularisation import *  # noqa: F403
from .robust import *  # noqa: F403
from .scoring import *  # noqa: F403
from .sequences import *  # noqa: F403
from .similarity import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "LOSSES",
    "Argument",
    "LossInfo",
    "Parameter",
    "checks",
    "likelihood",
    "symbols",
    *regression.__all__,
    *classification.__all__,
    *logits.__all__,
    *detection.__all__,
    *information.__all__,
    *generative.__all__,
    *boxes.__all__,
    *regularisation.__all__,
    *robust.__all__,
    *sequences.__all__,
    *noise_models.__all__,
    *scoring.__all__,
    *overlap.__all__,
    *similarity.__all__,
    *infonce.__all__,
    *ranking.__all__,
]
