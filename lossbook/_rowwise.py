"""Numerics shared by the row-wise losses (:mod:`lossbook.similarity`,
:mod:`lossbook.infonce`, :mod:`lossbook.generative`): two inputs computed as one pair,
Euclidean norms as plain sums of squares where those are safe (of scaled rows elsewhere),
p-norms of scaled rows, power series in a few calls, and the validation of embedding rows
and of their labels.

On the ~100-entry inputs of a typical call each numpy call costs about a microsecond
whatever its size, so these helpers are written to make few calls: a pair of small
inputs is stacked so that one call serves both, and a zero row is handled by
``max(scale, TINY)`` rather than a ``np.where``.
"""

import functools
import math

import numpy as np

from ._validation import (
    as_float_array,
    check_has_axis,
    check_same_shape,
    check_signed_labels,
    largest,
)

#: the smallest subnormal: max(scale, TINY) is scale for a non-zero row and turns 0 / 0 into
#: 0 / TINY = 0 for a zero row, one ufunc call instead of np.where(scale > 0, scale, 1)
TINY = 5e-324
#: TINY and other constants as 0-d arrays, for ufunc operands: numpy takes a slower path for
#: a Python float (about 0.3 µs a call on 100 entries); the arithmetic is the same, bit for bit
TINY_0D, ZERO, HALF, ONE = np.array(TINY), np.array(0.0), np.array(0.5), np.array(1.0)
MINUS_ONE = np.array(-1.0)
FLOAT64 = np.dtype(np.float64)  # (a float64 array's dtype is this very object)


#: Inputs of at most this many entries are stacked (see pair); 2^15 doubles are 256 KiB.
STACK_LIMIT = 2**15


def pair(x1, x2):
    """Two arrays of one shape as a pair: stacked on a new first axis of length 2 when
    small, so that one ufunc call serves both (on ~100 entries the call, not the
    arithmetic, is the cost); the tuple (x1, x2) when large, where a temporary twice an
    input's size would be fresh memory, page-faulted in on every call. Either way
    ``pair[0]``, ``pair[1]``, unpacking and ``pair[::-1]`` give the two sides."""
    if x1.ndim and x1.size <= STACK_LIMIT:
        return np.concatenate((x1, x2)).reshape((2,) + x1.shape)
    return (x1, x2)  # (and for 0-d arrays, whose halves would come back as scalars)


def sides(f, *pairs):
    """f on both sides of pairs (see pair): one call on stacked pairs, or one call per
    side on tuples. Returns what f returns, every array a pair in the same form."""
    if type(pairs[0]) is not tuple:
        return f(*pairs)
    first, second = (f(*side) for side in zip(*pairs, strict=True))
    if isinstance(first, tuple):
        return tuple(zip(first, second, strict=True))
    return first, second


def embedding_rows(x, name):
    """``x`` validated as rows of embedding coordinates (at least one axis)."""
    return check_has_axis(as_float_array(x, name), name, "embedding coordinates")


def finite_bound(x):
    """max |x_j| over every entry: inf if some entry is infinite, NaN if some is NaN (the
    maximum propagates NaN). No warning whatever the entries."""
    return largest(np.abs(x))


def checked_rows(arrays, names):
    """The embedding rows ``arrays`` validated (embedding_rows of each, then one shape for
    all: the checks and errors of the losses, in argument order), and finite_bound of all
    their entries. Small float64 arrays are stacked on a new first axis, so that one pair of
    reductions checks them all, and come back as that stack (``rows[0]``, ``rows[1:]``, a
    stacked pair: see pair); other inputs as a tuple of the validated arrays."""
    first = arrays[0]
    for x in arrays:
        if type(x) is not np.ndarray or x.dtype is not FLOAT64 or x.shape != first.shape:
            break
    else:
        if first.ndim and 0 < first.size <= STACK_LIMIT:
            stacked = np.array(arrays)  # (float64 arrays of one shape: one float64 stack)
            bound = finite_bound(stacked)
            if math.isfinite(bound):
                return stacked, bound
    rows = tuple(embedding_rows(x, name) for x, name in zip(arrays, names, strict=True))
    for x, name in zip(rows[1:], names[1:], strict=True):
        check_same_shape(rows[0], x, (names[0], name))
    return rows, max(finite_bound(x) for x in rows)


