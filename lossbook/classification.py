r"""Classification losses: probabilities, logits and margins.

Binary losses take targets :math:`y \in [0, 1]` with a probability :math:`p`
or a logit :math:`z` (:math:`p = \sigma(z)`), or labels :math:`y \in \{-1, +1\}`
with a real score :math:`s` (margin losses). :func:`cross_entropy` takes a
matrix of logits, one row per sample. The logit losses are evaluated in forms
that stay exact for any finite logit: softplus and the sigmoid are written so
that nothing overflows and ``1 - sigmoid(z)`` is never formed by subtraction.

The helpers :func:`sigmoid`, :func:`log_sigmoid`, :func:`softmax` and
:func:`log_softmax` are the stable building blocks the losses use. For sympy,
``class_symbols(k)`` gives the per-class symbols of ``cross_entropy.symbolic``,
and ``epsilon`` and ``w_pos`` are the symbols of ``label_smoothing`` and
``pos_weight``.
"""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import register_loss
from ._validation import (
    as_float_array,
    check_distribution,
    check_pair,
    check_probabilities,
    check_scalar,
    check_signed_labels,
    reduce,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "exponential",
    "focal",
    "quality_focal",
    "sigmoid",
    "log_sigmoid",
    "softmax",
    "log_softmax",
]

#: label-smoothing level :math:`\varepsilon` (``label_smoothing`` of :func:`cross_entropy`)
epsilon = sp.Symbol("epsilon", nonnegative=True)
#: positive-class weight :math:`w_+` (``pos_weight`` of :func:`binary_cross_entropy_with_logits`)
w_pos = sp.Symbol("w_{+}", nonnegative=True)

#: PyTorch's floor on the logarithms in :func:`binary_cross_entropy`
LOG_CLAMP = -100.0
# log p is clamped exactly where p <= e^-100; log(1 - p) only at p = 1, since
# for every double p < 1, 1 - p >= 2^-53 > e^-100.
_P_CLAMPED_BELOW = np.exp(LOG_CLAMP)


def class_symbols(k):
    r"""Symbols for one sample of a ``k``-class problem.

    Returns the target probabilities :math:`y_0, \dots, y_{k-1}` (non-negative)
    and the logits :math:`z_0, \dots, z_{k-1}` (real) as two tuples; used by
    ``cross_entropy.symbolic``.

    Examples
    --------
    >>> from lossbook.classification import class_symbols
    >>> class_symbols(2)
    ((y_0, y_1), (z_0, z_1))
    """
    return sp.symbols(f"y_0:{k}", nonnegative=True), sp.symbols(f"z_0:{k}", real=True)


def _symbolic_sigmoid(z):
    return 1 / (1 + sp.exp(-z))


# --------------------------------------------------------------------------
# Stable building blocks (no validation: callers pass validated float arrays)
# --------------------------------------------------------------------------


def _tail(z):
    """e^-|z| in (0, 1]: the one exponential the logit functions need (never overflows)."""
    return np.exp(-np.abs(z))


def _sigmoid_pair(z, tail):
    """σ(z) and σ(-z) from ``tail = e^-|z|``; neither is formed as 1 minus the other."""
    big = 1.0 / (1.0 + tail)  # σ(|z|)
    small = tail * big  # σ(-|z|)
    positive = z >= 0
    return np.where(positive, big, small), np.where(positive, small, big)


def _softplus_pair(z, tail):
    """softplus(z) and softplus(-z) from ``tail = e^-|z|``: each is
    max(±z, 0) + log1p(tail), a sum of non-negative terms."""
    log_tail = np.log1p(tail)
    return np.maximum(z, 0.0) + log_tail, np.maximum(-z, 0.0) + log_tail


def _softmax_parts(z):
    """Shifted exponentials of each row of logits, and what softmax needs of them.

    Returns ``top`` (mask of the arg-max entry of each row), ``top_value``
    (the row maxima), ``e = exp(z - top_value)`` and ``rest``, the sum of ``e``
    over the entries other than the top one: summed directly, so that
    ``log1p(rest)`` stays accurate when one logit dominates. The softmax is
    ``e / (1 + rest)``.
    """
    top = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(top, np.argmax(z, axis=-1)[..., None], True, axis=-1)
    top_value = np.max(z, axis=-1, keepdims=True)
    e = np.exp(z - top_value)
    rest = np.where(top, 0.0, e).sum(axis=-1, keepdims=True)
    return top, top_value, e, rest


def _complement_sums(t):
    """For every entry of each row of ``t`` >= 0, the sum of the other entries.

    The largest entry's complement is summed directly; for the others,
    ``total - t_j >= total / 2``, so the subtraction is well conditioned.
    """
    top = np.zeros(t.shape, dtype=bool)
    np.put_along_axis(top, np.argmax(t, axis=-1)[..., None], True, axis=-1)
    rest = np.where(top, 0.0, t).sum(axis=-1, keepdims=True)
    return np.where(top, rest, t.sum(axis=-1, keepdims=True) - t)


