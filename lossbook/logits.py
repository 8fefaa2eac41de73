r"""Stable logit numerics: the sigmoid, the softmax and their logarithms.

The ground every loss on logits stands on (:mod:`lossbook.classification`,
:mod:`lossbook.detection` and the new parts): exact for every finite logit,
nothing overflows, and :math:`1 - \sigma(z)` is never formed by subtraction.
The public functions validate their input; the building blocks below them
(no leading underscore, not in ``__all__``) take validated float64 arrays and
are what the losses use.
"""

import numpy as np
import sympy as sp

from ._validation import as_float_array, check_has_axis, check_pair, check_probabilities

__all__ = ["sigmoid", "log_sigmoid", "softmax", "log_softmax"]


def symbolic_sigmoid(z):
    return 1 / (1 + sp.exp(-z))


# --------------------------------------------------------------------------
# Stable building blocks (no validation: callers pass validated float arrays)
# --------------------------------------------------------------------------


def exp_minus_abs(z):
    """e^-|z| in (0, 1]: the one exponential the logit functions need (never overflows)."""
    return np.exp(-np.abs(z))


def sigmoid_pair(z, tail):
    """σ(z) and σ(-z) from ``tail = e^-|z|``; neither is formed as 1 minus the other."""
    big = 1.0 / (1.0 + tail)  # σ(|z|)
    small = tail * big  # σ(-|z|)
    positive = z >= 0
    return np.where(positive, big, small), np.where(positive, small, big)


def softplus_pair(z, tail):
    """softplus(z) and softplus(-z) from ``tail = e^-|z|``: each is
    max(±z, 0) + log1p(tail), a sum of non-negative terms."""
    log_tail = np.log1p(tail)
    return np.maximum(z, 0.0) + log_tail, np.maximum(-z, 0.0) + log_tail


def row_argmax_mask(x):
    """Boolean mask of the first arg-max entry along the last axis of each row.

    Flat indexing rather than ``np.put_along_axis``, whose Python overhead dominates on
    small arrays.
    """
    k = x.shape[-1]
    mask = np.zeros(x.size, dtype=bool)
    mask[np.arange(0, x.size, k) + np.argmax(x, axis=-1).reshape(-1)] = True
    return mask.reshape(x.shape)


def softmax_parts(z):
    """Shifted exponentials of each row of logits, and what softmax needs of them.

    Returns ``top`` (mask of the arg-max entry of each row), ``top_value``
    (the row maxima), ``e = exp(z - top_value)`` and ``rest``, the sum of ``e``
    over the entries other than the top one: summed directly, so that
    ``log1p(rest)`` stays accurate when one logit dominates. The softmax is
    ``e / (1 + rest)``.
    """
    top = row_argmax_mask(z)
    top_value = np.max(z, axis=-1, keepdims=True)
    e = np.exp(z - top_value)
    rest = np.where(top, 0.0, e).sum(axis=-1, keepdims=True)
    return top, top_value, e, rest


def complement_sums(t):
    """For every entry of each row of ``t`` >= 0, the sum of the other entries.

    The largest entry's complement is summed directly; for the others,
    ``total - t_j >= total / 2``, so the subtraction is well conditioned.
    """
    top = row_argmax_mask(t)
    rest = np.where(top, 0.0, t).sum(axis=-1, keepdims=True)
    return np.where(top, rest, t.sum(axis=-1, keepdims=True) - t)


def logit_residual(y, sig_pos, sig_neg, pos_weight=1.0):
    """(1 - y) σ(z) - w y σ(-z): the gradient of BCE with logits, σ(z) - y when w = 1.

    Written with σ(-z) rather than 1 - σ(z) so that it stays exact when y is 0
    or 1 and |z| is large.
    """
    return (1.0 - y) * sig_pos - pos_weight * y * sig_neg


def bce_logits_values(y, z, tail, pos_weight=1.0):
    """w y softplus(-z) + (1 - y) softplus(z): two non-negative terms."""
    softplus_pos, softplus_neg = softplus_pair(z, tail)
    return pos_weight * y * softplus_neg + (1.0 - y) * softplus_pos



def targets_and_logits(y_true, logits):
    """Targets in [0, 1] and logits of the same shape (the binary losses on logits)."""
    y, z = check_pair(y_true, logits, names=("y_true", "logits"))
    check_probabilities(y, "y_true")
    return y, z



# --------------------------------------------------------------------------
# Public functions
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
    >>> from lossbook.logits import sigmoid
    >>> sigmoid([0.0, -800.0, 800.0])
    array([0.5, 0. , 1. ])
    >>> float(sigmoid(-40.0))  # 1 - sigmoid(40) would give 0
    4.248354255291589e-18
    """
    z = as_float_array(z, "z")
    return sigmoid_pair(z, exp_minus_abs(z))[0]


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
    >>> from lossbook.logits import log_sigmoid
    >>> log_sigmoid([0.0, -1000.0])
    array([-6.93147181e-01, -1.00000000e+03])
    >>> float(log_sigmoid(40.0))
    -4.248354255291589e-18
    """
    z = as_float_array(z, "z")
    return -softplus_pair(z, exp_minus_abs(z))[1]


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
    >>> from lossbook.logits import softmax
    >>> softmax([[0.0, 0.0], [1e4, 0.0]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    z = np.moveaxis(as_logit_rows(z, "z"), axis, -1)
    _, _, e, rest = softmax_parts(z)
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
    >>> from lossbook.logits import log_softmax
    >>> log_softmax([0.0, -1e4])
    array([     0., -10000.])
    >>> float(log_softmax([0.0, -50.0])[0])
    -1.9287498479639178e-22
    """
    z = np.moveaxis(as_logit_rows(z, "z"), axis, -1)
    _, top_value, _, rest = softmax_parts(z)
    return np.moveaxis((z - top_value) - np.log1p(rest), -1, axis)


def as_logit_rows(z, name):
    """Validated logits with at least one axis (the classes on the last one, or on ``axis``)."""
    return check_has_axis(as_float_array(z, name), name, "classes")
