r"""The rest of the generalized focal loss family for dense detection.

:func:`distribution_focal_loss` (Li et al., 2020, Generalized Focal Loss)
treats each box edge as a discrete distribution over integer bins and pushes
its mass onto the two bins around the continuous target;
:func:`varifocal_loss` (Zhang et al., 2021, VarifocalNet) is an asymmetric
focal loss for an IoU-aware classification score. Quality focal loss, the
third loss of GFL, is :func:`lossbook.classification.quality_focal`.
"""

import numpy as np
import sympy as sp

from . import symbols as sym
from ._registry import register_loss
from ._validation import as_float_array, check_pair, check_probabilities, check_scalar, reduce
from .classification import (
    _bce_logits_values,
    _complement_sums,
    _logit_residual,
    _sigmoid_pair,
    _softmax_parts,
    _softplus_pair,
    _tail,
)

__all__ = ["distribution_focal_loss", "varifocal_loss"]


# --------------------------------------------------------------------------
# Distribution focal loss
# --------------------------------------------------------------------------


def _dfl_inputs(y_true, logits):
    """Validate; return the two-hot target distribution and the logits, both (..., K)."""
    z = as_float_array(logits, "logits")
    if z.ndim < 2 or z.shape[-1] < 2:
        raise ValueError(
            f"logits must have shape (n, K) with K >= 2 bins on the last axis, got {z.shape}"
        )
    y = as_float_array(y_true, "y_true")
    if y.shape != z.shape[:-1]:
        raise ValueError(
            f"y_true must hold one target per row of logits, shape {z.shape[:-1]}; "
            f"got {y.shape} (inputs are never broadcast)"
        )
    k = z.shape[-1]
    if np.any((y < 0) | (y > k - 1)):
        raise ValueError(
            f"y_true must lie in [0, K - 1] = [0, {k - 1}] for logits with K = {k} bins; "
            f"found {y.min():g} to {y.max():g}"
        )
    # The left bin i = floor(y), moved down to K - 2 at y = K - 1, where the
    # right weight y - i becomes 1: the same loss, -log S_{K-1}.
    left = np.minimum(np.floor(y), k - 2)
    right_weight = y - left  # exact (Sterbenz) for left >= 1; y itself for left = 0
    left_weight = (left + 1.0) - y
    target = np.zeros_like(z)
    idx = left.astype(np.intp)[..., None]
    np.put_along_axis(target, idx, left_weight[..., None], axis=-1)
    np.put_along_axis(target, idx + 1, right_weight[..., None], axis=-1)
    return target, z


def _dfl_values(y_true, logits):
    target, z = _dfl_inputs(y_true, logits)
    _, top_value, _, rest = _softmax_parts(z)
    # -log S_j = (max z - z_j) + log1p(rest): non-negative terms.
    return np.sum(target * ((top_value - z) + np.log1p(rest)), axis=-1)


def _dfl_grad(y_true, logits):
    r"""Gradient of the sum-reduced :func:`distribution_focal_loss`:
    :math:`\operatorname{softmax}(z) - t`, :math:`t` the two-hot target."""
    target, z = _dfl_inputs(y_true, logits)
    top, _, e, rest = _softmax_parts(z)
    others = np.where(top, rest, (1.0 + rest) - e)
    # (e_j (1 - t_j) - t_j (S - e_j)) / S with both complements summed directly.
    return (e * _complement_sums(target) - target * others) / (1.0 + rest)


def _dfl_symbolic(k=4, left=1):
    r"""One edge of :func:`distribution_focal_loss` with ``k`` bins and target
    :math:`y \in [\text{left}, \text{left} + 1]`, in ``symbols.y`` and the logits
    ``z_0, ..., z_{k-1}``: :math:`-((i + 1 - y)\log S_i + (y - i)\log S_{i+1})`."""
    logits = sp.symbols(f"z_0:{k}", real=True)
    normaliser = sum(sp.exp(zi) for zi in logits)
    i = left
    log_s = [zi - sp.log(normaliser) for zi in logits]
    return -((i + 1 - sym.y) * log_s[i] + (sym.y - i) * log_s[i + 1])


