r"""Overlap losses for segmentation: Dice and Tversky (issue 15).

Each sample (first axis) is a mask: ``y_true`` holds the target foreground
(0/1 or soft, in [0, 1]) and ``y_pred`` the predicted foreground
probabilities, both of shape ``(n, ...)``. One loss value per sample, summed
over every axis after the first. With

.. math:: \mathrm{TP} = \sum_j y_j p_j, \quad \mathrm{FP} = \sum_j (1 - y_j) p_j,
    \quad \mathrm{FN} = \sum_j y_j (1 - p_j),

both losses are one minus a ratio; they are evaluated as
``(denominator - numerator) / denominator`` written as a sum of non-negative
terms (:math:`\alpha\,\mathrm{FP} + \beta\,\mathrm{FN}`), so a near-perfect
prediction gets a loss as small as it truly is, not a rounded ``1 - 1``.
``overlap_symbols(k)`` gives the per-pixel symbols of ``symbolic(k=k)``.
"""

import numpy as np
import sympy as sp

from ._registry import Argument, register_loss
from ._validation import check_pair, check_probabilities, check_scalar, is_plain_pair

__all__ = ["dice_loss", "tversky_loss"]

#: smoothing constant :math:`s` added to the numerator and denominator (``smooth``)
smooth_symbol = sp.Symbol("s", nonnegative=True)
#: Tversky weight :math:`\alpha` of the false positives
tversky_alpha = sp.Symbol("alpha", nonnegative=True)
#: Tversky weight :math:`\beta` of the false negatives
tversky_beta = sp.Symbol("beta", nonnegative=True)
#: a whole mask (one sample) of targets
mask_y = sp.Symbol("y", nonnegative=True)
#: a whole mask (one sample) of predicted probabilities
mask_p = sp.Symbol("p", nonnegative=True)


def overlap_symbols(k):
    r"""Symbols of one sample of ``k`` pixels: targets :math:`y_0, \dots, y_{k-1}` and
    predicted probabilities :math:`p_0, \dots, p_{k-1}`, as two tuples.

    Examples
    --------
    >>> from lossbook.overlap import overlap_symbols
    >>> overlap_symbols(2)
    ((y_0, y_1), (p_0, p_1))
    """
    return (sp.symbols(f"y_0:{k}", nonnegative=True), sp.symbols(f"p_0:{k}", nonnegative=True))


_ARGUMENTS = (
    Argument("y_true", mask_y, components=lambda k: overlap_symbols(k)[0],
             domain="target masks in [0, 1] (0/1 or soft), shape (n, ...): one sample per row"),
    Argument("y_pred", mask_p, differentiable=True, components=lambda k: overlap_symbols(k)[1],
             domain="predicted foreground probabilities in [0, 1], same shape"),
)


_ONE = np.array(1.0)  # a 0-d array: numpy's path for a Python-float operand is slower


def _overlap_inputs(y_true, y_pred):
    """y and TP, FP, FN per sample."""
    if (is_plain_pair(y_true, y_pred) and y_true.ndim >= 2 and y_true.flags.c_contiguous
            and y_pred.flags.c_contiguous):
        # [y, p, 1 - y, 1 - p] in one array, so that one reduction checks that y and p lie
        # in [0, 1] (1 - x >= 0 exactly when x <= 1; NaN fails), which certifies them finite
        parts = _overlap_parts(y_true, y_pred)
        if np.minimum.reduce(parts, axis=None) >= 0.0:
            return (y_true, *_overlap_sums(parts))
    y, p = check_pair(y_true, y_pred)
    if y.ndim < 2:
        raise ValueError(
            f"y_true and y_pred must have shape (n, ...) with at least one axis after the "
            f"sample axis, got {y.shape}")
    check_probabilities(y, "y_true")
    check_probabilities(p, "y_pred")
    if y.flags.c_contiguous and p.flags.c_contiguous:
        return (y, *_overlap_sums(_overlap_parts(y, p)))
    # Another layout: the products in numpy's layout for it, and so the sums in its order.
    axes = tuple(range(1, y.ndim))
    tp = np.add.reduce(y * p, axis=axes)
    fp = np.add.reduce((_ONE - y) * p, axis=axes)
    return y, tp, fp, np.add.reduce(y * (_ONE - p), axis=axes)


