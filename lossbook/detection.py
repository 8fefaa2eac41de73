r"""The focal family of the detection part: focal, quality focal, distribution focal
and varifocal losses.

(The box losses of the same part are in :mod:`lossbook.boxes`.)

The focal, quality focal and varifocal losses are binary cross-entropy on
logits, re-weighted: the focal loss (RetinaNet, Lin et al., 2017) by
:math:`\alpha_t (1 - p_t)^\gamma`, the quality focal loss (Generalized Focal
Loss, Li et al., 2020) by :math:`|y - \sigma(z)|^\beta` for a continuous
quality target, and the varifocal loss (VarifocalNet, Zhang et al., 2021) by the
IoU target on positives and :math:`\alpha\,|\sigma(z) - q|^\gamma` on background.
The distribution focal loss (the second loss Li et al. introduce beside QFL)
treats each box edge as a discrete distribution over integer bins and pushes
its mass onto the two bins around the continuous target. All use the stable
logit numerics of :mod:`lossbook.logits`.
"""

import functools

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._two_hot import two_hot_bins
from ._validation import check_scalar
from .logits import (
    bce_and_miss_terms,
    bce_logits_values,
    binary_logit_inputs,
    logit_residual,
    neg_log_softmax_at,
    sigmoid_pair,
    sigmoid_positive,
    softmax_parts,
    softmax_terms,
    softplus_pair,
    symbolic_sigmoid,
)

__all__ = ["focal", "quality_focal", "distribution_focal_loss", "varifocal_loss"]

_LOGIT_ARGS = (Argument("y_true", s.y, domain="targets in [0, 1]: labels 0/1 or soft"),
               Argument("logits", s.z, differentiable=True, domain="real logits"))
_QUALITY_ARGS = (Argument("y_true", s.y, domain="quality targets in [0, 1] (IoU; 0 = background)"),
                 _LOGIT_ARGS[1])

# Constants (and parameters, converted once per call) as 0-d arrays: an operand that is a
# Python float takes a slower path in numpy, which shows on small arrays.
_ZERO, _ONE, _TWO = np.array(0.0), np.array(1.0), np.array(2.0)


def _power(x, exponent):
    """``x ** exponent``; numpy computes an array's ``x ** 2.0`` as ``x * x``, which np.square
    gives without a Python-float exponent's dispatch (a numpy scalar's power is C's pow)."""
    return np.square(x) if exponent == 2.0 and type(x) is np.ndarray else x**exponent


@functools.lru_cache(maxsize=32)
def _class_weights(alpha):
    """alpha and 1 - alpha as 0-d arrays, made once per value of alpha (shared: operands
    only, never written)."""
    return np.array(alpha), np.array(1.0 - alpha)


def _focal_inputs(y_true, logits, alpha, gamma):
    # complement = 1 - y, formed once (by the validation) for alpha_t, 1 - p_t and the BCE
    y, z, tail, complement, moderate, minus_magnitude = binary_logit_inputs(y_true, logits)
    if not (type(alpha) is float and type(gamma) is float  # plain floats in range (NaN
            and -np.inf < alpha <= 1.0 and 0.0 <= gamma < np.inf):  # fails) skip the checks
        alpha, gamma = check_scalar(alpha, "alpha", high=1.0), check_scalar(gamma, "gamma", low=0.0)
    # alpha < 0 switches the class weighting off, as in torchvision.
    if alpha >= 0:
        weight_pos, weight_neg = _class_weights(alpha)
        alpha_t = weight_pos * y + weight_neg * complement
    else:
        alpha_t = 1.0
    return y, z, tail, gamma, alpha_t, complement, moderate, minus_magnitude


def _focal_miss(y, sig_pos, sig_neg, complement):
    """1 - p_t = y (1 - p) + (1 - y) p: two non-negative terms, no cancellation."""
    return y * sig_neg + complement * sig_pos