@register_loss(
    grad=_dfl_grad,
    symbolic=_dfl_symbolic,
    family="boxes",
    estimates="a distribution over the bins whose expectation is the conditional mean of "
    "the edge offset (mass on the two bins around y for a deterministic target)",
    bounded_gradient=True,
    chapter="detection/dfl-vfl",
)
def distribution_focal_loss(y_true, logits, *, reduction="mean"):
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
    :math:`t`, evaluated as in :func:`~lossbook.cross_entropy` (each
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
    return reduce(_dfl_values(y_true, logits), reduction)


# --------------------------------------------------------------------------
# Varifocal loss
# --------------------------------------------------------------------------


def _vfl_inputs(y_true, logits, alpha, gamma):
    q, z = check_pair(y_true, logits, names=("y_true", "logits"))
    check_probabilities(q, "y_true")
    alpha = check_scalar(alpha, "alpha", low=0.0)
    gamma = check_scalar(gamma, "gamma", low=0.0)
    return q, z, alpha, gamma


def _sigmoid_power(z, sig_pos, gamma):
    """σ(z)^γ; for σ(z) subnormal (z < -700) from exp(γ z), since σ(z) = e^z there."""
    deep = z < -700.0
    with np.errstate(under="ignore"):
        return np.where(deep, np.exp(gamma * np.where(deep, z, 0.0)), sig_pos**gamma)


def _vfl_values(y_true, logits, alpha=0.75, gamma=2.0):
    q, z, alpha, gamma = _vfl_inputs(y_true, logits, alpha, gamma)
    tail = _tail(z)
    sig_pos, _ = _sigmoid_pair(z, tail)
    positive = q > 0
    # negatives: alpha sigma(z)^gamma BCE(z, 0) = alpha sigma(z)^gamma softplus(z)
    negative = alpha * _sigmoid_power(z, sig_pos, gamma) * _softplus_pair(z, tail)[0]
    return np.where(positive, q * _bce_logits_values(q, z, tail), negative)


def _vfl_grad(y_true, logits, *, alpha=0.75, gamma=2.0):
    r"""Gradient of the sum-reduced :func:`varifocal_loss` with respect to the logits:
    :math:`q(\sigma(z) - q)` for :math:`q > 0`;
    :math:`\alpha\sigma(z)^\gamma\big(\gamma\,\sigma(-z)\operatorname{softplus}(z)
    + \sigma(z)\big)` for :math:`q = 0`."""
    q, z, alpha, gamma = _vfl_inputs(y_true, logits, alpha, gamma)
    tail = _tail(z)
    sig_pos, sig_neg = _sigmoid_pair(z, tail)
    softplus_pos = _softplus_pair(z, tail)[0]
    negative = alpha * _sigmoid_power(z, sig_pos, gamma) * (
        gamma * sig_neg * softplus_pos + sig_pos)
    return np.where(q > 0, q * _logit_residual(q, sig_pos, sig_neg), negative)


def _vfl_symbolic(positive=True):
    r"""One element of :func:`varifocal_loss` in ``symbols.y`` (the IoU target :math:`q`)
    and ``symbols.z``: :math:`q\,\mathrm{bce}(q, z)` for a positive (``positive=True``,
    :math:`q > 0`), :math:`\alpha\,\sigma(z)^\gamma\,\mathrm{bce}(0, z)` for a negative."""
    p = 1 / (1 + sp.exp(-sym.z))
    if positive:
        return sym.y * -(sym.y * sp.log(p) + (1 - sym.y) * sp.log(1 - p))
    return sym.alpha * p**sym.gamma * -sp.log(1 - p)


@register_loss(
    grad=_vfl_grad,
    symbolic=_vfl_symbolic,
    family="classification",
    estimates="the IoU of the box as a classification score: the loss of a positive is "
    "minimal at sigma(z) = q",
    bounded_gradient=True,
    chapter="detection/dfl-vfl",
)
def varifocal_loss(y_true, logits, *, alpha=0.75, gamma=2.0, reduction="mean"):
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
    return reduce(_vfl_values(y_true, logits, alpha, gamma), reduction)
