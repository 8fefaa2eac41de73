r"""The numerics of Barron's general robust loss (:func:`lossbook.general_robust_loss`).

:class:`Barron` carries the residual, :math:`x = r/s` and :math:`x^2` as unevaluated sums
of two doubles (error-free transformations), so that the only rounding left is that of
the final operations: near :math:`\alpha = 2`, for large :math:`|\alpha|` and for huge
:math:`|x|` the loss is sensitive to the last bits of the residual. :func:`barron_plain`
is the plain double route of the common case (:math:`|\alpha| \le 4`, moderate
:math:`|x|`), whose rounding its docstring bounds.
"""

import functools
import math

import numpy as np

from ._precise import two_prod, two_sum
from ._validation import check_pair, check_scalar, largest

# Beyond this magnitude the error-free products below could overflow; squares
# of such numbers are either huge (no cancellation to protect) or overflow anyway.
_DD_LIMIT = 1e140
_ONE = np.array(1.0)


def scaled_residual(y_true, y_pred, scale=1.0):
    """x = (y_pred - y_true) / scale and x^2, each as a pair (hi, lo) with hi + lo
    accurate to about 2^-104 relative; lo is 0 where |x| is huge. Also |x| and the mask
    of huge |x| (``None`` when no |x| is huge: the common case skips every mask)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r_hi, r_lo = two_sum(y_pred, -y_true)
        if scale == 1.0:  # the steps below with p = r_hi, q = 0, in the bits they give
            x_hi, x_lo = r_hi, 0.0 + r_lo
        else:
            x_hi = r_hi / scale
            p, q = two_prod(x_hi, np.float64(scale))
            x_lo = (((r_hi - p) - q) + r_lo) / scale
        sq_hi, sq_lo = two_prod(x_hi, x_hi)
        sq_lo = sq_lo + 2.0 * x_hi * x_lo
    abs_x = np.abs(x_hi)
    # One test for the whole array: every |x| moderate and every low part finite (at
    # scale 1, x_lo = r_lo and sq_lo are finite wherever |x| is moderate).
    if largest(abs_x) < _DD_LIMIT and (scale == 1.0 or math.isfinite(
            np.add.reduce(x_lo, axis=None) + np.add.reduce(sq_lo, axis=None))):
        return x_hi, x_lo, sq_hi, sq_lo, abs_x, None
    moderate = abs_x < _DD_LIMIT
    x_lo = np.where(moderate & np.isfinite(x_lo), x_lo, 0.0)
    sq_lo = np.where(moderate & np.isfinite(sq_lo), sq_lo, 0.0)
    return x_hi, x_lo, sq_hi, sq_lo, abs_x, abs_x >= _DD_LIMIT


def barron_alpha(value):
    if type(value) is float and math.isfinite(value):  # the common case, as below
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and value == -np.inf:
        return -np.inf
    if isinstance(value, (int, float, np.integer, np.floating)) and np.isnan(value):
        raise ValueError("alpha must be a real number or -inf, got nan")
    if isinstance(value, (int, float, np.integer, np.floating)) and value == np.inf:
        raise ValueError("alpha must be a real number or -inf, got inf")
    return check_scalar(value, "alpha")


class Barron:
    """The pieces of Barron's loss at validated inputs, shared by the value and the gradient.

    With :math:`b = |\\alpha - 2|` and :math:`t = x^2/b`, the loss is
    :math:`(b/\\alpha)(P - 1)` and its derivative in :math:`x` is
    :math:`x P / (1 + t)`, where :math:`P = (1 + t)^{\\alpha/2}`.
    """

    def __init__(self, y_true, y_pred, alpha_value, scale):
        y, y_hat = check_pair(y_true, y_pred)
        self.alpha = barron_alpha(alpha_value)
        self.scale = check_scalar(scale, "scale", low=0.0, low_open=True)
        self.x, self.x_lo, self.sq, self.sq_lo, abs_x, self.huge = scaled_residual(
            y, y_hat, self.scale)
        a = self.alpha
        if a == 2.0 or a == -np.inf:
            return
        self.b = abs(a - 2.0)
        b_hi, b_lo = two_sum(a, -2.0)
        b_hi, b_lo = abs(b_hi), (b_lo if b_hi > 0 else -b_lo)  # alpha != 2 here
        with np.errstate(over="ignore", invalid="ignore"):
            # t = x^2 / b as hi + lo: the remainder of the division is exact (TwoProduct).
            if b_hi == 1.0:  # alpha = 1 or 3: the steps below with p = t, q = 0, same bits
                t = self.sq
                t_lo = (0.0 + self.sq_lo) - t * b_lo
            else:
                t = self.sq / b_hi
                p, q = two_prod(t, np.float64(b_hi))
                t_lo = (((self.sq - p) - q) + self.sq_lo - t * b_lo) / b_hi
            # 1 + t = one_t + one_t_lo exactly, up to t_lo.
            one_t, one_t_lo = two_sum(1.0, t)
            one_t_lo = one_t_lo + t_lo
        if self.huge is None:  # no huge |x|: the masked forms below reduce to these
            self.one_t, self.one_t_lo = one_t, one_t_lo
            self.log_one_t = np.log1p(t) + t_lo / one_t  # one_t is the rounded 1 + t
            return
        big_x = np.where(self.huge, abs_x, 1.0)
        safe_t = np.where(self.huge, 1.0, t)
        safe_t_lo = np.where(self.huge, 0.0, t_lo)
        self.one_t = np.where(self.huge, 1.0, one_t)
        self.one_t_lo = np.where(self.huge, 0.0, one_t_lo)
        # log(1 + t), accurate to a few ulp for every t; for huge |x|, log(x^2 / b).
        self.log_one_t = np.where(
            self.huge,
            2.0 * np.log(big_x) - np.log(self.b),
            np.log1p(safe_t) + safe_t_lo / (1.0 + safe_t),
        )
        # u = |x| / sqrt(b) for huge |x|: P = u^alpha there (the 1 in 1 + t is below an ulp).
        self.u = big_x / np.sqrt(self.b)

    def power(self):
        """P = (1 + t)^(alpha/2): pow of the rounded 1 + t, corrected for its rounding."""
        half = 0.5 * self.alpha
        with np.errstate(over="ignore", under="ignore"):
            moderate = np.power(self.one_t, half) * np.exp(half * self.one_t_lo / self.one_t)
            if self.huge is None:
                return moderate
            return np.where(self.huge, np.power(self.u, self.alpha), moderate)

    def values(self):
        a = self.alpha
        if a == 2.0:
            return 0.5 * (self.sq + self.sq_lo)
        if a == -np.inf:
            return -np.expm1(-0.5 * (self.sq + self.sq_lo))
        half_log = 0.5 * self.log_one_t
        exponent = a * half_log
        with np.errstate(over="ignore", under="ignore"):
            small = np.abs(exponent) <= 1.0
            # Where P is near 1: (b/alpha) expm1(y) = b (log(1 + t)/2) expm1(y)/y with
            # y = alpha log(1 + t)/2; expm1(y)/y = 1 + y/2 + ... is insensitive to the
            # precision of a tiny (even subnormal) y, and needs no division by alpha.
            y = np.where(small, exponent, 1.0)
            if np.count_nonzero(y) == y.size:  # no 0/0 to avoid
                ratio = np.expm1(y) / y
            else:
                ratio = np.where(y == 0.0, 1.0, np.expm1(y) / np.where(y == 0.0, 1.0, y))
            near_one = self.b * half_log * ratio
            # Elsewhere pow (P - 1 loses at most a factor e/(e - 1); exp(y) would
            # not be accurate for a large y).
            far = (self.b / a) * (self.power() - 1.0) if a != 0.0 else near_one
            if 0.0 < a <= 2.0 and self.huge is not None:
                # huge |x|: (b/alpha) u^alpha as |x|^alpha b^(1 - alpha/2) / alpha, since
                # u = |x|/sqrt(b) overflows for b near 0 where the loss does not.
                abs_x = np.where(self.huge, np.abs(self.x), 1.0)
                scaled = np.power(abs_x, a) * (self.b ** (1.0 - 0.5 * a) / a) - self.b / a
                far = np.where(self.huge, scaled, far)
        return np.where(small, near_one, far)

    def grad(self):
        a = self.alpha
        if a == 2.0:
            return (self.x + self.x_lo) / self.scale
        if a == -np.inf:
            # x exp(-x^2/2) with the exact square: exp(-hi/2) exp(-lo/2), |lo| below an ulp of hi.
            with np.errstate(under="ignore"):
                return (self.x + self.x_lo) * (np.exp(-0.5 * self.sq) * (1.0 - 0.5 * self.sq_lo)
                                               ) / self.scale
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            # x / t first: for alpha < 0, P / t alone underflows while x P / t is a normal double.
            moderate = ((self.x + self.x_lo) / (self.one_t + self.one_t_lo)) * self.power()
            if self.huge is None:
                return moderate / self.scale
            # huge |x|: x P / t = sign(x) sqrt(b) u^(alpha - 1)
            # alpha - 1 is exact for alpha >= 1/2; below, u^alpha cannot overflow.
            u_power = np.power(self.u, a - 1.0) if a >= 0.5 else np.power(self.u, a) / self.u
            huge = np.sign(self.x) * np.sqrt(self.b) * u_power
        return np.where(self.huge, huge, moderate) / self.scale


#: Barron's shape parameters up to this magnitude may take the plain route of
#: :func:`barron_plain`; beyond, (1 + t)^(alpha/2) magnifies the rounding of t too much.
_PLAIN_ALPHA = 4.0


def _real(value):
    """A real parameter as a float (a bool is not one), else None."""
    if type(value) is float:
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return float(value)
    return None


@functools.lru_cache(maxsize=64)
def _barron_constants(a):
    """b = |alpha - 2|, alpha / 2, b / 2, b / alpha (None at alpha = 0) and the |x| up to
    which |alpha/2 log(1 + x^2/b)| <= 1 (where P = (1 + t)^(alpha/2) is near 1), once per
    alpha: every |x| below 1e140 for |alpha| <= 4e-3 (there |alpha/2 log(1 + t)| < 1.3, where
    the near form is as accurate)."""
    b = abs(a - 2.0)
    half = 0.5 * a
    near_limit = math.sqrt(b * math.expm1(1.0 / abs(half))) if abs(half) > 2e-3 else math.inf
    return b, half, 0.5 * b, (b / a if a != 0.0 else None), near_limit


def barron_plain(y_true, y_pred, a, scale, want_grad):
    r"""Barron's loss (or, with ``want_grad``, its gradient) in plain double arithmetic,
    or ``None`` where that route does not apply: alpha not a real number with
    :math:`|\alpha| \le 4` (or alpha = 2, whose value the exact square gives), a scale
    that is not a positive real number, 0-d inputs, or some
    :math:`|x|` large enough for :math:`x^2` or :math:`(1 + t)^{\alpha/2}` to overflow.
    :class:`Barron` (which also raises every error) takes the rest.

    Rounding: x = r/s carries 2 ulp, t = x^2/b 6, log1p(t) and 1 + t about 7 (t/(1+t)
    damps t's error), so (1 + t)^(alpha/2) carries at most 7 |alpha|/2 + 1 <= 15 ulp;
    P - 1 for |y| > 1 (y = alpha log(1 + t)/2) loses at most a factor e/(e - 1), and near
    P = 1 the loss is b (log(1 + t)/2) expm1(y)/y, whose last factor is insensitive to the
    precision of y: every value and gradient stays within some 30 ulp (3e-15 relative).
    """
    a, scale = _real(a), _real(scale)
    if not (a is not None and -_PLAIN_ALPHA <= a <= _PLAIN_ALPHA and a != 2.0
            and scale is not None and 0.0 < scale < math.inf):
        return None  # (invalid parameters too: Barron raises their errors, in its order)
    y, y_hat = check_pair(y_true, y_pred)  # the errors Barron raises first
    if not y.ndim:
        return None
    x = np.subtract(y_hat, y)
    if scale != 1.0:
        x /= scale
    magnitude = np.abs(x)
    biggest = float(largest(magnitude))
    b, half, half_b, b_over_alpha, near_limit = _barron_constants(a)
    # x^2 and (1 + t)^(alpha/2) finite (t below 1e296)
    if not (biggest < 1e140 and (half <= 0.0 or half * math.log1p(biggest * biggest / b) < 700.0)):
        return None
    t = x * x
    if b != 1.0:  # (alpha = 1 or 3: t = x^2)
        t /= b
    if want_grad:
        # x P / (1 + t), x / (1 + t) first: P alone may underflow for alpha < 0 where the
        # product is a normal double.
        one_t = np.add(_ONE, t, out=t)
        slope = np.divide(x, one_t, out=x)
        slope *= np.power(one_t, half, out=one_t)
        if scale != 1.0:
            slope /= scale
        return slope
    log_one_t = np.log1p(t)
    if b_over_alpha is None:  # alpha = 0: b (log(1 + t)/2) with b = 2
        return log_one_t
    exponent = half * log_one_t
    # |exponent| <= 1, to within rounding (either form is accurate at the switch)
    near = magnitude <= near_limit
    n_near = np.count_nonzero(near)
    if n_near:
        if np.count_nonzero(exponent) == exponent.size:
            ratio = np.expm1(exponent) / exponent
        else:  # expm1(y)/y -> 1 as y -> 0 (x = 0, or y below the smallest double)
            ratio = np.divide(np.expm1(exponent), exponent, out=np.ones_like(exponent),
                              where=exponent != 0.0)
        near_value = half_b * log_one_t * ratio
        if n_near == near.size:
            return near_value
    far_value = np.power(np.add(_ONE, t, out=t), half)
    far_value -= _ONE
    far_value *= b_over_alpha
    if n_near:
        np.putmask(far_value, near, near_value)
    return far_value
