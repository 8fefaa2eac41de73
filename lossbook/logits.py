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

from ._precise import two_prod, two_sum
from ._validation import (
    BOUNDED_LOGIT,
    all_finite,
    as_float_array,
    check_has_axis,
    check_pair,
    check_probabilities,
    in_unit_interval,
    is_plain_pair,
    row_starts,
)

__all__ = ["sigmoid", "log_sigmoid", "softmax", "log_softmax"]


def symbolic_sigmoid(z):
    return 1 / (1 + sp.exp(-z))


# --------------------------------------------------------------------------
# Stable building blocks (no validation: callers pass validated float arrays)
# --------------------------------------------------------------------------


# Constants as 0-d arrays: numpy takes a slower path for a Python-float operand (about
# 0.3 µs a call on 100 entries); the arithmetic, and so every bit, is the same.
_ZERO, _ONE = np.array(0.0), np.array(1.0)


def exp_minus_abs(z):
    """e^-|z| in (0, 1]: the one exponential the logit functions need (never overflows)."""
    return np.exp(-np.abs(z))


def sigmoid_pair(z, tail):
    """σ(z) and σ(-z) from ``tail = e^-|z|``; neither is formed as 1 minus the other."""
    big = _ONE / (_ONE + tail)  # σ(|z|)
    small = tail * big  # σ(-|z|)
    positive = z >= _ZERO
    if type(big) is np.ndarray:  # masked copies, cheaper than np.where's selections
        sig_pos = small.copy()
        np.putmask(sig_pos, positive, big)
        np.putmask(big, positive, small)  # σ(-z) in place of σ(|z|)
        return sig_pos, big
    return np.where(positive, big, small), np.where(positive, small, big)


def sigmoid_positive(z, tail):
    """σ(z) alone from ``tail = e^-|z|``: the first of :func:`sigmoid_pair`, bit for bit,
    with one selection fewer."""
    big = _ONE / (_ONE + tail)
    small = tail * big
    if type(small) is np.ndarray:  # a masked copy, cheaper than np.where's selection
        np.putmask(small, z >= _ZERO, big)
        return small
    return np.where(z >= _ZERO, big, small)


def softplus_pair(z, tail):
    """softplus(z) and softplus(-z) from ``tail = e^-|z|``: each is
    max(±z, 0) + log1p(tail), a sum of non-negative terms."""
    log_tail = np.log1p(tail)
    positive_part = np.maximum(z, _ZERO)
    softplus_pos = positive_part + log_tail
    # max(-z, 0) is max(z, 0) - z exactly (one of the two is 0): no pass to negate z
    return softplus_pos, (positive_part - z) + log_tail


def _row_top_indices(x, starts=None):
    """Flat indices (in C order) of the first arg-max entry of each row of ``x``.

    ``x.argmax`` (the method: ``np.argmax``'s dispatch costs more than the work on small
    arrays) plus each row's start, for flat indexing rather than ``np.put_along_axis``,
    whose Python overhead dominates on small arrays.
    """
    top = x.argmax(axis=-1)
    return (row_starts(x) if starts is None else starts) + (top if x.ndim == 2 else top.reshape(-1))


def _at(x, flat_indices):
    """The entries of the C-contiguous ``x`` at one flat index per row, shaped as a
    ``keepdims`` reduction over the last axis. At the arg-max these are the row maxima, read
    rather than reduced a second time (a gather costs a fifth of a reduction); only a
    maximum of 0 may carry the other sign than ``np.maximum.reduce``'s, its row then holds
    two zeros (``rest >= 1``), and a gap of -0 for +0 enters only as ``e^gap`` or beside
    ``log1p(rest)``: the same results."""
    return x.reshape(-1)[flat_indices].reshape(x.shape[:-1] + (1,))


def _mask_at(shape, flat_indices):
    mask = np.zeros(shape, dtype=bool)
    mask.reshape(-1)[flat_indices] = True
    return mask