def labels_for_rows(y_true, rows, name_rows, checked=False):
    """The labels, one per row. A float64 array of the right shape is used as it is unless
    ``checked``: the label checks, which NaN and inf fail, call this again with
    ``checked=True`` before raising, so that a non-finite label gets its own error first."""
    if not checked and type(y_true) is np.ndarray and y_true.dtype == np.float64 and (
            y_true.shape == rows.shape[:-1]):
        return y_true
    y = as_float_array(y_true, "y_true")
    if y.shape != rows.shape[:-1]:
        raise ValueError(
            f"y_true must have one label per row of {name_rows}: shape {rows.shape[:-1]}, "
            f"got {y.shape}")
    return y


def signed_label_mask(y, rows=None):
    """(y == 1, its count), raising unless every label is -1 or +1 (two counts find a bad
    label; check_signed_labels then raises its error).
    ``rows``: the labels came unchecked from :func:`labels_for_rows` for these rows."""
    similar = y == ONE
    n_similar = np.count_nonzero(similar)
    if n_similar + np.count_nonzero(y == MINUS_ONE) != y.size:
        if rows is not None:
            labels_for_rows(y, rows, "x1", checked=True)
        check_signed_labels(y)  # some label is neither -1 nor +1 (NaN included): it raises
    return similar, n_similar


def scaled_rows(v):
    """(scale, u, root) along the last axis: v = scale * u with scale = max |v_j| (u = 0 for a
    zero row) and root = ||u|| in [1, sqrt(d)], so nothing overflows or underflows."""
    scale = np.maximum.reduce(np.abs(v), axis=-1, keepdims=True)
    u = v / np.maximum(scale, TINY_0D)
    root = np.sqrt(np.add.reduce(u * u, axis=-1, keepdims=True))
    return scale, u, root


#: Rows whose entries are at most PLAIN_ENTRY_MAX in size and whose squared norm is above
#: PLAIN_NORM2_MIN have their norms as plain sums of squares (plain_norm2): no square
#: overflows, a sum of up to 2^20 of them stays below 2^900, and an entry whose square
#: underflows (below 2^-511) is below 2^-61 of the norm, so the sum is accurate to its own
#: roundings (a few ulp, as the scaled rows' sum).
PLAIN_ENTRY_MAX, PLAIN_NORM2_MIN = 2.0**440, 2.0**-900
_PLAIN_NORM2_MIN_0D = np.array(PLAIN_NORM2_MIN)


def plain_norm2(v, bound, floor=_PLAIN_NORM2_MIN_0D):
    """Squared Euclidean norms along the last axis (keepdims), the plain sums of squares, or
    None unless every row allows them (see PLAIN_ENTRY_MAX), and is above ``floor``
    (at least PLAIN_NORM2_MIN; a 0-d array is faster); ``bound`` is an upper bound of
    every |v_j| (finite_bound or a sum of such; NaN fails the test). v is not empty."""
    if not bound <= PLAIN_ENTRY_MAX:
        return None
    norm2 = np.add.reduce(v * v, axis=-1, keepdims=True)
    # every row above the floor (a NaN is not): a comparison and a count cost less than
    # the minimum
    return norm2 if np.count_nonzero(norm2 > floor) == norm2.size else None


def plain_rows(v, norm2, floor=PLAIN_NORM2_MIN):
    """The mask (keepdims) of the rows that allow the plain sums of squares ``norm2`` of v
    (see plain_norm2): for the rare calls where some row does not, row by row."""
    return (np.maximum.reduce(np.abs(v), axis=-1, keepdims=True) <= PLAIN_ENTRY_MAX) & (
        norm2 > floor)


def plain_sqrt(norm2):
    """sqrt(norm2), in place on a large (fresh) norm2; into a new array on a small one, where
    the out= keyword costs more (some 0.2 µs) than the allocation it saves."""
    return np.sqrt(norm2) if norm2.size <= STACK_LIMIT else np.sqrt(norm2, out=norm2)