def _logit_residual(y, sig_pos, sig_neg, pos_weight=1.0):
    """(1 - y) σ(z) - w y σ(-z): the gradient of BCE with logits, σ(z) - y when w = 1.

    Written with σ(-z) rather than 1 - σ(z) so that it stays exact when y is 0
    or 1 and |z| is large.
    """
    return (1.0 - y) * sig_pos - pos_weight * y * sig_neg


def _bce_logits_values(y, z, tail, pos_weight=1.0):
    """w y softplus(-z) + (1 - y) softplus(z): two non-negative terms."""
    softplus_pos, softplus_neg = _softplus_pair(z, tail)
    return pos_weight * y * softplus_neg + (1.0 - y) * softplus_pos


# --------------------------------------------------------------------------
# Public helpers
# --------------------------------------------------------------------------


def sigmoid(z):
    r"""Logistic sigmoid, stable for every finite input.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Only :math:`e^{-|z|}` is evaluated, so large :math:`|z|` neither overflows
    nor loses the small tail :math:`\sigma(-|z|)`.

    Parameters
    ----------
    z : array_like
        Logits.

    Returns
    -------
    ndarray
        :math:`\sigma(z)`, same shape as ``z``.

    Examples
    --------
    >>> from lossbook.classification import sigmoid
    >>> sigmoid([0.0, -800.0, 800.0])
    array([0.5, 0. , 1. ])
    >>> float(sigmoid(-40.0))  # 1 - sigmoid(40) would give 0
    4.248354255291589e-18
    """
    z = as_float_array(z, "z")
    return _sigmoid_pair(z, _tail(z))[0]


def log_sigmoid(z):
    r"""Logarithm of the sigmoid, stable for every finite input.

    .. math:: \log\sigma(z) = -\operatorname{softplus}(-z) = -\log(1 + e^{-z})

    Parameters
    ----------
    z : array_like
        Logits.

    Returns
    -------
    ndarray
        :math:`\log\sigma(z)`, same shape as ``z``.

    Examples
    --------
    >>> from lossbook.classification import log_sigmoid
    >>> log_sigmoid([0.0, -1000.0])
    array([-6.93147181e-01, -1.00000000e+03])
    >>> float(log_sigmoid(40.0))
    -4.248354255291589e-18
    """
    z = as_float_array(z, "z")
    return -_softplus_pair(z, _tail(z))[1]


def softmax(z, axis=-1):
    r"""Softmax along an axis, stable for every finite input.

    .. math:: \operatorname{softmax}(z)_j = \frac{e^{z_j - m}}{\sum_i e^{z_i - m}},
        \qquad m = \max_i z_i

    Parameters
    ----------
    z : array_like
        Logits; at least one-dimensional.
    axis : int, default -1
        Axis holding the classes.

    Returns
    -------
    ndarray
        Probabilities summing to 1 along ``axis``, same shape as ``z``.

    Examples
    --------
    >>> from lossbook.classification import softmax
    >>> softmax([[0.0, 0.0], [1e4, 0.0]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    z = np.moveaxis(_as_logit_rows(z, "z"), axis, -1)
    _, _, e, rest = _softmax_parts(z)
    return np.moveaxis(e / (1.0 + rest), -1, axis)


def log_softmax(z, axis=-1):
    r"""Logarithm of the softmax along an axis (log-sum-exp), stable for every finite input.

    .. math:: \log\operatorname{softmax}(z)_j = (z_j - m)
        - \log\Big(1 + \sum_{i \ne i^*} e^{z_i - m}\Big), \qquad m = z_{i^*} = \max_i z_i

    Using ``log1p`` of the sum without the largest term keeps the result
    accurate when one logit dominates (the log-probability of the winning class
    is then tiny, not rounded to 0).

    Parameters
    ----------
    z : array_like
        Logits; at least one-dimensional.
    axis : int, default -1
        Axis holding the classes.

    Returns
    -------
    ndarray
        Log-probabilities, same shape as ``z``.

    Examples
    --------
    >>> from lossbook.classification import log_softmax
    >>> log_softmax([0.0, -1e4])
    array([     0., -10000.])
    >>> float(log_softmax([0.0, -50.0])[0])
    -1.9287498479639178e-22
    """
    z = np.moveaxis(_as_logit_rows(z, "z"), axis, -1)
    _, top_value, _, rest = _softmax_parts(z)
    return np.moveaxis((z - top_value) - np.log1p(rest), -1, axis)


def _as_logit_rows(z, name):
    z = as_float_array(z, name)
    if z.ndim == 0:
        raise ValueError(f"{name} must be at least one-dimensional (classes on an axis)")
    return z


# --------------------------------------------------------------------------
# Binary cross-entropy on probabilities
# --------------------------------------------------------------------------


def _bce_inputs(y_true, p):
    y, p = check_pair(y_true, p, names=("y_true", "p (y_pred)"))
    check_probabilities(y, "y_true")
    check_probabilities(p, "p (y_pred)")
    return y, p


def _clamped_logs(p):
    """max(log p, -100) and max(log(1 - p), -100), with log(0) = -inf clamped too."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)