def _sum_without(x, flat_indices):
    """Row sums of the C-contiguous ``x`` over every entry but one per row: that entry is set
    to 0 for the sum and restored, so the sum is ``np.where(mask, 0.0, x).sum(...)`` to the
    bit, without the temporary."""
    flat = x.reshape(-1)
    saved = flat[flat_indices]
    flat[flat_indices] = 0.0
    sums = np.add.reduce(x, axis=-1, keepdims=True)
    flat[flat_indices] = saved
    return sums


def _sum_without_top(e, top_indices):
    """:func:`_sum_without` for shifted exponentials ``e``, whose entry at each row's top is
    exactly 1 (``exp(0)``): it is restored without being read first."""
    flat = e.reshape(-1)
    flat[top_indices] = 0.0
    sums = np.add.reduce(e, axis=-1, keepdims=True)
    flat[top_indices] = 1.0
    return sums


def row_argmax_mask(x):
    """Boolean mask of the first arg-max entry along the last axis of each row."""
    return _mask_at(x.shape, _row_top_indices(x))


#: Gaps z - max z down to -32 are rounded to at most 32 * 2^-53 relative in e^gap; beyond,
#: the rounding error of the gap is put back, so that a loss made of tail probabilities
#: e^gap (logits a thousand apart) keeps a relative error near 1e-16, not |gap| * 2^-53.
_ROUNDED_GAP = 32.0


def shifted_exp(z, top_value, bounded=False):
    """``exp(z - top_value)`` (``top_value`` the row maxima), each entry to about an ulp.

    The gap ``z - top_value`` is rounded when formed; where a gap is below ``-_ROUNDED_GAP``
    (there alone: an entry's bits depend on its own gap, not on the rest of a batch) its
    exact remainder ``lo`` (TwoSum, half an ulp of the gap) is put back as ``e^gap (1 + lo)``.
    ``bounded``: the caller knows that no gap is below ``-_ROUNDED_GAP`` (every
    ``|z| <= _ROUNDED_GAP / 2``), which saves the reduction that finds out.
    """
    return exp_of_gap(z, top_value, np.subtract(z, top_value), bounded)


def exp_of_gap(z, top_value, gap, bounded=False):
    """:func:`shifted_exp` from the rounded gaps ``gap = z - top_value`` (a fresh array,
    which becomes the result, in place)."""
    if bounded or np.minimum.reduce(gap, axis=None) >= -_ROUNDED_GAP:
        return np.exp(gap, out=gap)
    lo = np.where(gap < -_ROUNDED_GAP, two_sum(z, -top_value)[1], _ZERO)
    e = np.exp(gap, out=gap)
    e += e * lo
    return e


#: ``BOUNDED_LOGIT`` (16, half of ``_ROUNDED_GAP``) as a 0-d operand: every |z| <= 16
#: leaves no gap z - max z below -32 (the ``bounded`` of :func:`shifted_exp`).
_BOUNDED_LOGIT = np.array(BOUNDED_LOGIT)


def gaps_bounded(z):
    """For the float64 array ``z``: ``None`` if some entry is not finite; else whether
    every ``|z| <= 16``, so that no gap ``z - max z`` is below ``-_ROUNDED_GAP`` (the
    ``bounded`` of :func:`shifted_exp`)."""
    magnitude = np.abs(z)
    # On a small array, counting the entries within the bound (NaN is not) costs less than
    # a reduction, and in the common case nothing else is needed.
    if (z.size <= _FUSED_CHECK_LIMIT
            and np.count_nonzero(magnitude <= _BOUNDED_LOGIT) == magnitude.size):
        return True
    largest = np.maximum.reduce(magnitude, axis=None)
    return bool(largest <= _BOUNDED_LOGIT) if largest < np.inf else None