def euclidean_norms(v, bound):
    """||v|| along the last axis (keepdims): sqrt(plain_norm2) in the common case, row by
    row the scaled rows' norm (scaled_rows) where a row does not allow the plain sum. Each
    row's norm depends on that row alone, so that small and large batches (and the stacked
    and per-side routes of pair) agree to the bit."""
    norm2 = plain_norm2(v, bound)
    if norm2 is not None:
        return plain_sqrt(norm2)
    scale, _, root = scaled_rows(v)
    with np.errstate(over="ignore"):  # the rare path: a huge entry squares to inf
        norm2 = np.add.reduce(v * v, axis=-1, keepdims=True)
    return np.where(plain_rows(v, norm2), np.sqrt(norm2), scale * root)


def norm_and_direction(v):
    """Euclidean norm along the last axis and the unit direction (0 for a zero row),
    from the row divided by its largest |entry|: nothing overflows or underflows."""
    scale, u, root = scaled_rows(v)
    return (scale * root)[..., 0], u / np.maximum(root, TINY_0D)


def shifted_difference(a, b, eps):
    """a - b + eps with one rounding of the exact a - b (TwoSum keeps its error)."""
    head = a - b
    back = head - a
    tail = (a - (head - back)) - (b + back)  # -b - back, one call fewer
    return (head + eps) + tail


@functools.lru_cache(maxsize=64)
def _shift_constants(eps, d):
    """eps and the floor of shifted_norms for rows of d entries, as 0-d arrays (numpy takes
    a slower path for a Python float operand), made once per (eps, d). (eps = -0.0 may
    come back as 0.0: a - b + 0.0 differs from a - b - 0.0 only in the sign of a zero,
    which squares away.)"""
    return np.array(eps), np.array(max(PLAIN_NORM2_MIN, 4.0 * d * eps * eps))


def shifted_norms(a, b, eps, bound):
    """||a - b + eps|| per row (keepdims), ``bound`` bounding every |a_j - b_j + eps|.

    Where every row's norm is at least 2 sqrt(d) eps, from a - b + eps as it rounds,
    without the remainder r of a - b that shifted_difference keeps: |r_j| <= 2^-53
    |a_j - b_j| <= 2^-53 (|v_j| + eps), so leaving r out moves the norm by at most
    2^-53 (||v|| + sqrt(d) eps) <= 1.5 * 2^-53 ||v||. Other rows from shifted_difference,
    row by row (each row's norm depends on that row alone)."""
    eps_0d, floor = _shift_constants(eps, a.shape[-1])
    rounded = np.add(a - b, eps_0d)
    norm2 = plain_norm2(rounded, bound, floor)
    if norm2 is not None:
        return plain_sqrt(norm2)
    norm = euclidean_norms(shifted_difference(a, b, eps), bound)
    with np.errstate(over="ignore"):  # (rare) a huge entry squares to inf
        norm2 = np.add.reduce(rounded * rounded, axis=-1, keepdims=True)
    return np.where(plain_rows(rounded, norm2, floor), np.sqrt(norm2), norm)


def p_norm_parts(v, p):
    """(scale, u, root): ||v||_p = scale * root, u = |v| / scale (0 for a zero row)."""
    abs_v = np.abs(v)
    scale = np.maximum.reduce(abs_v, axis=-1, keepdims=True)
    u = abs_v / np.maximum(scale, TINY_0D)
    if p == 2.0:
        root = np.sqrt(np.add.reduce(u * u, axis=-1, keepdims=True))
    elif p == 1.0:
        root = np.add.reduce(u, axis=-1, keepdims=True)
    else:
        root = np.add.reduce(u**p, axis=-1, keepdims=True) ** (1.0 / p)
    return scale, u, root


def p_norm_gradient(v, u, root, p):
    """The gradient of ||v||_p with respect to v (0 at v = 0), from p_norm_parts."""
    ratio = u / np.maximum(root, TINY_0D)
    return np.sign(v) * (ratio if p == 2.0 else ratio ** (p - 1.0))


# 1/n! for n = 2 .. 21: psi(x) = sum_{n >= 2} x^n / n!; for |x| <= 1 the first term left
# out is below 1/22! ~ 9e-22 of x^2, far below double precision of psi >= x^2 / e.
PSI_COEFFICIENTS = [1.0]
for _n in range(2, 22):
    PSI_COEFFICIENTS.append(PSI_COEFFICIENTS[-1] / _n)