def _overlap_parts(y, p):
    """[y, p, 1 - y, 1 - p] stacked on a new first axis."""
    parts = np.empty((4,) + y.shape)
    parts[0], parts[1] = y, p
    np.subtract(_ONE, parts[:2], out=parts[2:])
    return parts


def _overlap_sums(parts):
    """TP, FP, FN from :func:`_overlap_parts`, whose rows are overwritten with the products
    y p, (1 - y) p, (1 - p) y: one reduction over the sample axes then gives the three
    sums, each over the same contiguous run of entries as a separate reduction would."""
    np.multiply(parts[2:], parts[1::-1], out=parts[2:])  # (1 - y) p and (1 - p) y
    np.multiply(parts[1], parts[0], out=parts[1])
    return np.add.reduce(parts[1:], axis=tuple(range(2, parts.ndim)))


def _tversky_parts(y_true, y_pred, alpha, beta, smooth):
    """Per sample: A = TP + s, N = alpha FP + beta FN (both >= 0) and D = A + N > 0; also
    y and the validated alpha and beta."""
    alpha = check_scalar(alpha, "alpha", low=0.0)
    beta = check_scalar(beta, "beta", low=0.0)
    smooth = check_scalar(smooth, "smooth", low=0.0)
    y, tp, fp, fn = _overlap_inputs(y_true, y_pred)
    # the parameters as 0-d arrays: numpy's path for a Python-float operand is slower
    numerator = np.array(alpha) * fp + np.array(beta) * fn
    agreement = tp + np.array(smooth)
    denominator = agreement + numerator
    # non-negative terms added to smooth > 0 cannot give 0: only smooth = 0 needs the check
    if smooth == 0.0 and np.count_nonzero(denominator) != denominator.size:
        bad = int(np.argmax(denominator == 0.0))
        raise ValueError(
            f"smooth = 0 leaves the loss of sample {bad} undefined (0/0): its denominator "
            "TP + alpha FP + beta FN + smooth is 0; use smooth > 0")
    return y, agreement, numerator, denominator, alpha, beta


def _tversky_values(y_true, y_pred, alpha, beta, smooth):
    parts = _tversky_parts(y_true, y_pred, alpha, beta, smooth)
    return parts[2] / parts[3]  # N / D


def _tversky_gradient(y_true, y_pred, alpha, beta, smooth):
    r"""d/dp_j of 1 - A/D: (alpha (1 - y_j) A - y_j (N + beta A)) / D^2, written with the
    ratios A/D and N/D in [0, 1] so that nothing overflows; each term is >= 0."""
    y, agreement, numerator, denominator, alpha, beta = _tversky_parts(y_true, y_pred, alpha,
                                                                       beta, smooth)
    shape = (-1,) + (1,) * (y.ndim - 1)
    a = (agreement / denominator).reshape(shape)
    r = (numerator / denominator).reshape(shape)
    # 1 - y anew rather than kept from the sums: one full-size array fewer alive at a time
    return (alpha * (1.0 - y) * a - y * (r + beta * a)) / denominator.reshape(shape)


# --------------------------------------------------------------------------
# Dice
# --------------------------------------------------------------------------


def _dice_smoothing(smooth):
    # Dice with smoothing s is Tversky with alpha = beta = 1/2 and smoothing s/2:
    # numerator and denominator are exactly halved, the ratio is the same bits.
    return check_scalar(smooth, "smooth", low=0.0) * 0.5


def _dice_grad(y_true, y_pred, *, smooth=1.0):
    """Gradient of the summed Dice loss with respect to y_pred."""
    return _tversky_gradient(y_true, y_pred, 0.5, 0.5, _dice_smoothing(smooth))


def _dice_symbolic(k=3):
    r"""One sample of ``k`` pixels: :math:`1 - (2\sum y_j p_j + s)/(\sum y_j + \sum p_j + s)`."""
    y, p = overlap_symbols(k)
    overlap = sum(yj * pj for yj, pj in zip(y, p, strict=True))
    return 1 - (2 * overlap + smooth_symbol) / (sum(y) + sum(p) + smooth_symbol)