def tempered_softmax_terms(z, temperature):
    """:func:`softmax_terms` of the rows of the C-contiguous ``z / temperature``: ``top_indices,
    e, rest`` (the row maxima of the scaled logits are 0), each ``e`` to about an ulp: the gap
    ``z - max z`` and its division by the temperature are both rounded, so where a scaled gap
    is below ``-_ROUNDED_GAP`` (there alone) their remainders are put back as e^a (1 + lo)."""
    top_value = np.maximum.reduce(z, axis=-1, keepdims=True)
    gap = z - top_value
    scaled = gap / temperature if temperature != 1.0 else gap  # (gap / 1 is gap)
    top_indices = _row_top_indices(z)
    e = np.exp(scaled)
    rest = _sum_without_top(e, top_indices)
    if np.minimum.reduce(scaled, axis=None) >= -_ROUNDED_GAP:
        return top_indices, e, rest
    gap_lo = two_sum(z, -top_value)[1]
    prod_hi, prod_lo = two_prod(scaled, temperature)
    e_lo = e * ((((gap - prod_hi) - prod_lo) + gap_lo) / temperature)  # 0 at each top entry
    e_lo[scaled >= -_ROUNDED_GAP] = 0.0
    e += e_lo
    return top_indices, e, rest + np.add.reduce(e_lo, axis=-1, keepdims=True)


def tempered_softmax(z, temperature, bounded=False):
    """``softmax(z / temperature)`` of the rows of a C-contiguous ``z``, each entry to a few
    ulp: the shifted exponentials of :func:`tempered_softmax_terms` (remainders put back
    where some scaled gap is below ``-_ROUNDED_GAP``) over their row sum. ``bounded``:
    the caller knows that no scaled gap is below ``-_ROUNDED_GAP`` (every
    ``|z| <= temperature * _ROUNDED_GAP / 2``), which saves the reduction that finds out."""
    top_value = np.maximum.reduce(z, axis=-1, keepdims=True)
    gap = z - top_value
    scaled = gap / temperature if temperature != 1.0 else gap  # (gap / 1 is gap)
    e = np.exp(scaled)
    if not bounded and np.minimum.reduce(scaled, axis=None) < -_ROUNDED_GAP:
        gap_lo = two_sum(z, -top_value)[1]
        prod_hi, prod_lo = two_prod(scaled, temperature)
        e += e * ((((gap - prod_hi) - prod_lo) + gap_lo) / temperature)
    e /= np.add.reduce(e, axis=-1, keepdims=True)
    return e


def softmax_terms(z, starts=None, bounded=False):
    """:func:`softmax_parts` of a C-contiguous ``z``, with the flat (C-order) index of each
    row's top entry in place of the mask: ``top_indices, top_value, e, rest``.
    ``starts`` is ``row_starts(z)``, if the caller has it already; ``bounded`` as in
    :func:`shifted_exp`."""
    top_indices = _row_top_indices(z, starts)
    top_value = _at(z, top_indices)
    e = shifted_exp(z, top_value, bounded)
    return top_indices, top_value, e, _sum_without_top(e, top_indices)


def neg_log_softmax_at(z, flat_indices, starts=None, bounded=False, and_next=False):
    r"""``-log softmax(z)_j = log1p(rest) - (z_j - max z)`` of the rows of the
    C-contiguous ``z`` at one entry ``j`` per row (the flat indices ``flat_indices``),
    one value per row; with ``and_next``, a second array of them at the entries
    ``j + 1`` (the two bins of a two-hot target). Each gap ``z_j - max z`` is read off
    the gaps that the shifted exponentials are made of (before they become those
    exponentials), and ``log1p(rest) - gap`` is ``(max z - z_j) + log1p(rest)`` to the
    bit (``max z - z_j`` is ``-(z_j - max z)`` exactly): two non-negative terms.
    ``starts`` and ``bounded`` as in :func:`softmax_terms`."""
    rows = z if z.ndim == 2 else z.reshape(-1, z.shape[-1])  # a view: the same rows
    top_indices = _row_top_indices(rows, starts)
    top_value = _at(rows, top_indices)
    gap = np.subtract(rows, top_value)
    flat_gap = gap.reshape(-1)
    gap_at = flat_gap[flat_indices]
    gap_next = flat_gap[1:][flat_indices] if and_next else None
    exp_of_gap(rows, top_value, gap, bounded)  # in place: flat_gap is e now
    # the top's e^0 = 1 is the 1 of log1p; the exponentials are scratch here: not restored
    flat_gap[top_indices] = 0.0
    log_rest = np.log1p(np.add.reduce(gap, axis=-1))
    if and_next:
        return log_rest - gap_at, log_rest - gap_next
    return log_rest - gap_at