def _bce_grad(y_true, p):
    r"""Gradient of the sum-reduced :func:`binary_cross_entropy` with respect to ``p``.

    Exact derivative of the clamped loss: :math:`(p - y) / (p(1-p))` where
    neither log is clamped; a clamped term is constant, so it contributes 0.
    """
    y, p = _bce_inputs(y_true, p)
    log_p_free = p > _P_CLAMPED_BELOW
    log_q_free = p < 1.0
    # A clamped term is constant; at least one term is free, since p cannot be
    # both below e^-100 and equal to 1. Safe denominators avoid 0 / 0 warnings.
    safe_p = np.where(log_p_free, p, 1.0)
    safe_q = np.where(log_q_free, 1.0 - p, 1.0)
    one_term = np.where(log_p_free, -y / safe_p, (1.0 - y) / safe_q)
    return np.where(log_p_free & log_q_free, (p - y) / (safe_p * safe_q), one_term)


def _bce_symbolic():
    r"""One element of :func:`binary_cross_entropy` without the clamp:
    :math:`-[y\log\hat y + (1-y)\log(1-\hat y)]`."""
    return -(s.y * sp.log(s.y_hat) + (1 - s.y) * sp.log(1 - s.y_hat))


@register_loss(
    grad=_bce_grad,
    symbolic=_bce_symbolic,
    family="classification",
    estimates="conditional probability P(y=1|x)",
    bounded_gradient=False,
    chapter="classification/binary-cross-entropy",
)
def binary_cross_entropy(y_true, p, *, reduction="mean"):
    r"""Binary cross-entropy (log loss) on probabilities, PyTorch semantics.

    .. math:: \ell(y, p) = -\big[\,y \max(\log p, -100)
        + (1 - y)\max(\log(1 - p), -100)\big]

    The negative log-likelihood of a Bernoulli(:math:`p`) observation
    :math:`y`, also for soft targets :math:`y \in [0, 1]`. As in
    ``torch.nn.functional.binary_cross_entropy``, each logarithm is clamped
    at -100, so :math:`p = 0` or :math:`1` gives a finite loss (at most 100)
    instead of infinity, and ``0 * log 0`` is 0. :math:`\log(1-p)` is
    evaluated as ``log1p(-p)``, exact for :math:`p` near 0.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (hard labels 0/1 or soft targets).
    p : array_like
        Predicted probabilities of the positive class in [0, 1], same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    ``binary_cross_entropy.grad`` is the exact derivative of this clamped loss:
    :math:`(p - y)/(p(1-p))` wherever neither logarithm is clamped, and a
    clamped term contributes 0, because it is constant (:math:`p \le e^{-100}`
    for :math:`\log p`; only :math:`p = 1` for :math:`\log(1-p)`). The gradient
    is therefore finite everywhere, at most about :math:`e^{100}` in size. This
    differs from PyTorch's backward pass, which returns
    :math:`(p-y)/\max(p(1-p), 10^{-12})`: not the derivative of its own loss
    wherever :math:`p(1-p) < 10^{-12}`. At the clamp boundary
    :math:`p = e^{-100}` the clamped (zero) side is used. Prefer
    :func:`binary_cross_entropy_with_logits` in training: it needs no clamp.

    See Also
    --------
    binary_cross_entropy_with_logits : the same loss on logits, exact everywhere.

    Examples
    --------
    >>> from lossbook import binary_cross_entropy
    >>> round(float(binary_cross_entropy([1.0, 0.0], [0.8, 0.4])), 6)  # -(log 0.8 + log 0.6) / 2
    0.366985
    >>> binary_cross_entropy([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], reduction="none")
    array([100., 100.,   0.])
    >>> binary_cross_entropy.grad([1.0, 0.0], [0.8, 0.4])
    array([-1.25      ,  1.66666667])
    """
    y, p = _bce_inputs(y_true, p)
    log_p, log_q = _clamped_logs(p)
    return reduce(-(y * log_p + (1.0 - y) * log_q), reduction)


# --------------------------------------------------------------------------
# Binary cross-entropy on logits
# --------------------------------------------------------------------------


def _targets_and_logits(y_true, logits):
    """Targets in [0, 1] and logits of the same shape (the binary losses on logits)."""
    y, z = check_pair(y_true, logits, names=("y_true", "logits"))
    check_probabilities(y, "y_true")
    return y, z


