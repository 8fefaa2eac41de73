"""Input validation, written once and shared by every loss.

Every public loss calls these helpers instead of re-checking its inputs, so
an error message reads the same whichever loss raised it, and always names
the argument and what was expected.
"""

import functools
import math
import numbers
import operator
import threading

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


_FLOAT64 = np.dtype(np.float64)


def all_finite(arr):
    """Whether every entry of the array ``arr`` is finite (two numpy calls, and no
    floating-point warning, whatever the entries: unlike a sum, which overflows or meets
    inf - inf). ``count_nonzero`` counts the true entries of the mask without the
    overhead of a ufunc reduction (``np.logical_and.reduce``), which on small arrays
    costs about twice as much."""
    return np.count_nonzero(np.isfinite(arr)) == arr.size


def _residual_and_finite(y_true, y_pred, out=None):
    """``y_pred - y_true`` if both inputs are finite, and whether they are.

    The inputs are checked before the subtraction, so the only floating-point warning
    that can arise is an overflow of a finite difference, which the exact route
    (:func:`checked_residual`) would report too; no ``np.errstate`` is needed (its
    ``with`` costs as much as the two checks). When an input is not finite the residual
    is not computed (``None``): callers fall back to :func:`check_pair`, which raises
    the precise error.
    """
    if all_finite(y_true) and all_finite(y_pred):
        return np.subtract(y_pred, y_true, out=out), True
    return None, False


def _is_float64_array(x):
    """The common case every check takes first: a float64 ndarray, used as it is."""
    return type(x) is np.ndarray and x.dtype == _FLOAT64


def as_float_array(x, name):
    """Convert ``x`` to a non-empty, finite float64 array.

    Integers and booleans are accepted and converted; anything else that is
    not real-valued (strings, objects, complex numbers) raises ``TypeError``.
    A float64 array is returned as it is (no copy).
    """
    if _is_float64_array(x) and x.size and all_finite(x):
        return x  # the common path
    if _is_float64_array(x):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged nested lists, for instance
            raise TypeError(f"{name} must be an array-like of real numbers ({exc})") from None
        if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
            arr = arr.astype(np.float64)
        elif not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(
                f"{name} must be an array-like of real numbers, got dtype {arr.dtype}"
            )
        arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    # NaN propagates through max and min, and +-inf is the max or the min: two reductions
    # without a temporary array (cheaper than isfinite(arr).all() on small arrays).
    if not (math.isfinite(np.maximum.reduce(arr, axis=None))
            and math.isfinite(np.minimum.reduce(arr, axis=None))):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def check_same_shape(y_true, y_pred, names=("y_true", "y_pred")):
    """Raise unless the two arrays have exactly the same shape (no broadcasting)."""
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got "
            f"{y_true.shape} and {y_pred.shape} (inputs are never broadcast)"
        )


def is_plain_pair(y_true, y_pred):
    """Two non-empty float64 arrays of one shape: the pairs the fast paths take."""
    return (_is_float64_array(y_true) and _is_float64_array(y_pred)
            and y_true.shape == y_pred.shape and y_true.size)


def check_pair(y_true, y_pred, names=("y_true", "y_pred")):
    """Validate a target/prediction pair of equal shape; return float64 arrays."""
    if is_plain_pair(y_true, y_pred) and all_finite(y_true) and all_finite(y_pred):
        return y_true, y_pred
    # Anything else, in the order that decides which error is raised first.
    y_true = as_float_array(y_true, names[0])
    y_pred = as_float_array(y_pred, names[1])
    check_same_shape(y_true, y_pred, names)
    return y_true, y_pred


#: Elements per block of a blocked elementwise pass: 32768 float64 are 256 KiB, so a block
#: and its scratch arrays stay in a core's L2 cache (1 MiB on the 2-core benchmark machine).
BLOCK = 32768
_SMALL = BLOCK // 8  # up to this size, one pass with fresh temporaries is cheaper

# Per-thread scratch blocks, reused from call to call: a fresh temporary of a block's size is
# not free either (malloc may hand it back to the system on free and fault it in again on
# the next call). They hold intermediate results only, never anything a caller receives.
_scratch = threading.local()