def softmax_parts(z, bounded=False, starts=None):
    """Shifted exponentials of each row of logits, and what softmax needs of them.

    Returns ``top`` (mask of the arg-max entry of each row), ``top_value``
    (the row maxima), ``e = exp(z - top_value)`` and ``rest``, the sum of ``e``
    over the entries other than the top one: summed directly, so that
    ``log1p(rest)`` stays accurate when one logit dominates. The softmax is
    ``e / (1 + rest)``. ``bounded`` as in :func:`shifted_exp`; ``starts`` as in
    :func:`softmax_terms` (used for a C-contiguous ``z``).
    """
    if z.flags.c_contiguous:
        top_indices, top_value, e, rest = softmax_terms(z, starts, bounded)
        return _mask_at(z.shape, top_indices), top_value, e, rest
    # Another layout sums in another order: the plain formulas, to the bit as ever.
    top = row_argmax_mask(z)
    top_value = np.maximum.reduce(z, axis=-1, keepdims=True)
    e = shifted_exp(z, top_value, bounded)
    return top, top_value, e, np.where(top, 0.0, e).sum(axis=-1, keepdims=True)


def one_hot_cross_entropy(z, starts, targets, bounded=False):
    r"""Softmax cross-entropy :math:`\log\sum_i e^{z_i} - z_t` of each row of the
    C-contiguous ``z`` with a one-hot target (flat index ``targets``, ``starts`` =
    ``lossbook._validation.row_starts(z)``): ``(max z - z_t) + log1p(rest)``. With logits of
    finite spread (``lossbook._validation.finite_spread``) this is, to the bit, the sum over the row
    of ``t_j (max z - z_j + log1p(rest))`` with ``t`` one-hot: every other term is an
    exact 0. ``bounded`` as in :func:`shifted_exp`."""
    return neg_log_softmax_at(z, targets, starts, bounded)


def one_hot_cross_entropy_grad(z, starts, targets, bounded=False):
    """Gradient of :func:`one_hot_cross_entropy` (summed over rows), ``softmax(z) - t``.
    ``bounded`` as in :func:`shifted_exp`."""
    return softmax_minus_one_hot(targets, *softmax_terms(z, starts, bounded))


def softmax_minus_one_hot(targets, top_indices, top_value, e, rest):
    """``softmax(z) - t`` for one-hot rows ``t`` (flat indices ``targets``) from the
    :func:`softmax_terms` of ``z``, in place in ``e``: ``e_j / S`` off the target and
    ``(0 - (S - e_t)) / S`` at it (``S`` the sum of ``e = exp(z - max z)``, ``S - e_t``
    summed without cancellation). These are the operations of the general
    ``(e_j (T - t_j) - t_j (S - e_j)) / S`` on a one-hot row, where each product with a 0
    or a 1 is exact: the same bits."""
    row_total = _ONE + rest  # S, one per row (rest keeps its dimension)
    rest, total, flat = rest.reshape(-1), row_total.reshape(-1), e.reshape(-1)
    others = np.where(targets == top_indices, rest, total - flat[targets])
    np.divide(e, row_total, out=e)
    flat[targets] = np.subtract(_ZERO, others) / total
    return e