def _bce_logits_inputs(y_true, logits, pos_weight):
    y, z = _targets_and_logits(y_true, logits)
    if pos_weight is None:
        return y, z, 1.0
    weight = as_float_array(pos_weight, "pos_weight")
    if np.any(weight < 0):
        raise ValueError("pos_weight must be non-negative")
    try:
        broadcast = np.broadcast_shapes(weight.shape, z.shape)
    except ValueError:
        broadcast = None
    if broadcast != z.shape:
        raise ValueError(
            f"pos_weight of shape {weight.shape} must broadcast to the shape of logits {z.shape}"
        )
    return y, z, weight


def _bce_logits_grad(y_true, logits, *, pos_weight=None):
    r"""Gradient of the sum-reduced :func:`binary_cross_entropy_with_logits`:
    :math:`(1-y)\sigma(z) - w_+ y\,\sigma(-z)` (:math:`\sigma(z) - y` when :math:`w_+ = 1`)."""
    y, z, weight = _bce_logits_inputs(y_true, logits, pos_weight)
    return _logit_residual(y, *_sigmoid_pair(z, _tail(z)), weight)


def _bce_logits_symbolic(weighted=False):
    r"""One element of :func:`binary_cross_entropy_with_logits` in the logit ``z``.

    :math:`-[w_+ y\log\sigma(z) + (1-y)\log(1-\sigma(z))]`, with :math:`w_+ = 1`
    unless ``weighted`` (then the symbol ``w_pos`` appears).
    """
    sig = _symbolic_sigmoid(s.z)
    weight = w_pos if weighted else 1
    return -(weight * s.y * sp.log(sig) + (1 - s.y) * sp.log(1 - sig))


@register_loss(
    grad=_bce_logits_grad,
    symbolic=_bce_logits_symbolic,
    family="classification",
    estimates=(
        "log-odds log(P(y=1|x) / P(y=0|x)), the logit of the conditional probability "
        "(plus log pos_weight when pos_weight is given)"
    ),
    bounded_gradient=True,
    chapter="classification/binary-cross-entropy",
)
def binary_cross_entropy_with_logits(y_true, logits, *, pos_weight=None, reduction="mean"):
    r"""Binary cross-entropy on logits, PyTorch semantics, exact for every finite logit.

    .. math:: \ell(y, z) = -\big[\,w_+\, y \log\sigma(z) + (1-y)\log(1-\sigma(z))\big]
        = w_+\, y\, \operatorname{softplus}(-z) + (1-y)\operatorname{softplus}(z)

    with :math:`\operatorname{softplus}(x) = \log(1 + e^x)`, evaluated as
    :math:`\max(x, 0) + \operatorname{log1p}(e^{-|x|})`. Both terms are
    non-negative, so nothing cancels and no clamp is needed.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (hard labels or soft targets).
    logits : array_like
        Logits :math:`z`, same shape.
    pos_weight : float or array_like, optional
        Weight :math:`w_+ \ge 0` of the positive term, as in PyTorch; an array
        must broadcast to the shape of ``logits`` (e.g. one weight per column
        in multi-label problems). ``None`` means 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The gradient is :math:`(1-y)\sigma(z) - w_+ y\,\sigma(-z)`, i.e.
    :math:`\sigma(z) - y` for :math:`w_+ = 1`, computed with
    :math:`\sigma(-z)` in place of :math:`1 - \sigma(z)` so that it stays
    exact for hard targets at large :math:`|z|`. For a soft target near the
    minimiser :math:`\sigma(z) \approx y` the gradient is a small difference of
    two rounded quantities: the loss of relative accuracy there is inherent in
    evaluating :math:`\sigma(z) - y` from floating-point inputs.

    Examples
    --------
    >>> from lossbook import binary_cross_entropy_with_logits as bce_logits
    >>> float(bce_logits([1.0], [0.0]))  # log 2
    0.6931471805599453
    >>> bce_logits([1.0, 0.0], [1e4, 1e4], reduction="none")
    array([    0., 10000.])
    >>> float(bce_logits([1.0], [0.0], pos_weight=3.0))  # 3 log 2
    2.0794415416798357
    >>> bce_logits.grad([1.0, 0.0], [40.0, 0.0])
    array([-4.24835426e-18,  5.00000000e-01])
    """
    y, z, weight = _bce_logits_inputs(y_true, logits, pos_weight)
    return reduce(_bce_logits_values(y, z, _tail(z), weight), reduction)


# --------------------------------------------------------------------------
# Softmax cross-entropy
# --------------------------------------------------------------------------


def _cross_entropy_inputs(y_true, logits, label_smoothing):
    """Validate; return the logits and the (smoothed) target distributions, both (n, k)."""
    z = as_float_array(logits, "logits")
    if z.ndim != 2:
        raise ValueError(f"logits must have shape (n, k), got {z.shape}")
    n, k = z.shape
    y = as_float_array(y_true, "y_true")
    smoothing = check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0)
    if y.shape == (n,):
        if np.any(y != np.floor(y)):
            raise ValueError("y_true holds class indices, which must be integers")
        if np.any((y < 0) | (y >= k)):
            raise ValueError(
                f"y_true class indices must lie in [0, k) = [0, {k}) for logits with k = {k} "
                f"classes; found {y.min():g} to {y.max():g}"
            )
        target = np.zeros_like(z)
        np.put_along_axis(target, y.astype(np.intp)[:, None], 1.0, axis=-1)
    elif y.shape == z.shape:
        target = check_distribution(y, "y_true")
    else:
        raise ValueError(
            f"y_true must be class indices of shape (n,) = ({n},) or probabilities of the "
            f"shape of logits {z.shape}; got {y.shape}"
        )
    if smoothing:
        target = (1.0 - smoothing) * target + smoothing / k
    return target, z


