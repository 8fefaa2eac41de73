"""lossbook: the loss functions of the book, stable, tested and derived.

Every loss is a plain function ``f(y_true, y_pred, *, <params>, reduction="mean")``
with ``f.grad`` (gradient of the sum-reduced loss with respect to ``y_pred``),
``f.symbolic()`` (its sympy definition) and ``f.info`` (catalog metadata).
``LOSSES`` maps every loss name to its function. One module per family:
:mod:`lossbook.regression`, :mod:`lossbook.classification`,
:mod:`lossbook.information`, :mod:`lossbook.boxes`, :mod:`lossbook.regularisation`,
:mod:`lossbook.gfl` (distribution and varifocal losses), :mod:`lossbook.robust`,
:mod:`lossbook.sequences` (CTC);
sympy likelihoods in :mod:`lossbook.likelihood`; checks and solvers in
:mod:`lossbook.checks`.
"""

from . import (
    boxes,
    checks,
    classification,
    gfl,
    information,
    likelihood,
    regression,
    regularisation,
    robust,
    sequences,
    symbols,
)
from ._registry import LOSSES, LossInfo
from .boxes import *  # noqa: F403
from .classification import *  # noqa: F403
from .gfl import *  # noqa: F403
from .information import *  # noqa: F403
from .regression import *  # noqa: F403
from .regularisation import *  # noqa: F403
from .robust import *  # noqa: F403
from .sequences import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "LOSSES",
    "LossInfo",
    "checks",
    "likelihood",
    "symbols",
    *regression.__all__,
    *classification.__all__,
    *information.__all__,
    *boxes.__all__,
    *regularisation.__all__,
    *gfl.__all__,
    *robust.__all__,
    *sequences.__all__,
]