def complement_sums(t):
    """For every entry of each row of ``t`` >= 0, the sum of the other entries.

    The largest entry's complement is summed directly; for the others,
    ``total - t_j >= total / 2``, so the subtraction is well conditioned.
    """
    total = np.add.reduce(t, axis=-1, keepdims=True)
    if not t.flags.c_contiguous:
        top = row_argmax_mask(t)
        rest = np.where(top, 0.0, t).sum(axis=-1, keepdims=True)
        return np.where(top, rest, total - t)
    top_indices = _row_top_indices(t)
    rest = _sum_without(t.copy(), top_indices)  # a copy: t may be the caller's
    out = np.subtract(total, t)
    out.reshape(-1)[top_indices] = rest.reshape(-1)
    return out


def logit_residual(y, sig_pos, sig_neg, pos_weight=1.0, complement=None):
    """(1 - y) σ(z) - w y σ(-z): the gradient of BCE with logits, σ(z) - y when w = 1.

    Written with σ(-z) rather than 1 - σ(z) so that it stays exact when y is 0
    or 1 and |z| is large. ``complement`` is ``1 - y``, if the caller has it already.
    """
    if complement is None:
        complement = _ONE - y
    if type(pos_weight) is float and pos_weight == 1.0:  # 1.0 * y is y: one pass less
        return complement * sig_pos - y * sig_neg
    return complement * sig_pos - pos_weight * y * sig_neg


def bce_logits_values(y, z, tail, pos_weight=1.0, complement=None):
    """w y softplus(-z) + (1 - y) softplus(z): two non-negative terms. ``complement`` is
    ``1 - y``, if the caller has it already."""
    softplus_pos, softplus_neg = softplus_pair(z, tail)
    if complement is None:
        complement = _ONE - y
    if type(pos_weight) is float and pos_weight == 1.0:  # 1.0 * y is y: one pass less
        return y * softplus_neg + complement * softplus_pos
    return pos_weight * y * softplus_neg + complement * softplus_pos



def bce_and_miss_terms(y, z, tail, complement, minus_magnitude):
    r"""BCE with logits (:func:`bce_logits_values`) and the two terms of
    :math:`1 - p_t = y\,\sigma(-z) + (1 - y)\,\sigma(z)` (the probability of the wrong
    class), to the same bits, from one arrangement of the targets by the sign of ``z``.

    With :math:`w_f` the target weight of the class that ``z`` favours (``y`` where
    ``z >= 0``, else ``1 - y``) and :math:`w_o` the other's, the BCE is
    :math:`w_f \log(1 + t) + w_o (\log(1 + t) + |z|)` (:math:`t = e^{-|z|}`), and the terms
    are :math:`w_f\,\sigma(-|z|)` and :math:`w_o\,\sigma(|z|)`: the products and sums of
    :func:`bce_logits_values` and of :func:`sigmoid_pair`'s sigmoids, term for term (a sum
    of two terms is the same in either order), with one arrangement in place of the
    selections of two sigmoids and two softplus. So :math:`\sigma(z) - y` is
    :math:`\pm(w_o\,\sigma(|z|) - w_f\,\sigma(-|z|))`. ``minus_magnitude`` is ``-|z|``
    (or ``None``: then ``|z|`` is formed). Returns ``bce, w_f σ(-|z|), w_o σ(|z|)``.
    """
    positive = z >= _ZERO
    if type(complement) is np.ndarray:  # masked copies, cheaper than np.where's selections
        favoured = complement.copy()
        np.putmask(favoured, positive, y)
        other = y.copy()
        np.putmask(other, positive, complement)
    else:
        favoured, other = np.where(positive, y, complement), np.where(positive, complement, y)
    likely = _ONE / (_ONE + tail)  # σ(|z|)
    log_tail = np.log1p(tail)
    # softplus(|z|) = log1p(tail) + |z|, which log1p(tail) - (-|z|) is to the bit
    far = log_tail + np.abs(z) if minus_magnitude is None else log_tail - minus_magnitude
    bce = favoured * log_tail + other * far
    return bce, favoured * (tail * likely), other * likely


