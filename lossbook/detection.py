r"""The focal family of the detection part: focal loss and quality focal loss.

(The box losses of the same part are in :mod:`lossbook.boxes`.)

Both are binary cross-entropy on logits, re-weighted: the focal loss
(RetinaNet, Lin et al., 2017) by :math:`\alpha_t (1 - p_t)^\gamma`, the
quality focal loss (Generalized Focal Loss, Li et al., 2020) by
:math:`|y - \sigma(z)|^\beta` for a continuous quality target. Both use the
stable logit numerics of :mod:`lossbook.logits`.
"""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._validation import check_scalar
from .logits import (
    bce_logits_values,
    exp_minus_abs,
    logit_residual,
    sigmoid_pair,
    symbolic_sigmoid,
    targets_and_logits,
)

__all__ = ["focal", "quality_focal"]

_LOGIT_ARGS = (Argument("y_true", s.y, domain="targets in [0, 1]: labels 0/1 or soft"),
               Argument("logits", s.z, differentiable=True, domain="real logits"))
_QUALITY_ARGS = (Argument("y_true", s.y, domain="quality targets in [0, 1] (IoU; 0 = background)"),
                 _LOGIT_ARGS[1])


def _focal_inputs(y_true, logits, alpha, gamma):
    y, z = targets_and_logits(y_true, logits)
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
    tail = exp_minus_abs(z)
    sig_pos, sig_neg = sigmoid_pair(z, tail)
    miss = _focal_miss(y, sig_pos, sig_neg)
    # r = sigma(z) sigma(-z) / u. u underflows to 0 only for a hard target,
    # where u is one of the two factors and r is the other one.
    ratio = np.divide(sig_pos * sig_neg, miss, out=np.where(y >= 0.5, sig_pos, sig_neg),
                      where=miss > 0)
    inner = logit_residual(y, sig_pos, sig_neg) + gamma * (1.0 - 2.0 * y) * ratio * (
        bce_logits_values(y, z, tail))
    return alpha_t * miss**gamma * inner


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
    y, z, gamma, alpha_t = _focal_inputs(y_true, logits, alpha, gamma)
    tail = exp_minus_abs(z)
    miss = _focal_miss(y, *sigmoid_pair(z, tail))
    return alpha_t * miss**gamma * bce_logits_values(y, z, tail)


def _quality_focal_inputs(y_true, logits, beta):
    y, z = targets_and_logits(y_true, logits)
    beta = check_scalar(beta, "beta", low=0.0, low_open=True)
    return y, z, beta


def _quality_focal_grad(y_true, logits, *, beta=2.0):
    r"""Gradient of the sum-reduced :func:`quality_focal`: with :math:`d = \sigma(z) - y`,
    :math:`\operatorname{sign}(d)\,|d|^{\beta-1}\big(\beta\,\sigma(z)\sigma(-z)\,\mathrm{ce}
    + d^2\big)`, and 0 where :math:`d = 0`."""
    y, z, beta = _quality_focal_inputs(y_true, logits, beta)
    tail = exp_minus_abs(z)
    sig_pos, sig_neg = sigmoid_pair(z, tail)
    gap = logit_residual(y, sig_pos, sig_neg)
    abs_gap = np.abs(gap)
    # |d|^(beta - 1) is infinite at d = 0 when beta < 1: only evaluate it where d != 0.
    scale = np.power(abs_gap, beta - 1.0, out=np.zeros_like(gap), where=gap != 0)
    curvature = beta * sig_pos * sig_neg * bce_logits_values(y, z, tail)
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
    y, z, beta = _quality_focal_inputs(y_true, logits, beta)
    tail = exp_minus_abs(z)
    gap = logit_residual(y, *sigmoid_pair(z, tail))
    return np.abs(gap) ** beta * bce_logits_values(y, z, tail)