@register_loss(
    family="overlap",
    chapter="overlap-similarity/dice-tversky",
    estimates=("a per-sample overlap (1 - soft F1), not per-pixel probabilities: not a "
               "proper scoring rule (one pixel, s = 0: the expected loss is least at p = 1 "
               "whenever P(y = 1) > 0)"),
    bounded_gradient=False,
    arguments=_ARGUMENTS,
    parameters={"smooth": smooth_symbol},
    element="sample",
    formula=(r"1 - \frac{2\sum_j y_j p_j + s}{\sum_j y_j + \sum_j p_j + s} = "
             r"\frac{\mathrm{FP} + \mathrm{FN}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN} + s}"),
    gradients=(r"\frac{\partial \ell}{\partial p_j} = \frac{(1 - y_j)\,A - y_j\,(A + 2N)}{D^2},"
               r"\quad A = 2\,\mathrm{TP} + s,\ N = \mathrm{FP} + \mathrm{FN},\ D = A + N",),
    grad=_dice_grad,
    symbolic=_dice_symbolic,
)
def dice_loss(y_true, y_pred, *, smooth=1.0):
    r"""Soft Dice loss, one value per sample (Milletari et al., 2016).

    .. math:: \ell(y, p) = 1 - \frac{2\sum_j y_j p_j + s}{\sum_j y_j + \sum_j p_j + s}
        = \frac{\mathrm{FP} + \mathrm{FN}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN} + s}

    summed over every axis of a sample (all axes after the first), with
    :math:`\mathrm{TP} = \sum_j y_j p_j`, :math:`\mathrm{FP} = \sum_j (1-y_j) p_j`,
    :math:`\mathrm{FN} = \sum_j y_j (1-p_j)`. The right-hand form, a sum of
    non-negative terms over a positive denominator, is what is evaluated.

    Parameters
    ----------
    y_true : array_like, shape (n, ...)
        Target masks in [0, 1] (hard 0/1 or soft); at least two axes.
    y_pred : array_like, shape (n, ...)
        Predicted foreground probabilities in [0, 1], same shape (never broadcast).
    smooth : float, default 1.0
        Smoothing :math:`s \ge 0` added to numerator and denominator. With
        ``smooth=0`` a sample whose target and prediction are both all zero has
        no defined loss (0/0) and raises ``ValueError``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per sample, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    ``dice_loss(y, p, smooth=s)`` is ``tversky_loss(y, p, alpha=0.5, beta=0.5,
    smooth=s / 2)`` exactly (the same floating-point numbers). The gradient
    with respect to :math:`p_j` is :math:`((1-y_j)A - y_j(A + 2N))/D^2` with
    :math:`A = 2\mathrm{TP} + s`, :math:`N = \mathrm{FP} + \mathrm{FN}`,
    :math:`D = A + N`: for hard targets one of its two terms is zero, so it is
    exact to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import dice_loss
    >>> y = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> float(dice_loss(y, [[1.0, 0.5, 0.5, 0.0]], smooth=0.0))  # 1 - 3 / 4
    0.25
    >>> dice_loss.grad(y, [[1.0, 0.5, 0.5, 0.0]], smooth=0.0)  # -5/16 and 3/16
    array([[-0.3125, -0.3125,  0.1875,  0.1875]])
    """
    return _tversky_values(y_true, y_pred, 0.5, 0.5, _dice_smoothing(smooth))


# --------------------------------------------------------------------------
# Tversky
# --------------------------------------------------------------------------


def _tversky_grad(y_true, y_pred, *, alpha=0.5, beta=0.5, smooth=1.0):
    """Gradient of the summed Tversky loss with respect to y_pred."""
    return _tversky_gradient(y_true, y_pred, alpha, beta, smooth)