PSI_COEFFICIENTS = tuple(PSI_COEFFICIENTS[1:])  # 1/2!, 1/3!, ..., 1/21!


#: Entries per block of :func:`power_series`: a block's powers (at most 20 rows of it) are
#: some 320 KiB, within a core's L2 cache.
SERIES_BLOCK = 2048


def series_plan(coefficients):
    """What :func:`power_series` needs of c_0, c_1, ... (a sequence), made once per series:
    c_0 (as a 0-d array: see ONE), the weights of x^1 .. x^(K-1) as an array, and the
    doubling steps (rows filled, rows added) that make those powers."""
    weights = np.array(coefficients[1:])
    steps, filled = [], 1
    while filled < weights.size:
        step = min(filled, weights.size - filled)
        steps.append((filled, step))
        filled += step
    return np.array(coefficients[0]), weights, tuple(steps)


def _powers(x, rows, steps):
    """x^1 .. x^rows of a flat x, one row each, by the doubling ``steps`` of series_plan."""
    powers = np.empty((rows, x.size))
    powers[0] = x
    for filled, step in steps:
        if step == 1:  # one row: a 1-d product costs half a 2-d broadcast one (same bits)
            np.multiply(powers[0], powers[filled - 1], out=powers[filled])
        else:
            np.multiply(powers[:step], powers[filled - 1], out=powers[filled:filled + step])
    return powers


def power_series(x, plan, times_power=0):
    """sum_n c_n x^n, the series of ``plan`` (:func:`series_plan`), in a handful of numpy
    calls whatever the number of terms (Horner's scheme makes two per term, and each costs
    about a microsecond on a small array); with ``times_power`` k (1 <= k < K), that sum
    times x^k, the power the doubling made (x^2 = x * x, the product it would be anyway).

    The powers x^1 .. x^(K-1) of a block of entries fill the rows of one array by repeated
    doubling (x^(j + m) = x^j x^m for the m rows already there: about log2 K calls), and
    one matrix-vector product weighs and sums them; c_0 is added last. x^n carries at most
    (n - 1)/2 ulp more than x, as in a chain of products, and for the series here
    (|x| <= 1, coefficients falling like 1/n!) the terms fall geometrically, so the sum
    is as accurate as Horner's. Large inputs go block by block (:data:`SERIES_BLOCK`), so
    that the powers stay in the cache; an input of one block skips the loop (the same
    calls on the same block: the same bits).
    """
    constant, weights, steps = plan
    flat = x.reshape(-1)
    if flat.size <= SERIES_BLOCK:
        powers = _powers(flat, weights.size, steps)
        out = np.dot(weights, powers)
        out += constant
        if times_power:
            out *= powers[times_power - 1]
        return out.reshape(x.shape)
    out = np.empty(flat.size)
    for start in range(0, flat.size, SERIES_BLOCK):
        powers = _powers(flat[start:start + SERIES_BLOCK], weights.size, steps)
        block = np.dot(weights, powers, out=out[start:start + SERIES_BLOCK])
        block += constant
        if times_power:
            block *= powers[times_power - 1]
    return out.reshape(x.shape)


# (-1)^n / n for n = 2 .. 9: log(1 + m) - m = sum_{n >= 2} (-1)^(n+1) m^n / n = -m^2 sum ...
LOG1P_COEFFICIENTS = tuple((1.0 if n % 2 == 0 else -1.0) / n for n in range(2, 10))
_LOG1P_PLAN = series_plan(LOG1P_COEFFICIENTS)


def log1p_minus(m):
    """log(1 + m) - m for m > -1: a series for |m| <= 1e-3, where the subtraction would
    cancel (8 terms: the first one left out is below 1e-24 of m^2 / 2)."""
    small = np.abs(m) <= 1e-3
    n_small = np.count_nonzero(small)
    if not n_small:
        return np.log1p(m) - m
    ms = np.where(small, m, 0.0)
    series = np.negative(power_series(ms, _LOG1P_PLAN, times_power=2))  # -m^2 (...)
    if n_small == small.size:
        return series
    return np.where(small, series, np.log1p(np.where(small, 0.0, m)) - m)