def _cross_entropy_grad(y_true, logits, *, label_smoothing=0.0):
    r"""Gradient of the sum-reduced :func:`cross_entropy` with respect to the logits:
    :math:`\operatorname{softmax}(z)\sum_j t_j - t`."""
    target, z = _cross_entropy_inputs(y_true, logits, label_smoothing)
    top, _, e, rest = _softmax_parts(z)
    # S - e_j = sum of e over the other entries: ``rest`` for the top entry; for
    # the others, S - e_j >= 1 >= e_j (the top entry contributes 1), no cancellation.
    others = np.where(top, rest, (1.0 + rest) - e)
    # softmax_j * T - t_j = (e_j * (T - t_j) - t_j * (S - e_j)) / S: two
    # non-negative products, each complement computed without cancellation.
    return (e * _complement_sums(target) - target * others) / (1.0 + rest)


def _cross_entropy_symbolic(k=3, smoothed=False):
    r"""One sample of :func:`cross_entropy` with ``k`` classes and probability targets.

    :math:`-\sum_j t_j \log\big(e^{z_j} / \sum_i e^{z_i}\big)` in the symbols of
    ``class_symbols`` (:math:`t_j = y_j`); with ``smoothed``,
    :math:`t_j = (1-\varepsilon)\,y_j + \varepsilon/k` in the symbol ``epsilon``.
    """
    targets, logits = class_symbols(k)
    if smoothed:
        targets = [(1 - epsilon) * t + epsilon / k for t in targets]
    normaliser = sum(sp.exp(zi) for zi in logits)
    return -sum(t * sp.log(sp.exp(zi) / normaliser) for t, zi in zip(targets, logits, strict=True))


@register_loss(
    grad=_cross_entropy_grad,
    symbolic=_cross_entropy_symbolic,
    family="classification",
    estimates="log P(y=j|x) up to a per-sample constant (softmax(z) is the class distribution)",
    bounded_gradient=True,
    chapter="classification/softmax-cross-entropy",
)
def cross_entropy(y_true, logits, *, label_smoothing=0.0, reduction="mean"):
    r"""Softmax cross-entropy on logits, PyTorch semantics (incl. label smoothing).

    .. math:: \ell(t, z) = -\sum_{j=1}^{k} t_j \log\operatorname{softmax}(z)_j
        = \sum_{j=1}^{k} t_j \Big(\log\sum_{i=1}^{k} e^{z_i} - z_j\Big),
        \qquad t = (1-\varepsilon)\, y + \frac{\varepsilon}{k}

    where :math:`y` is the one-hot vector of a class index or a given
    probability vector, and :math:`\varepsilon` is ``label_smoothing``
    (applied to both kinds of target, as in
    ``torch.nn.functional.cross_entropy``). The log-softmax uses
    log-sum-exp shifted by the row maximum, so logits spread over
    :math:`10^4` or more are fine, and every term :math:`\log\sum_i e^{z_i} - z_j
    \ge 0` is computed without cancellation.

    Parameters
    ----------
    y_true : array_like
        Either class indices of shape ``(n,)`` (integers, or floats with
        integral values, in ``[0, k)``), or probability vectors of shape
        ``(n, k)`` (each row in [0, 1] and summing to 1 within 1e-6).
    logits : array_like, shape (n, k)
        One row of class logits per sample (the class axis is last, unlike
        PyTorch's ``(N, C, ...)``).
    label_smoothing : float in [0, 1], default 0.0
        Mass moved from the target to the uniform distribution.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    ``cross_entropy.grad`` returns :math:`\operatorname{softmax}(z)\sum_j t_j -
    t`, shape ``(n, k)``; it equals :math:`\operatorname{softmax}(z) - t` since
    each target row sums to 1. It is evaluated as
    :math:`\big(e_j \sum_{i\ne j} t_i - t_j \sum_{i \ne j} e_i\big) / \sum_i e_i`
    (:math:`e = e^{z - \max z}`), so a confident correct prediction gives a
    gradient as small as it truly is, not a rounded :math:`1 - 1 = 0`.
    ``cross_entropy.symbolic(k=3, smoothed=False)`` returns one sample's loss
    in the symbols of ``class_symbols`` (and ``epsilon``).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import cross_entropy
    >>> logits = np.array([[2.0, 0.0, 0.0], [0.0, 1e4, 0.0]])
    >>> np.round(cross_entropy([0, 1], logits, reduction="none"), 6)  # log(1 + 2 e^-2), 0
    array([0.239545, 0.      ])
    >>> float(cross_entropy([[0.5, 0.5, 0.0]], [[0.0, 0.0, -1e4]]))  # log 2
    0.6931471805599453
    >>> cross_entropy.grad([0], [[0.0, 0.0]])  # softmax - one-hot
    array([[-0.5,  0.5]])
    """
    target, z = _cross_entropy_inputs(y_true, logits, label_smoothing)
    _, top_value, _, rest = _softmax_parts(z)
    neg_log_softmax = (top_value - z) + np.log1p(rest)
    return reduce(np.sum(target * neg_log_softmax, axis=-1), reduction)