def _tversky_symbolic(k=3):
    r"""One sample of ``k`` pixels: :math:`1 - (TP + s)/(TP + \alpha FP + \beta FN + s)`."""
    y, p = overlap_symbols(k)
    tp = sum(yj * pj for yj, pj in zip(y, p, strict=True))
    fp = sum((1 - yj) * pj for yj, pj in zip(y, p, strict=True))
    fn = sum(yj * (1 - pj) for yj, pj in zip(y, p, strict=True))
    return 1 - (tp + smooth_symbol) / (tp + tversky_alpha * fp + tversky_beta * fn
                                       + smooth_symbol)


@register_loss(
    family="overlap",
    chapter="overlap-similarity/dice-tversky",
    estimates=("a per-sample overlap score, not per-pixel probabilities; alpha weights "
               "false positives, beta false negatives"),
    bounded_gradient=False,
    arguments=_ARGUMENTS,
    parameters={"alpha": tversky_alpha, "beta": tversky_beta, "smooth": smooth_symbol},
    element="sample",
    formula=(r"1 - \frac{\mathrm{TP} + s}{\mathrm{TP} + \alpha\,\mathrm{FP} + "
             r"\beta\,\mathrm{FN} + s}, \quad \mathrm{TP} = \sum_j y_j p_j,\ "
             r"\mathrm{FP} = \sum_j (1 - y_j) p_j,\ \mathrm{FN} = \sum_j y_j (1 - p_j)"),
    gradients=(r"\frac{\partial \ell}{\partial p_j} = \frac{\alpha (1 - y_j)\,A - y_j\,"
               r"(N + \beta A)}{D^2},\quad A = \mathrm{TP} + s,\ N = \alpha\,\mathrm{FP} + "
               r"\beta\,\mathrm{FN},\ D = A + N",),
    grad=_tversky_grad,
    symbolic=_tversky_symbolic,
)
def tversky_loss(y_true, y_pred, *, alpha=0.5, beta=0.5, smooth=1.0):
    r"""Tversky loss, one value per sample (Salehi, Erdogmus & Gholipour, 2017).

    .. math:: \ell(y, p) = 1 - \frac{\mathrm{TP} + s}
        {\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s}
        = \frac{\alpha\,\mathrm{FP} + \beta\,\mathrm{FN}}
        {\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s}

    with :math:`\mathrm{TP} = \sum_j y_j p_j`, :math:`\mathrm{FP} = \sum_j (1-y_j) p_j`,
    :math:`\mathrm{FN} = \sum_j y_j (1-p_j)` summed over every axis after the first.

    Parameters
    ----------
    y_true : array_like, shape (n, ...)
        Target masks in [0, 1]; at least two axes.
    y_pred : array_like, shape (n, ...)
        Predicted foreground probabilities in [0, 1], same shape.
    alpha, beta : float, default 0.5
        Weights :math:`\alpha, \beta \ge 0` of the false positives and the false
        negatives. :math:`\alpha = \beta = 1/2` is the Dice loss with twice the
        smoothing; :math:`\alpha = \beta = 1` the Jaccard (IoU) loss.
    smooth : float, default 1.0
        Smoothing :math:`s \ge 0`; a sample whose denominator is 0 raises.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per sample, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    ``tversky_loss(y, p, alpha=0.5, beta=0.5, smooth=s)`` equals
    ``dice_loss(y, p, smooth=2 * s)`` bit for bit. The gradient is
    :math:`(\alpha(1-y_j)A - y_j(N + \beta A))/D^2` with :math:`A = \mathrm{TP} + s`,
    :math:`N = \alpha\mathrm{FP} + \beta\mathrm{FN}`, :math:`D = A + N`.

    Examples
    --------
    >>> from lossbook import tversky_loss
    >>> y, p = [[1.0, 1.0, 0.0, 0.0]], [[1.0, 0.5, 0.5, 0.0]]  # TP = 1.5, FP = FN = 0.5
    >>> float(tversky_loss(y, p, alpha=1.0, beta=0.0, smooth=0.0))  # 0.5 / 2
    0.25
    >>> float(tversky_loss(y, p, alpha=0.0, beta=1.0, smooth=0.0))
    0.25
    """
    return _tversky_values(y_true, y_pred, alpha, beta, smooth)