def _focal_grad(y_true, logits, *, alpha=0.25, gamma=2.0):
    r"""Gradient of the sum-reduced :func:`focal` with respect to the logits.

    With :math:`u = 1 - p_t` and :math:`u' = (1 - 2y)\sigma(z)\sigma(-z)`:
    :math:`\alpha_t u^\gamma\big[(\sigma(z) - y) + \gamma\,\mathrm{ce}\,(1-2y)\,r\big]`,
    where :math:`r = \sigma(z)\sigma(-z)/u \in [0, 1]`.
    """
    y, z, tail, gamma, alpha_t, complement, moderate, _ = _focal_inputs(y_true, logits, alpha,
                                                                       gamma)
    sig_pos, sig_neg = sigmoid_pair(z, tail)
    miss = _focal_miss(y, sig_pos, sig_neg, complement)
    # r = sigma(z) sigma(-z) / u. u underflows to 0 only for a hard target (where u is one
    # of the two factors and r is the other one) and |z| > 700: up to there, one of y, 1 - y
    # is at least 1/2 and both sigmoids exceed e^-700 / 2, so u > 0.
    product = sig_pos * sig_neg
    if moderate:
        ratio = product / miss
    else:
        ratio = np.divide(product, miss, out=np.where(y >= 0.5, sig_pos, sig_neg), where=miss > 0)
    inner = logit_residual(y, sig_pos, sig_neg, complement=complement) + np.array(gamma) * (
        _ONE - _TWO * y) * ratio * bce_logits_values(y, z, tail, complement=complement)
    return alpha_t * _power(miss, gamma) * inner