def _scratch_blocks(count):
    blocks = getattr(_scratch, "blocks", [])
    if len(blocks) < count:
        blocks = _scratch.blocks = blocks + [np.empty(BLOCK) for _ in range(count - len(blocks))]
    return blocks[:count]


def residual_map(y_true, y_pred, transform, scratch=0, names=("y_true", "y_pred")):
    """Validated ``transform(y_pred - y_true, *scratch)``: elementwise losses of a residual.

    ``transform(r, *scratch)`` receives a fresh array of residuals, which it may
    overwrite, and ``scratch`` arrays of the same shape for intermediate results; it
    returns one value per entry, in ``r``, in a scratch array or in a fresh array. Large
    C-contiguous inputs are done one :data:`BLOCK` at a time into a single output array,
    with scratch blocks reused from call to call (never returned: a block's values are
    copied into the output): on 1e6 entries every full-size temporary costs about as
    much as the arithmetic, while the blocks stay in the cache. Smaller inputs get fresh
    scratch arrays. Values are those of the plain whole-array route, bit for bit, and so
    is the output's layout; a 0-d input gives a numpy scalar, as numpy's arithmetic on
    0-d arrays does. Validation is :func:`checked_residual`'s, one finiteness check of
    each input per block; at the first block that fails it, the whole array takes the
    plain route.
    """
    if is_plain_pair(y_true, y_pred):
        if y_true.size <= _SMALL or not (y_true.flags.c_contiguous
                                         and y_pred.flags.c_contiguous):
            residual, finite = _residual_and_finite(y_true, y_pred)
            if finite and type(residual) is np.ndarray:
                if scratch == 0:
                    return transform(residual)
                return transform(residual, *[np.empty_like(residual) for _ in range(scratch)])
        elif (out := _blockwise_residual_map(y_true, y_pred, transform, scratch)) is not None:
            return out
    residual = checked_residual(y_true, y_pred, names)
    if type(residual) is np.ndarray:
        return transform(residual, *[np.empty_like(residual) for _ in range(scratch)])
    # 0-d inputs: numpy's arithmetic gives a scalar, which has no memory to write into.
    residual = np.array(residual)
    return transform(residual, *[np.empty_like(residual) for _ in range(scratch)])[()]


def _blockwise_residual_map(y_true, y_pred, transform, scratch):
    """:func:`residual_map` of C-contiguous float64 inputs, one block at a time; ``None``
    when a block fails validation (the caller then takes the plain route)."""
    buffers = _scratch_blocks(scratch)
    out = np.empty(y_true.shape)
    flat_out, flat_true, flat_pred = out.reshape(-1), y_true.reshape(-1), y_pred.reshape(-1)
    for start in range(0, flat_out.size, BLOCK):
        stop = start + BLOCK
        block, finite = _residual_and_finite(flat_true[start:stop], flat_pred[start:stop],
                                             out=flat_out[start:stop])
        if not finite:
            return None
        values = transform(block, *[buffer[: block.size] for buffer in buffers])
        if values is not block:
            block[...] = values
    return out


def map_blocks(func, *arrays):
    """``func(*arrays)`` for an elementwise ``func`` of validated float64 arrays of one shape.

    Large C-contiguous inputs are done one :data:`BLOCK` at a time into a single output
    array, so that the temporaries of ``func`` are a block's size and stay in the cache
    (on 1e6 entries a dozen full-size temporaries cost more than the arithmetic). The
    values are those of ``func`` on the whole arrays, bit for bit, and so is the layout.
    """
    size = arrays[0].size
    if size <= BLOCK or not all(a.flags.c_contiguous and a.size == size for a in arrays):
        return func(*arrays)
    out = np.empty(arrays[0].shape)
    flat_out, flats = out.reshape(-1), [a.reshape(-1) for a in arrays]
    for start in range(0, size, BLOCK):
        stop = start + BLOCK
        flat_out[start:stop] = func(*[flat[start:stop] for flat in flats])
    return out