# --------------------------------------------------------------------------
# Margin losses on labels in {-1, +1}
# --------------------------------------------------------------------------


def _margin_inputs(y_true, scores):
    y, score = check_pair(y_true, scores, names=("y_true", "scores"))
    check_signed_labels(y)
    return y, score


def _hinge_grad(y_true, scores, *, margin=1.0):
    r"""Subgradient of the sum-reduced :func:`hinge`: :math:`-y` where
    :math:`m - ys > 0`, else 0 (also at the kink)."""
    y, score = _margin_inputs(y_true, scores)
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    return np.where(margin - y * score > 0, -y, 0.0)


def _hinge_symbolic():
    r"""One element of :func:`hinge`: :math:`\max(0, m - y\hat y)`."""
    return sp.Max(0, s.margin - s.y * s.y_hat)


@register_loss(
    grad=_hinge_grad,
    symbolic=_hinge_symbolic,
    family="classification",
    estimates="margin * sign(2 P(y=1|x) - 1): the Bayes classifier, not probabilities",
    bounded_gradient=True,
    chapter="classification/margin-losses",
)
def hinge(y_true, scores, *, margin=1.0, reduction="mean"):
    r"""Hinge loss of the support vector machine.

    .. math:: \ell(y, s) = \max(0,\; m - y\,s), \qquad y \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like
        Labels, each -1 or +1.
    scores : array_like
        Real-valued scores :math:`s` (decision function), same shape.
    margin : float, default 1.0
        Margin :math:`m > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The loss has a kink at :math:`y s = m`; ``hinge.grad`` returns the
    subgradient :math:`-y` where :math:`m - ys > 0` and 0 elsewhere, including
    at the kink (the right-hand choice when :math:`y s` increases, like
    the derivative of ReLU at 0 in deep-learning frameworks).

    Examples
    --------
    >>> from lossbook import hinge
    >>> hinge([1, -1, 1], [2.0, 0.5, -1.0], reduction="none")
    array([0. , 1.5, 2. ])
    >>> hinge.grad([1, -1, 1], [2.0, 0.5, -1.0])
    array([ 0.,  1., -1.])
    """
    y, score = _margin_inputs(y_true, scores)
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    return reduce(np.maximum(margin - y * score, 0.0), reduction)


def _exponential_grad(y_true, scores):
    r"""Gradient of the sum-reduced :func:`exponential`: :math:`-y\,e^{-ys}`."""
    y, score = _margin_inputs(y_true, scores)
    return -y * np.exp(-y * score)


def _exponential_symbolic():
    r"""One element of :func:`exponential`: :math:`e^{-y\hat y}`."""
    return sp.exp(-s.y * s.y_hat)


@register_loss(
    grad=_exponential_grad,
    symbolic=_exponential_symbolic,
    family="classification",
    estimates="half the log-odds, (1/2) log(P(y=1|x) / P(y=-1|x))",
    bounded_gradient=False,
    chapter="classification/margin-losses",
)
def exponential(y_true, scores, *, reduction="mean"):
    r"""Exponential loss (the loss AdaBoost minimises).

    .. math:: \ell(y, s) = e^{-y\,s}, \qquad y \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like
        Labels, each -1 or +1.
    scores : array_like
        Real-valued scores :math:`s`, same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    For :math:`-ys > \log(\text{max float64}) \approx 709.78` the loss (and
    its gradient :math:`-y e^{-ys}`) is ``inf``: the true value exceeds the
    largest float64, there is no finite answer to return.

    Examples
    --------
    >>> from lossbook import exponential
    >>> exponential([1, -1], [0.0, 2.0], reduction="none")  # 1, e^2
    array([1.       , 7.3890561])
    >>> exponential.grad([1, -1], [0.0, 2.0])
    array([-1.       ,  7.3890561])
    """
    y, score = _margin_inputs(y_true, scores)
    return reduce(np.exp(-y * score), reduction)


# --------------------------------------------------------------------------
# Focal losses (detection)
# --------------------------------------------------------------------------