def _focal_symbolic():
    r"""One element of :func:`focal` (with the :math:`\alpha_t` weight) in the logit ``z``."""
    p = symbolic_sigmoid(s.z)
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
    arguments=_LOGIT_ARGS,
    parameters={"alpha": s.alpha, "gamma": s.gamma},
    element="scalar",
    formula=(r"\alpha_t\,(1 - p_t)^{\gamma}\,\mathrm{ce}(y, z), \quad p = \sigma(z),\ "
             r"p_t = p\,y + (1 - p)(1 - y),\ \alpha_t = \alpha\,y + (1 - \alpha)(1 - y)"),
    gradients=(r"\alpha_t\,(1 - p_t)^{\gamma} \Big[(\sigma(z) - y) + \gamma\,(1 - 2y)\,"
               r"\frac{\sigma(z)\,\sigma(-z)}{1 - p_t}\,\mathrm{ce}(y, z)\Big]",),
)
def focal(y_true, logits, *, alpha=0.25, gamma=2.0):
    r"""Sigmoid focal loss (RetinaNet), torchvision ``sigmoid_focal_loss`` semantics.

    .. math:: \ell(y, z) = \alpha_t\,(1 - p_t)^{\gamma}\,\mathrm{ce}(y, z),
        \qquad p = \sigma(z),\quad p_t = p\,y + (1-p)(1-y),\quad
        \alpha_t = \alpha\,y + (1-\alpha)(1-y)

    where :math:`\mathrm{ce}` is :func:`~lossbook.classification.binary_cross_entropy_with_logits`.
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
        :math:`\alpha < 0` the loss is
        :func:`~lossbook.classification.binary_cross_entropy_with_logits`.
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
    y, z, tail, gamma, alpha_t, complement, _, minus_magnitude = _focal_inputs(
        y_true, logits, alpha, gamma)
    # the BCE and 1 - p_t = y sigma(-z) + (1 - y) sigma(z) (the two terms of _focal_miss, to
    # the bit) from one arrangement of the targets by the sign of z
    ce, unlikely_term, likely_term = bce_and_miss_terms(y, z, tail, complement, minus_magnitude)
    return alpha_t * _power(unlikely_term + likely_term, gamma) * ce


def _quality_focal_inputs(y_true, logits, beta):
    y, z, tail, complement, _, minus_magnitude = binary_logit_inputs(y_true, logits)
    beta = check_scalar(beta, "beta", low=0.0, low_open=True)
    return y, z, tail, complement, beta, minus_magnitude


def _quality_focal_grad(y_true, logits, *, beta=2.0):
    r"""Gradient of the sum-reduced :func:`quality_focal`: with :math:`d = \sigma(z) - y`,
    :math:`\operatorname{sign}(d)\,|d|^{\beta-1}\big(\beta\,\sigma(z)\sigma(-z)\,\mathrm{ce}
    + d^2\big)`, and 0 where :math:`d = 0`."""
    y, z, tail, complement, beta, _ = _quality_focal_inputs(y_true, logits, beta)
    sig_pos, sig_neg = sigmoid_pair(z, tail)
    gap = logit_residual(y, sig_pos, sig_neg, complement=complement)
    abs_gap = np.abs(gap)
    # |d|^(beta - 1) is infinite at d = 0 when beta < 1: then only evaluate it where
    # d != 0. (For beta >= 1 it is finite, and the sign(d) = 0 factor zeroes it there.)
    if beta >= 1.0:
        scale = np.power(abs_gap, beta - 1.0)
    else:
        scale = np.power(abs_gap, beta - 1.0, out=np.zeros_like(gap), where=gap != 0)
    curvature = np.array(beta) * sig_pos * sig_neg * bce_logits_values(y, z, tail,
                                                                      complement=complement)
    return np.sign(gap) * scale * (curvature + abs_gap**2)


def _quality_focal_symbolic():
    r"""One element of :func:`quality_focal`:
    :math:`|y - \sigma(z)|^\beta\,\mathrm{ce}(y, z)`."""
    p = symbolic_sigmoid(s.z)
    ce = -(s.y * sp.log(p) + (1 - s.y) * sp.log(1 - p))
    return sp.Abs(s.y - p) ** s.beta * ce


@register_loss(
    grad=_quality_focal_grad,
    symbolic=_quality_focal_symbolic,
    family="classification",
    estimates="the quality score (IoU of the box): the loss is 0 exactly at sigma(z) = y",
    bounded_gradient=True,
    chapter="detection/quality-focal-loss",
    arguments=_QUALITY_ARGS,
    parameters={"beta": s.beta},
    element="scalar",
    formula=r"|y - \sigma(z)|^{\beta}\,\mathrm{ce}(y, z)",
    gradients=(r"\operatorname{sign}(d)\,|d|^{\beta - 1} \big(\beta\,\sigma(z)\,\sigma(-z)\,"
               r"\mathrm{ce}(y, z) + d^2\big), \quad d = \sigma(z) - y",),
)
def quality_focal(y_true, logits, *, beta=2.0):
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
    y, z, tail, complement, beta, minus_magnitude = _quality_focal_inputs(y_true, logits, beta)
    ce, unlikely_term, likely_term = bce_and_miss_terms(y, z, tail, complement, minus_magnitude)
    # sigma(z) - y = (1 - y) sigma(z) - y sigma(-z) is +-(likely_term - unlikely_term)
    # (logit_residual's two products, subtracted in one order or the other): |d| is the same
    gap = likely_term - unlikely_term
    # an array's |d| ** 2.0 is numpy's square |d| * |d|, the same bits as d * d: no |d| pass
    if beta == 2.0 and type(gap) is np.ndarray:
        return np.square(gap) * ce
    return np.abs(gap) ** beta * ce


# --------------------------------------------------------------------------
# Distribution focal loss
# --------------------------------------------------------------------------


def _dfl_grad(y_true, logits):
    r"""Gradient of the sum-reduced :func:`distribution_focal_loss`:
    :math:`\operatorname{softmax}(z) - t`, :math:`t` the two-hot target."""
    z, left_index, left_weight, right_weight, bounded, starts = two_hot_bins(y_true, logits)
    right_index = left_index + 1
    target = np.zeros(z.size)
    target[left_index] = left_weight
    target[right_index] = right_weight
    # complement_sums(target) in closed form for two-hot rows: total - t_j, except at
    # the larger weight (the first on a tie), whose complement is the other weight. The
    # total is exactly 1: y - i is exact, and 1 - (y - i) is exact too for y - i >= 1/2
    # (Sterbenz), else off by at most 2^-54 (half an ulp in [1/2, 1)), which the sum with
    # y - i rounds away (to 1, the even neighbour, at a tie).
    complement = _ONE - target
    left_top = left_weight >= right_weight
    complement.reshape(-1)[np.where(left_top, left_index, right_index)] = np.where(
        left_top, right_weight, left_weight)
    # others: S - e_j, and at each row's top the rest of the sum, summed directly
    if z.flags.c_contiguous:  # the top by its flat index: no mask, no selection
        top_indices, _, e, rest = softmax_terms(z, starts, bounded)
        normaliser = _ONE + rest
        others = normaliser - e
        others.reshape(-1)[top_indices] = rest.reshape(-1)
    else:
        top, _, e, rest = softmax_parts(z, bounded, starts)
        normaliser = _ONE + rest
        others = np.where(top, rest, normaliser - e)
    # (e_j (1 - t_j) - t_j (S - e_j)) / S with both complements summed directly.
    return (e * complement.reshape(z.shape) - target.reshape(z.shape) * others) / normaliser


def _bin_symbols(k):
    """The logits z_0, ..., z_{k-1} of one row (the symbols of ``class_symbols``)."""
    return sp.symbols(f"z_0:{k}", real=True)


def _dfl_symbolic(k=4):
    r"""One row of :func:`distribution_focal_loss` with ``k`` bins, in ``symbols.y`` and
    the logits ``z_0, ..., z_{k-1}``: :math:`-\sum_j t_j(y)\log S_j` with the two-hot
    weights written as hat functions, :math:`t_j(y) = \max(0, 1 - |y - j|)`, which are
    :math:`i + 1 - y` and :math:`y - i` on the two bins around :math:`y` and 0 elsewhere."""
    logits = _bin_symbols(k)
    normaliser = sum(sp.exp(zi) for zi in logits)
    return -sum(sp.Max(0, 1 - sp.Abs(s.y - j)) * (zi - sp.log(normaliser))
                for j, zi in enumerate(logits))


@register_loss(
    grad=_dfl_grad,
    symbolic=_dfl_symbolic,
    family="classification",
    estimates="a distribution over the bins whose mean is the conditional mean of the "
    "edge offset (all mass on the two bins around y for a deterministic target)",
    bounded_gradient=True,
    chapter="detection/dfl-vfl",
    arguments=(Argument("y_true", s.y, domain="continuous bin positions in [0, K - 1]"),
               Argument("logits", s.z, differentiable=True, components=_bin_symbols,
                        domain="real logits, K bins on the last axis")),
    parameters={},
    element="class axis",
    formula=(r"-\big((i + 1 - y)\log S_i + (y - i)\log S_{i+1}\big), \quad "
             r"S = \operatorname{softmax}(z),\ i = \lfloor y \rfloor"),
    gradients=(r"\operatorname{softmax}(z)_j - t_j, \quad t_j = \max(0, 1 - |y - j|)",),
)
def distribution_focal_loss(y_true, logits):
    r"""Distribution focal loss of Generalized Focal Loss (Li et al., 2020).

    .. math:: \ell(y, z) = -\big((i + 1 - y)\log S_i + (y - i)\log S_{i+1}\big),
        \qquad S = \operatorname{softmax}(z),\quad i = \lfloor y \rfloor

    A box edge offset :math:`y \in [0, K - 1]` (in units of the bin width) is
    predicted as a discrete distribution :math:`S` over the integer bins
    :math:`0, \dots, K-1`; the loss is the cross-entropy against the
    "two-hot" target that puts weight :math:`i + 1 - y` on bin :math:`i` and
    :math:`y - i` on bin :math:`i + 1`, whose expectation is exactly
    :math:`y`. At :math:`y = K - 1` it is :math:`-\log S_{K-1}`.

    Parameters
    ----------
    y_true : array_like
        Continuous targets in :math:`[0, K - 1]`, of shape ``logits.shape[:-1]``
        (e.g. ``(n,)``, or ``(n, 4)`` for the four edges of ``n`` boxes).
    logits : array_like, shape (..., K)
        Logits over the :math:`K \ge 2` bins on the last axis (GFL uses
        :math:`K = 17`, ``reg_max = 16``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per target, shape ``y_true.shape``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-target losses for ``"none"``.

    Notes
    -----
    The gradient is :math:`\operatorname{softmax}(z) - t` for the two-hot
    :math:`t`, evaluated as in :func:`~lossbook.classification.cross_entropy` (each
    complement summed directly), so it is accurate relative to the two
    probabilities it subtracts. Implementations such as MMDetection clamp
    the target just below :math:`K - 1` instead of handling the end bin.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import distribution_focal_loss as dfl
    >>> logits = np.zeros((3, 4))  # uniform over 4 bins: -log S_j = log 4 everywhere
    >>> np.round(dfl([0.0, 1.25, 3.0], logits, reduction="none"), 6)
    array([1.386294, 1.386294, 1.386294])
    >>> dfl.grad([1.25], [[0.0, 0.0, 0.0, 0.0]])  # softmax minus (0, 0.75, 0.25, 0)
    array([[ 0.25, -0.5 ,  0.  ,  0.25]])
    """
    z, left_index, left_weight, right_weight, bounded, starts = two_hot_bins(y_true, logits)
    # -log S_j = (max z - z_j) + log1p(rest): non-negative terms, needed only at the
    # two bins that carry the target's weight.
    if z.flags.c_contiguous:
        left_ce, right_ce = neg_log_softmax_at(z, left_index, starts, bounded, and_next=True)
    else:  # (another layout sums in another order: the plain formulas, to the bit as ever)
        _, top_value, _, rest = softmax_parts(z, bounded)
        flat, top_value, log_rest = z.reshape(-1), top_value.reshape(-1), np.log1p(rest.reshape(-1))
        left_ce = (top_value - flat[left_index]) + log_rest
        right_ce = (top_value - flat[1:][left_index]) + log_rest  # z[i + 1]
    values = left_weight * left_ce + right_weight * right_ce
    return values if z.ndim == 2 else values.reshape(z.shape[:-1])


# --------------------------------------------------------------------------
# Varifocal loss
# --------------------------------------------------------------------------


def _vfl_inputs(y_true, logits, alpha, gamma):
    q, z, tail, complement, moderate, _ = binary_logit_inputs(y_true, logits)
    alpha = check_scalar(alpha, "alpha", low=0.0)
    gamma = check_scalar(gamma, "gamma", low=0.0)
    return q, z, tail, complement, moderate, alpha, gamma


def _sigmoid_power(z, sig_pos, gamma, moderate):
    """σ(z)^γ; for σ(z) subnormal (z < -700) from exp(γ z), since σ(z) = e^z there.
    ``moderate``: every |z| <= 700."""
    if moderate:  # the common case: no subnormal σ(z)
        return _power(sig_pos, gamma)
    deep = z < -700.0
    with np.errstate(under="ignore"):
        return np.where(deep, np.exp(gamma * np.where(deep, z, 0.0)), _power(sig_pos, gamma))


def _vfl_values(y_true, logits, alpha=0.75, gamma=2.0):
    q, z, tail, complement, moderate, alpha, gamma = _vfl_inputs(y_true, logits, alpha, gamma)
    sig_pos = sigmoid_positive(z, tail)
    ce = bce_logits_values(q, z, tail, complement=complement)
    # negatives: alpha sigma(z)^gamma BCE(z, 0), and where q = 0, ce is exactly
    # BCE(z, 0) = softplus(z) (its other term is 0 * softplus(-z)).
    negative = np.array(alpha) * _sigmoid_power(z, sig_pos, gamma, moderate) * ce
    if type(negative) is np.ndarray:  # a masked copy, cheaper than np.where's selection
        np.putmask(negative, q > _ZERO, q * ce)
        return negative
    return np.where(q > _ZERO, q * ce, negative)


def _vfl_grad(y_true, logits, *, alpha=0.75, gamma=2.0):
    r"""Gradient of the sum-reduced :func:`varifocal_loss` with respect to the logits:
    :math:`q(\sigma(z) - q)` for :math:`q > 0`;
    :math:`\alpha\sigma(z)^\gamma\big(\gamma\,\sigma(-z)\operatorname{softplus}(z)
    + \sigma(z)\big)` for :math:`q = 0`."""
    q, z, tail, complement, moderate, alpha, gamma = _vfl_inputs(y_true, logits, alpha, gamma)
    sig_pos, sig_neg = sigmoid_pair(z, tail)
    softplus_pos = softplus_pair(z, tail)[0]
    negative = np.array(alpha) * _sigmoid_power(z, sig_pos, gamma, moderate) * (
        np.array(gamma) * sig_neg * softplus_pos + sig_pos)
    positive = q * logit_residual(q, sig_pos, sig_neg, complement=complement)
    if type(negative) is np.ndarray:  # a masked copy, cheaper than np.where's selection
        np.putmask(negative, q > _ZERO, positive)
        return negative
    return np.where(q > _ZERO, positive, negative)


def _vfl_symbolic():
    r"""One element of :func:`varifocal_loss` in ``symbols.y`` (the IoU target :math:`q`)
    and ``symbols.z``: :math:`q\,\mathrm{bce}(q, z)` where :math:`q > 0`,
    :math:`\alpha\,\sigma(z)^\gamma\,\mathrm{bce}(0, z)` where :math:`q = 0`."""
    p = symbolic_sigmoid(s.z)
    positive = s.y * -(s.y * sp.log(p) + (1 - s.y) * sp.log(1 - p))
    negative = s.alpha * p**s.gamma * -sp.log(1 - p)
    return sp.Piecewise((positive, s.y > 0), (negative, True))


@register_loss(
    grad=_vfl_grad,
    symbolic=_vfl_symbolic,
    family="classification",
    estimates="the IoU of the box as a classification score: the loss of a positive is "
    "minimal at sigma(z) = q",
    bounded_gradient=True,
    chapter="detection/dfl-vfl",
    arguments=_QUALITY_ARGS,
    parameters={"alpha": s.alpha, "gamma": s.gamma},
    element="scalar",
    formula=(r"q\,\mathrm{ce}(q, z) \text{ if } q > 0, \quad "
             r"\alpha\,\sigma(z)^{\gamma}\,\mathrm{ce}(0, z) \text{ if } q = 0"),
    gradients=(r"q\,(\sigma(z) - q) \text{ if } q > 0, \quad \alpha\,\sigma(z)^{\gamma}"
               r"\big(\gamma\,\sigma(-z)\operatorname{softplus}(z) + \sigma(z)\big) "
               r"\text{ if } q = 0",),
)
def varifocal_loss(y_true, logits, *, alpha=0.75, gamma=2.0):
    r"""Varifocal loss of VarifocalNet (Zhang et al., 2021), IoU-weighted positives.

    .. math:: \ell(q, z) = \begin{cases}
            q\,\big(-q\log\sigma(z) - (1-q)\log(1-\sigma(z))\big) & q > 0 \\[1ex]
            -\alpha\,\sigma(z)^{\gamma}\log(1-\sigma(z)) & q = 0
        \end{cases}

    The target :math:`q` is the IoU of the predicted box with its ground truth
    for a positive, 0 for background. Only negatives are down-weighted (by
    :math:`\alpha\,|\sigma(z) - q|^\gamma = \alpha\,\sigma(z)^\gamma`, as in focal
    loss); positives are weighted up by their own IoU, so high-quality
    detections dominate training. This is MMDetection's ``varifocal_loss``
    with ``iou_weighted=True``.

    Parameters
    ----------
    y_true : array_like
        IoU-aware targets :math:`q \in [0, 1]`.
    logits : array_like
        Logits :math:`z`, same shape.
    alpha : float, default 0.75
        Weight :math:`\alpha \ge 0` of the negatives.
    gamma : float, default 2.0
        Focusing exponent :math:`\gamma \ge 0` of the negatives.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses. ``"mean"`` divides by the
        number of elements; detectors usually divide the sum by the number of
        positive anchors instead (``reduction="sum"`` and divide yourself).

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The weight of a negative depends on :math:`z` and is differentiated too
    (MMDetection does not detach it):

    .. math:: \frac{\partial\ell}{\partial z} = \alpha\,\sigma(z)^\gamma
        \big(\gamma\,\sigma(-z)\operatorname{softplus}(z) + \sigma(z)\big)
        \quad (q = 0), \qquad q\,(\sigma(z) - q) \quad (q > 0),

    with :math:`\sigma(z) - q` evaluated as :math:`(1-q)\sigma(z) - q\,\sigma(-z)`.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import varifocal_loss as vfl
    >>> np.round(vfl([0.0, 0.8], [0.0, 0.0], reduction="none"), 6)  # 0.75/4 log 2, 0.8 log 2
    array([0.129965, 0.554518])
    >>> np.round(vfl.grad([0.0, 0.8], [0.0, 0.0]), 6)  # 0.75/4 (log 2 + 1/2), 0.8 (1/2 - 0.8)
    array([ 0.223715, -0.24    ])
    """
    return _vfl_values(y_true, logits, alpha, gamma)