def bce_logits_grad(y, z):
    """:func:`logit_residual` at ``z`` without a positive weight: σ(z) - y, stably."""
    return logit_residual(y, *sigmoid_pair(z, exp_minus_abs(z)))


def bce_logits_loss(y, z):
    """:func:`bce_logits_values` at ``z`` without a positive weight."""
    return bce_logits_values(y, z, exp_minus_abs(z))


#: |z| up to which no sigmoid underflows (σ(-|z|) >= e^-700 / 2): the common case of
#: :func:`binary_logit_inputs`.
_MODERATE_LOGIT, _MINUS_ONE = np.array(700.0), np.array(-1.0)
#: Up to this size one reduction of a fused margin array checks the binary inputs; above,
#: separate reductions (which need no temporaries) cost less.
_FUSED_CHECK_LIMIT = 4096


def binary_logit_inputs(y_true, logits):
    """Targets in [0, 1], logits of the same shape, ``tail = e^-|z|``
    (:func:`exp_minus_abs`), ``complement = 1 - y``, whether every ``|z| <= 700`` (no
    sigmoid underflows) and ``-|z|`` (or ``None``: see below), validated as
    :func:`targets_and_logits` does, the same bits.

    In the common case of a small input one pass checks both arrays:
    ``min(y, 1 - y) >= 0`` exactly when ``0 <= y <= 1`` (``1 - y`` rounds to a negative
    number only for ``y > 1``) and ``700 - |z| >= 0`` for moderate finite logits; NaN
    fails both; ``-|z|`` is returned beside its exponential. On a large input ``-|z|``
    becomes the tail in place (a second array of its size costs more than recomputing
    ``|z|`` where it is needed), and ``None`` is returned for it, as for anything else
    (logits beyond 700 included), which takes the full checks.
    """
    if is_plain_pair(y_true, logits) and logits.ndim:
        complement = _ONE - y_true
        minus_magnitude = np.copysign(logits, _MINUS_ONE)  # -|z|, one call
        if logits.size <= _FUSED_CHECK_LIMIT:
            margin = np.minimum(np.minimum(y_true, complement),
                                minus_magnitude + _MODERATE_LOGIT)
            # (counting the entries >= 0 costs less than a ufunc reduction; NaN is not)
            if np.count_nonzero(margin >= _ZERO) == margin.size:
                return y_true, logits, np.exp(minus_magnitude), complement, True, minus_magnitude
        # three reductions, no temporaries (each a fresh page-faulted array here)
        elif (in_unit_interval(y_true)
              and np.minimum.reduce(minus_magnitude, axis=None) >= -_MODERATE_LOGIT):
            tail = np.exp(minus_magnitude, out=minus_magnitude)
            return y_true, logits, tail, complement, True, None
    y, z = targets_and_logits(y_true, logits)
    moderate = bool(np.maximum.reduce(np.abs(z), axis=None) <= 700.0)
    return y, z, exp_minus_abs(z), _ONE - y, moderate, None


def targets_and_logits(y_true, logits):
    """Targets in [0, 1] and logits of the same shape (the binary losses on logits)."""
    if is_plain_pair(y_true, logits) and in_unit_interval(y_true) and all_finite(logits):
        return y_true, logits  # the common case: three reductions validate both
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
    z = as_logit_rows(z, "z")
    if axis == -1:  # moveaxis costs more than the softmax of a small array
        _, _, e, rest = softmax_parts(z)
        return e / (1.0 + rest)
    _, _, e, rest = softmax_parts(np.moveaxis(z, axis, -1))
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
    z = as_logit_rows(z, "z")
    if axis != -1:
        z = np.moveaxis(z, axis, -1)
    _, top_value, _, rest = softmax_parts(z)
    log_p = (z - top_value) - np.log1p(rest)
    return log_p if axis == -1 else np.moveaxis(log_p, -1, axis)


def as_logit_rows(z, name):
    """Validated logits with at least one axis (the classes on the last one, or on ``axis``)."""
    return check_has_axis(as_float_array(z, name), name, "classes")
