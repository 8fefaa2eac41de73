"""Input validation, written once and shared by every loss.

Every public loss calls these helpers instead of re-checking its inputs, so
an error message reads the same whichever loss raised it, and always names
the argument and what was expected.
"""

import math
import numbers
import operator

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def as_float_array(x, name):
    """Convert ``x`` to a non-empty, finite float64 array.

    Integers and booleans are accepted and converted; anything else that is
    not real-valued (strings, objects, complex numbers) raises ``TypeError``.
    A float64 array is returned as it is (no copy).
    """
    if type(x) is np.ndarray and x.dtype == np.float64:
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


def check_pair(y_true, y_pred, names=("y_true", "y_pred")):
    """Validate a target/prediction pair of equal shape; return float64 arrays."""
    y_true = as_float_array(y_true, names[0])
    y_pred = as_float_array(y_pred, names[1])
    check_same_shape(y_true, y_pred, names)
    return y_true, y_pred


def check_probabilities(p, name):
    """Raise unless every entry of ``p`` lies in [0, 1]."""
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"{name} must contain probabilities in [0, 1]")
    return p


def check_distribution(p, name, atol=1e-6):
    """Raise unless ``p`` holds probability vectors along its last axis."""
    check_probabilities(p, name)
    sums = p.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > atol):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(
            f"{name} must sum to 1 along the last axis (tolerance {atol:g}); "
            f"found a row summing to {worst:.6g}"
        )
    return p


def check_signed_labels(y, name="y_true"):
    """Raise unless every label is -1 or +1."""
    if not np.all((y == 1.0) | (y == -1.0)):
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
