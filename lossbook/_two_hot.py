"""Two-hot binning of continuous targets over the bins of a row of logits, for the
distribution focal loss of :mod:`lossbook.detection`: the checks of the targets and the
logits, the left bin of each target and the weights of its two bins.

A private part of the detection family; it imports only the ground modules
:mod:`lossbook._validation` and :mod:`lossbook.logits`.
"""

import functools

import numpy as np

from ._validation import as_float_array, row_starts
from .logits import gaps_bounded

_ONE = np.array(1.0)  # (a 0-d array: a Python-float operand takes a slower path in numpy)


@functools.lru_cache(maxsize=32)
def _end_bins(k):
    """The bit pattern of K - 1.0 (the last bin) as a 0-d uint64 array, and K - 2.0 (the
    last left bin) as a 0-d array, made once per K (shared: operands only, never written)."""
    return np.array(k - 1.0).view(np.uint64), np.array(k - 2.0)


def two_hot_bins(y_true, logits):
    """Validate; return the logits (..., K), the flat index of each target's left bin
    in them, the two-hot weights of the left and the right bin, both (n,), whether
    every |z| <= 16 (then no logit gap is below -32: see ``logits.shifted_exp``) and the
    flat index of each row's first entry."""
    z = logits
    # The common case: a finite float64 array (gaps_bounded is None for any other entry).
    if not (type(z) is np.ndarray and z.dtype == np.float64 and z.size
            and (bounded := gaps_bounded(z)) is not None):
        z = as_float_array(logits, "logits")
        bounded = gaps_bounded(z)
    if z.ndim < 2 or z.shape[-1] < 2:
        raise ValueError(
            f"logits must have shape (n, K) with K >= 2 bins on the last axis, got {z.shape}"
        )
    k = z.shape[-1]
    last_bin, last_left = _end_bins(k)
    y = y_true
    # The common case: targets of the right shape in [0, K - 1], counted in one pass over
    # their bit patterns: doubles >= +0 are ordered as their patterns (as unsigned
    # integers), and every pattern with the sign bit (negative numbers, and -0.0, which
    # the general checks then accept) or of +inf or NaN is above that of K - 1. So the
    # count certifies finiteness too; anything else takes every check in order.
    if not (type(y) is np.ndarray and y.dtype == np.float64 and y.shape == z.shape[:-1]
            and np.count_nonzero(y.view(np.uint64) <= last_bin) == y.size):
        y = as_float_array(y_true, "y_true")
        if y.shape != z.shape[:-1]:
            raise ValueError(
                f"y_true must hold one target per row of logits, shape {z.shape[:-1]}; "
                f"got {y.shape} (inputs are never broadcast)"
            )
        if np.minimum.reduce(y, axis=None) < 0 or np.maximum.reduce(y, axis=None) > k - 1:
            raise ValueError(
                f"y_true must lie in [0, K - 1] = [0, {k - 1}] for logits with K = {k} bins; "
                f"found {y.min():g} to {y.max():g}"
            )
    # The left bin i = floor(y), moved down to K - 2 at y = K - 1, where the
    # right weight y - i becomes 1: the same loss, -log S_{K-1}.
    if y.ndim != 1:
        y = y.reshape(-1)
    left = np.minimum(np.floor(y), last_left)
    right_weight = y - left  # exact (Sterbenz) for left >= 1; y itself for left = 0
    # 1 - (y - i) rounds the exact i + 1 - y once, as (i + 1) - y does: the same bits
    left_weight = _ONE - right_weight
    starts = row_starts(z)  # (returned too: the softmax terms need them again)
    left_index = starts + left.astype(np.intp)
    return z, left_index, left_weight, right_weight, bounded, starts
