r"""Multiclass margins (issue 15): the Weston–Watkins multiclass hinge.

The ranking chapter shows that the pairwise and listwise ranking losses
(RankNet, PyTorch's ``MarginRankingLoss``, ListNet) are the classification
losses of :mod:`lossbook.classification` applied to score differences and
lists; the one new function it needs is :func:`multi_margin_loss`, PyTorch's
multiclass hinge, which compares the true class's score with every other.
``multi_margin_symbols(k)`` gives the per-class score symbols of
``multi_margin_loss.symbolic(k=k)``.
"""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._validation import as_float_array, check_has_axis, check_scalar, plain_class_indices

__all__ = ["multi_margin_loss"]


def multi_margin_symbols(k):
    r"""Real symbols :math:`s_0, \dots, s_{k-1}`: the class scores of one sample.

    Examples
    --------
    >>> from lossbook.ranking import multi_margin_symbols
    >>> multi_margin_symbols(3)
    (s_0, s_1, s_2)
    """
    return sp.symbols(f"s_0:{k}", real=True)


def _multi_margin_inputs(y_true, scores, p, margin):
    """Validated scores, the flat (C-order) index of each row's true class, the hinge
    terms ``max(0, m - s_y + s_j)`` (0 at the true class) and ``p``."""
    score = check_has_axis(as_float_array(scores, "scores"), "scores", "classes")
    k = score.shape[-1]
    index = plain_class_indices(y_true, k)  # the common case, with fewer calls
    if index is None or index.shape != score.shape[:-1]:
        y = as_float_array(y_true, "y_true")
        if y.shape != score.shape[:-1]:
            raise ValueError(
                f"y_true must hold one class index per row of scores: shape "
                f"{score.shape[:-1]}, got {y.shape} (scores has shape {score.shape}, classes "
                f"on the last axis)")
        if np.any(y != np.floor(y)) or np.any((y < 0) | (y >= k)):
            raise ValueError(f"y_true must hold integer class indices in [0, {k})")
        index = y.astype(np.intp)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (as in PyTorch), got {p!r}")
    margin = check_scalar(margin, "margin", low=0.0)
    true_index = np.arange(0, score.size, k) + index.reshape(-1)
    true_score = score.reshape(-1)[true_index].reshape(score.shape[:-1] + (1,))
    # margin - s_y + s_j with one rounding of the exact s_j - s_y (TwoSum keeps its error),
    # in place on the fresh temporaries: (head + margin) + tail, where
    # tail = (score - (head - back)) + (-s_y - back) and back = head - score; the second
    # term is -(s_y + back), the same rounding with one negation less.
    head = score - true_score
    back = head - score
    tail = np.subtract(score, head - back)
    tail -= np.add(true_score, back, out=back)
    hinge = np.add(np.add(head, margin, out=head), tail, out=head)
    # max(gap, 0) + 0 is where(gap > 0, gap, 0.0) to the bit (the + 0 turns -0 into +0)
    np.add(np.maximum(hinge, 0.0, out=hinge), 0.0, out=hinge)
    hinge.put(true_index, 0.0)  # the true class has no margin (put: C-order flat indices)
    return hinge, true_index, int(p)


def _multi_margin_grad(y_true, scores, *, p=1, margin=1.0):
    r"""Subgradient of the summed loss: :math:`p\,h_j^{p-1}/k` for each class
    :math:`j \ne y` with :math:`h_j = m - s_y + s_j > 0`, minus their sum at the
    true class (0 at a kink)."""
    gap, true_index, p = _multi_margin_inputs(y_true, scores, p, margin)
    k = gap.shape[-1]
    grad = ((gap > 0).astype(np.float64) if p == 1 else 2.0 * gap) / k
    true_grad = -np.add.reduce(grad, axis=-1)
    grad.put(true_index, true_grad)
    return grad


def _multi_margin_symbolic(k=3, p=1):
    """One sample with ``k`` classes: a Piecewise over the true class y = 0, ..., k - 1."""
    score = multi_margin_symbols(k)
    pieces = []
    for c in range(k):
        hinge = sum(sp.Max(0, s.margin - score[c] + score[j]) ** p for j in range(k) if j != c)
        pieces.append((hinge / k, sp.Eq(s.y, c)))
    pieces[-1] = (pieces[-1][0], True)
    return sp.Piecewise(*pieces)


@register_loss(
    family="classification",
    chapter="overlap-similarity/ranking-and-multiclass-margins",
    estimates=("class scores, not probabilities; the Weston-Watkins hinge is not "
               "classification-calibrated (Tewari & Bartlett, 2007)"),
    bounded_gradient=True,
    arguments=(
        Argument("y_true", s.y, domain="class indices in [0, k), shape scores.shape[:-1]"),
        Argument("scores", sp.Symbol("s"), differentiable=True,
                 components=multi_margin_symbols,
                 domain="real class scores, shape (..., k), classes on the last axis"),
    ),
    parameters={"p": None, "margin": s.margin},
    element="class axis",
    formula=r"\frac1k \sum_{j \ne y} \max(0,\ m - s_y + s_j)^p, \quad p \in \{1, 2\}",
    gradients=(r"\frac{\partial \ell}{\partial s_j} = \frac{p}{k}\,h_j^{p-1}\,"
               r"\mathbb 1[h_j > 0]\ (j \ne y),\quad \frac{\partial \ell}{\partial s_y} = "
               r"-\sum_{j \ne y} \frac{\partial \ell}{\partial s_j},\quad h_j = m - s_y + s_j",),
    grad=_multi_margin_grad,
    symbolic=_multi_margin_symbolic,
)
def multi_margin_loss(y_true, scores, *, p=1, margin=1.0):
    r"""Multiclass hinge loss, PyTorch's ``multi_margin_loss`` without weights.

    .. math:: \ell(y, s) = \frac1k \sum_{j \ne y} \max(0,\ m - s_y + s_j)^p,
        \qquad p \in \{1, 2\}

    The Weston–Watkins form: every wrong class :math:`j` whose score comes
    within :math:`m` of the true class's score adds to the loss (Crammer and
    Singer's form would keep only the largest of these terms). As in PyTorch,
    the sum is divided by the number of classes :math:`k`.

    Parameters
    ----------
    y_true : array_like, shape (...)
        Class indices (integers, or floats with integral values) in ``[0, k)``.
    scores : array_like, shape (..., k)
        Class scores, classes on the last axis.
    p : {1, 2}, default 1
        Power of each hinge term.
    margin : float, default 1.0
        Margin :math:`m \ge 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per sample, shape ``scores.shape[:-1]``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    ``.grad`` returns the subgradient that is 0 at each kink
    :math:`m - s_y + s_j = 0`; it is bounded for ``p=1`` (the default) and grows
    linearly with the hinge for ``p=2``. Each term :math:`m - s_y + s_j` is evaluated
    with a single rounding.

    Examples
    --------
    >>> from lossbook import multi_margin_loss
    >>> float(multi_margin_loss([0], [[2.0, 1.5, -1.0]]))  # (0.5 + 0) / 3
    0.16666666666666666
    >>> multi_margin_loss.grad([0], [[2.0, 1.5, -1.0]], p=2)  # 2 * 0.5 / 3
    array([[-0.33333333,  0.33333333,  0.        ]])
    """
    gap, _, p = _multi_margin_inputs(y_true, scores, p, margin)
    return np.add.reduce(gap if p == 1 else gap * gap, axis=-1) / gap.shape[-1]