def checked_residual(y_true, y_pred, names=("y_true", "y_pred")):
    """The residual ``y_pred - y_true`` of a pair that :func:`check_pair` accepts.

    A fresh float64 array (callers may overwrite it). Plain float64 inputs are checked
    to be finite (see :func:`_residual_and_finite`); anything else goes through
    :func:`check_pair`, which converts it or raises the precise error.
    """
    if is_plain_pair(y_true, y_pred):
        residual, finite = _residual_and_finite(y_true, y_pred)
        if finite:
            return residual
    y_true, y_pred = check_pair(y_true, y_pred, names)
    return y_pred - y_true


def _outside(x, low, high):
    """Whether an entry of the array ``x`` lies below ``low`` or above ``high``; NaN is
    neither (fmin and fmax skip it, as elementwise comparisons do). Two reductions and no
    temporary, rather than ``np.any((x < low) | (x > high))``."""
    return x.size > 0 and (np.fmin.reduce(x, axis=None) < low
                           or np.fmax.reduce(x, axis=None) > high)


def in_unit_interval(x):
    """Whether every entry of the float64 array ``x`` lies in [0, 1]; NaN does not (so a
    true answer also certifies that ``x`` is finite). Two reductions."""
    return np.minimum.reduce(x, axis=None) >= 0.0 and np.maximum.reduce(x, axis=None) <= 1.0