def _focal_inputs(y_true, logits, alpha, gamma):
    y, z = _targets_and_logits(y_true, logits)
    alpha = check_scalar(alpha, "alpha", high=1.0)
    gamma = check_scalar(gamma, "gamma", low=0.0)
    # alpha < 0 switches the class weighting off, as in torchvision.
    alpha_t = alpha * y + (1.0 - alpha) * (1.0 - y) if alpha >= 0 else 1.0
    return y, z, gamma, alpha_t


def _focal_miss(y, sig_pos, sig_neg):
    """1 - p_t = y (1 - p) + (1 - y) p: two non-negative terms, no cancellation."""
    return y * sig_neg + (1.0 - y) * sig_pos


def _focal_grad(y_true, logits, *, alpha=0.25, gamma=2.0):
    r"""Gradient of the sum-reduced :func:`focal` with respect to the logits.

    With :math:`u = 1 - p_t` and :math:`u' = (1 - 2y)\sigma(z)\sigma(-z)`:
    :math:`\alpha_t u^\gamma\big[(\sigma(z) - y) + \gamma\,\mathrm{ce}\,(1-2y)\,r\big]`,
    where :math:`r = \sigma(z)\sigma(-z)/u \in [0, 1]`.
    """
    y, z, gamma, alpha_t = _focal_inputs(y_true, logits, alpha, gamma)
    tail = _tail(z)
    sig_pos, sig_neg = _sigmoid_pair(z, tail)
    miss = _focal_miss(y, sig_pos, sig_neg)
    # r = sigma(z) sigma(-z) / u. u underflows to 0 only for a hard target,
    # where u is one of the two factors and r is the other one.
    ratio = np.divide(sig_pos * sig_neg, miss, out=np.where(y >= 0.5, sig_pos, sig_neg),
                      where=miss > 0)
    inner = _logit_residual(y, sig_pos, sig_neg) + gamma * (1.0 - 2.0 * y) * ratio * (
        _bce_logits_values(y, z, tail))
    return alpha_t * miss**gamma * inner


def _focal_symbolic():
    r"""One element of :func:`focal` (with the :math:`\alpha_t` weight) in the logit ``z``."""
    p = _symbolic_sigmoid(s.z)
    ce = -(s.y * sp.log(p) + (1 - s.y) * sp.log(1 - p))
    p_t = p * s.y + (1 - p) * (1 - s.y)
    alpha_t = s.alpha * s.y + (1 - s.alpha) * (1 - s.y)
    return alpha_t * ce * (1 - p_t) ** s.gamma


@register_loss(
    grad=_focal_grad,
    symbolic=_focal_symbolic,
    family="classification",
    estimates=(
        "an increasing transform of P(y=1|x), pulled towards 1/2 for gamma > 0 and "
        "shifted by alpha: sigma(z) is not a calibrated probability"
    ),
    bounded_gradient=True,
    chapter="detection/focal-loss",
)
def focal(y_true, logits, *, alpha=0.25, gamma=2.0, reduction="mean"):
    r"""Sigmoid focal loss (RetinaNet), torchvision ``sigmoid_focal_loss`` semantics.

    .. math:: \ell(y, z) = \alpha_t\,(1 - p_t)^{\gamma}\,\mathrm{ce}(y, z),
        \qquad p = \sigma(z),\quad p_t = p\,y + (1-p)(1-y),\quad
        \alpha_t = \alpha\,y + (1-\alpha)(1-y)

    where :math:`\mathrm{ce}` is :func:`binary_cross_entropy_with_logits`.
    The factor :math:`(1-p_t)^\gamma` down-weights well-classified examples.
    :math:`1 - p_t = y\,\sigma(-z) + (1-y)\,\sigma(z)` is computed in that
    form, so it is exact even when :math:`p_t` rounds to 1.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (torchvision takes float targets).
    logits : array_like
        Logits :math:`z`, same shape.
    alpha : float, default 0.25
        Weight of the positive class, :math:`\alpha \le 1`; a negative value
        disables the :math:`\alpha_t` weighting (:math:`\alpha_t = 1`), as in
        torchvision.
    gamma : float, default 2.0
        Focusing exponent :math:`\gamma \ge 0`; with :math:`\gamma = 0` and
        :math:`\alpha < 0` the loss is :func:`binary_cross_entropy_with_logits`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses. Note that torchvision's
        default is ``"none"``; lossbook's is ``"mean"`` like every loss here.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The gradient with respect to :math:`z` is, with :math:`u = 1 - p_t` and
    :math:`r = \sigma(z)\sigma(-z)/u \in [0, 1]`,

    .. math:: \frac{\partial\ell}{\partial z} = \alpha_t\,u^{\gamma}
        \big[(\sigma(z) - y) + \gamma\,(1 - 2y)\,r\,\mathrm{ce}(y, z)\big].

    Examples
    --------
    >>> from lossbook import focal
    >>> float(focal([1.0], [0.0], alpha=-1.0, gamma=0.0))  # plain BCE: log 2
    0.6931471805599453
    >>> float(focal([1.0], [0.0]))  # 0.25 * 0.5**2 * log 2
    0.04332169878499658
    >>> focal([1.0, 0.0], [3.0, 3.0], reduction="none")  # easy positive, hard negative
    array([2.73208311e-05, 2.07471033e+00])
    """
    y, z, gamma, alpha_t = _focal_inputs(y_true, logits, alpha, gamma)
    tail = _tail(z)
    miss = _focal_miss(y, *_sigmoid_pair(z, tail))
    return reduce(alpha_t * miss**gamma * _bce_logits_values(y, z, tail), reduction)