_UNSIGNED = {size: np.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def plain_class_indices(y, k):
    """``y`` as ``intp`` class indices when it certainly holds integers in [0, k) (an
    integer or float64 array: one or two reductions), else ``None``: the caller's general
    checks then decide, and raise their own errors."""
    if type(y) is not np.ndarray or y.size == 0:
        return None
    if y.dtype.kind in "iu":  # as unsigned integers, negative indices are the largest
        valid = np.maximum.reduce(y.view(_UNSIGNED[y.itemsize]), axis=None) < k
        return y.astype(np.intp, copy=False) if valid else None
    if y.dtype == _FLOAT64 and (0.0 <= np.minimum.reduce(y, axis=None)
                                and np.maximum.reduce(y, axis=None) < k):  # NaN fails
        index = y.astype(np.intp)
        if np.logical_and.reduce(index == y, axis=None):  # integral values
            return index
    return None


def check_probabilities(p, name):
    """Raise unless every entry of ``p`` lies in [0, 1]."""
    outside = _outside(p, 0, 1) if type(p) is np.ndarray else np.any((p < 0) | (p > 1))
    if outside:
        raise ValueError(f"{name} must contain probabilities in [0, 1]")
    return p


def check_distribution(p, name, atol=1e-6):
    """Raise unless ``p`` holds probability vectors along its last axis."""
    check_probabilities(p, name)
    sums = np.add.reduce(p, axis=-1)
    if sums.size and np.fmax.reduce(np.abs(sums - 1.0), axis=None) > atol:
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(
            f"{name} must sum to 1 along the last axis (tolerance {atol:g}); "
            f"found a row summing to {worst:.6g}"
        )
    return p


def check_signed_labels(y, name="y_true"):
    """Raise unless every label is -1 or +1."""
    if not np.logical_and.reduce(np.abs(y) == 1.0, axis=None):  # |y| = 1: y is -1 or +1
        raise ValueError(f"{name} must contain labels in {{-1, +1}}")
    return y


def check_scalar(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Validate a real scalar parameter against an interval; return it as float.

    ``low_open``/``high_open`` make the bound strict, so ``check_scalar(beta,
    "beta", low=0, low_open=True)`` demands beta > 0.
    """
    if type(value) is not float:  # the common case skips the ABC check
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must lie in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_bool(value, name):
    """Validate a switch: ``True`` or ``False`` (a numpy bool too), never a truthy object.

    ``bool("False")`` is ``True``; a switch given a string, a number or ``None`` raises
    instead of being read as one.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def check_count(value, name):
    """Validate a non-negative integer count (steps); clearer than the error of ``range(1.5)``."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def check_has_axis(x, name, what="outcomes"):
    """Raise unless ``x`` has at least one axis, whose last axis holds ``what``."""
    if x.ndim == 0:
        raise ValueError(f"{name} must be at least one-dimensional ({what} on the last axis)")
    return x


def check_reduction(reduction):
    """Raise unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        allowed = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"reduction must be one of {allowed}; got {reduction!r}")
    return reduction


# --------------------------------------------------------------------------
# Targets of a softmax over classes (cross-entropy)
# --------------------------------------------------------------------------


def class_targets_and_logits(y_true, logits, label_smoothing):
    """Validate logits ``(n, k)`` and their targets, class indices ``(n,)`` or probability
    rows ``(n, k)``; return the (smoothed) target distributions and the logits."""
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
        target[np.arange(n), y.astype(np.intp)] = 1.0
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


_HALF_MAX = float(np.finfo(np.float64).max) / 2


def finite_spread(z):
    """Whether ``z`` is finite and so is ``max z - min z`` (no ``max z - z`` overflows):
    ``None`` where not; else, on a small array, the largest ``|z|`` (the cheaper test
    ``max |z| < max float / 2``, a little stricter, finds it) and, on a large one (where
    the extremes are the test), ``inf``."""
    if z.size > _SMALL:
        spread = float(np.maximum.reduce(z, axis=None)) - float(np.minimum.reduce(z, axis=None))
        return math.inf if math.isfinite(spread) else None
    largest = float(np.maximum.reduce(np.abs(z), axis=None))
    return largest if largest < _HALF_MAX else None  # NaN fails too


#: Every ``|z| <= 16`` leaves no gap ``z - max z`` below -32 (``lossbook.logits.shifted_exp``
#: then needs no reduction to find out).
BOUNDED_LOGIT = 16.0

#: Up to this many entries the row starts of an array are cached (a lookup costs a third of
#: an ``arange``); a larger array's are made afresh, as no cache should hold them.
_CACHED_STARTS = 1 << 16


def row_starts(x):
    """Flat index (in C order) of the first entry of each row of ``x``; read-only (shared
    between calls on a small array)."""
    if x.size <= _CACHED_STARTS:
        return _cached_row_starts(x.size, x.shape[-1])
    return np.arange(0, x.size, x.shape[-1])


@functools.lru_cache(maxsize=32)
def _cached_row_starts(size, k):
    starts = np.arange(0, size, k)
    starts.setflags(write=False)
    return starts


def class_index_case(y_true, logits, label_smoothing):
    """The common case of :func:`class_targets_and_logits`: C-contiguous logits ``(n, k)``
    with a :func:`finite_spread`, class indices ``(n,)`` and no label smoothing. Returns
    ``(logits, flat index of each row's first entry, flat index of its target, bounded)``,
    ``bounded`` when every ``|z| <= 16`` (known on a small array), or ``None`` for every
    other case, which :func:`class_targets_and_logits` validates (raising its errors in
    its order)."""
    z = logits
    if not (type(z) is np.ndarray and z.dtype == _FLOAT64 and z.ndim == 2 and z.size
            and z.flags.c_contiguous and type(y_true) is np.ndarray
            and y_true.shape == z.shape[:1]):
        return None
    largest = finite_spread(z)
    if largest is None:
        return None
    index = plain_class_indices(y_true, z.shape[1])
    # label_smoothing checked as the general route does, after the arrays: same error
    if index is None or check_scalar(label_smoothing, "label_smoothing", low=0.0, high=1.0):
        return None
    starts = row_starts(z)
    return z, starts, starts + index, largest <= BOUNDED_LOGIT


#: reduceat over the one segment that starts at entry 0 (the whole array): the same
#: maximum or minimum as np.maximum.reduce(x, axis=None), NaN propagating alike, at about
#: 0.6 µs a call on 100 entries against 1 µs (the reduce path's setup costs more)
_WHOLE = np.array([0])


def largest(x):
    """np.maximum.reduce(x, axis=None) (NaN if some entry is NaN; its error if x is empty)."""
    if x.size:
        return np.maximum.reduceat(x.reshape(-1), _WHOLE)[0]
    return np.maximum.reduce(x, axis=None)


def smallest(x):
    """np.minimum.reduce(x, axis=None) (NaN if some entry is NaN; its error if x is empty)."""
    if x.size:
        return np.minimum.reduceat(x.reshape(-1), _WHOLE)[0]
    return np.minimum.reduce(x, axis=None)