def _quality_focal_inputs(y_true, logits, beta):
    y, z = _targets_and_logits(y_true, logits)
    beta = check_scalar(beta, "beta", low=0.0, low_open=True)
    return y, z, beta


def _quality_focal_grad(y_true, logits, *, beta=2.0):
    r"""Gradient of the sum-reduced :func:`quality_focal`: with :math:`d = \sigma(z) - y`,
    :math:`\operatorname{sign}(d)\,|d|^{\beta-1}\big(\beta\,\sigma(z)\sigma(-z)\,\mathrm{ce}
    + d^2\big)`, and 0 where :math:`d = 0`."""
    y, z, beta = _quality_focal_inputs(y_true, logits, beta)
    tail = _tail(z)
    sig_pos, sig_neg = _sigmoid_pair(z, tail)
    gap = _logit_residual(y, sig_pos, sig_neg)
    abs_gap = np.abs(gap)
    # |d|^(beta - 1) is infinite at d = 0 when beta < 1: only evaluate it where d != 0.
    scale = np.power(abs_gap, beta - 1.0, out=np.zeros_like(gap), where=gap != 0)
    curvature = beta * sig_pos * sig_neg * _bce_logits_values(y, z, tail)
    return np.sign(gap) * scale * (curvature + abs_gap**2)


def _quality_focal_symbolic():
    r"""One element of :func:`quality_focal`:
    :math:`|y - \sigma(z)|^\beta\,\mathrm{ce}(y, z)`."""
    p = _symbolic_sigmoid(s.z)
    ce = -(s.y * sp.log(p) + (1 - s.y) * sp.log(1 - p))
    return sp.Abs(s.y - p) ** s.beta * ce


@register_loss(
    grad=_quality_focal_grad,
    symbolic=_quality_focal_symbolic,
    family="classification",
    estimates="the quality score (IoU of the box): the loss is 0 exactly at sigma(z) = y",
    bounded_gradient=True,
    chapter="detection/quality-focal-loss",
)
def quality_focal(y_true, logits, *, beta=2.0, reduction="mean"):
    r"""Quality focal loss of Generalized Focal Loss (Li et al., 2020).

    .. math:: \ell(y, z) = |y - \sigma(z)|^{\beta}\;
        \big(-\big[y\log\sigma(z) + (1-y)\log(1-\sigma(z))\big]\big)

    A focal loss for a continuous target: :math:`y \in [0, 1]` is the
    localisation quality (IoU) of a detection, 0 for background. The
    modulating factor is the distance :math:`|y - \sigma(z)|` itself, so the
    loss is 0 where the predicted score matches the quality.
    :math:`\sigma(z) - y` is evaluated as :math:`(1-y)\sigma(z) - y\sigma(-z)`,
    exact for :math:`y \in \{0, 1\}` at any logit.

    Parameters
    ----------
    y_true : array_like
        Quality targets in [0, 1].
    logits : array_like
        Logits :math:`z`, same shape.
    beta : float, default 2.0
        Exponent :math:`\beta > 0` (the paper uses 2).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    With :math:`d = \sigma(z) - y`, the gradient is

    .. math:: \frac{\partial\ell}{\partial z} = \operatorname{sign}(d)\,|d|^{\beta-1}
        \big(\beta\,\sigma(z)\sigma(-z)\,\mathrm{ce}(y, z) + d^2\big),

    a product with no cancellation. Where :math:`d = 0` it returns 0: the
    derivative for :math:`\beta > 1`, and a subgradient at the minimum (the
    loss is 0 there) for :math:`\beta \le 1`, where the loss has a kink
    (:math:`\beta = 1`) or a cusp (:math:`\beta < 1`).

    Examples
    --------
    >>> from lossbook import quality_focal
    >>> float(quality_focal([1.0], [0.0]))  # 0.5**2 * log 2
    0.17328679513998632
    >>> quality_focal([0.5], [0.0], reduction="none")  # sigma(0) = y: no loss
    array([0.])
    >>> import numpy as np
    >>> np.round(quality_focal.grad([0.5, 1.0], [0.0, 0.0]), 6)
    array([ 0.      , -0.298287])
    """
    y, z, beta = _quality_focal_inputs(y_true, logits, beta)
    tail = _tail(z)
    gap = _logit_residual(y, *_sigmoid_pair(z, tail))
    return reduce(np.abs(gap) ** beta * _bce_logits_values(y, z, tail), reduction)
