r"""Extra-precise building blocks for losses that cancel near their minimum.

Double-double arithmetic (a value held as an unevaluated sum ``hi + lo`` of two
float64, about 106 bits; Dekker, 1971) and a few series. The noise-model
losses use them where the float64 formula loses every digit: ``exp(x) - y``
when the prediction is nearly right, ``v - r**2`` in the Gaussian NLL's
variance gradient, ``log 2 - z**2`` in the CRPS's scale gradient. Everything
works elementwise on float64 arrays; nothing here validates its input.
"""

from fractions import Fraction
from math import factorial

import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1: splits a double into two 26-bit halves
_LN2 = Fraction("0.693147180559945309417232121458176568075500134360255254120680009493")
#: log 2 as a double-double
LN2_HI = float(_LN2)
LN2_LO = float(_LN2 - Fraction(LN2_HI))
# log 2 in three parts for the argument reduction: k * _LN2_A is exact for |k| < 2**11.
_LN2_A = float(Fraction(round(_LN2 * 2**42), 2**42))
_LN2_B = float(_LN2 - Fraction(_LN2_A))
_LN2_C = float(_LN2 - Fraction(_LN2_A) - Fraction(_LN2_B))
_INV_FACT = [Fraction(1, factorial(n)) for n in range(30)]
_INV_FACT_HI = [float(f) for f in _INV_FACT]
_INV_FACT_LO = [float(f - Fraction(h)) for f, h in zip(_INV_FACT, _INV_FACT_HI, strict=True)]
_EXPM1_TERMS = 27  # 0.35**27 / 27! < 1e-40


def two_sum(a, b):
    """``a + b`` exactly, as ``(s, err)`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a, b):
    """``a + b`` exactly when ``|a| >= |b|``, as ``(s, err)``."""
    s = a + b
    return s, b - (s - a)


def _split(a):
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    """``a * b`` exactly, as ``(p, err)`` (Dekker); valid for ``|a|, |b| < 1e300``."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_mul(a_hi, a_lo, b_hi, b_lo):
    """Product of two double-doubles."""
    p, e = two_prod(a_hi, b_hi)
    return fast_two_sum(p, e + (a_hi * b_lo + a_lo * b_hi))


def dd_add(a_hi, a_lo, b_hi, b_lo):
    """Sum of two double-doubles."""
    s, e = two_sum(a_hi, b_hi)
    return fast_two_sum(s, e + (a_lo + b_lo))


def _expm1_dd(r_hi, r_lo):
    """``exp(r) - 1`` as a double-double, for ``|r| <= 0.35`` (Taylor series, Horner)."""
    acc_hi = np.full_like(r_hi, _INV_FACT_HI[_EXPM1_TERMS])
    acc_lo = np.full_like(r_hi, _INV_FACT_LO[_EXPM1_TERMS])
    for n in range(_EXPM1_TERMS - 1, 0, -1):
        acc_hi, acc_lo = dd_mul(acc_hi, acc_lo, r_hi, r_lo)
        acc_hi, acc_lo = dd_add(acc_hi, acc_lo, _INV_FACT_HI[n], _INV_FACT_LO[n])
    return dd_mul(acc_hi, acc_lo, r_hi, r_lo)


def exp_minus(x, y):
    """``exp(x) - y`` to nearly full relative accuracy, also when ``exp(x) ≈ y > 0``.

    Where the two are within a factor 1.5 of each other, ``exp(x)`` is formed in
    double-double: ``x = k log 2 + r`` with ``r`` exact to 106 bits, ``exp(r) - 1``
    from its Taylor series, and the difference scaled by ``2**k`` only at the end.
    """
    with np.errstate(over="ignore"):
        out = np.exp(x) - y
    near = (y > 0) & (np.abs(out) < 0.5 * y)
    if np.any(near):
        xn, yn = x[near], y[near]
        k = np.rint(xn / LN2_HI)
        r_hi = xn - k * _LN2_A  # exact: k * _LN2_A is exact and close to xn
        p_hi, p_lo = two_prod(k, _LN2_B)
        r_hi, r_lo = two_sum(r_hi, -p_hi)
        r_hi, r_lo = fast_two_sum(r_hi, r_lo - p_lo - k * _LN2_C)
        e_hi, e_lo = _expm1_dd(r_hi, r_lo)
        ki = k.astype(np.int64)
        a_hi, a_lo = two_sum(1.0, -np.ldexp(yn, -ki))  # 1 - y / 2**k, exactly
        s_hi, s_lo = dd_add(a_hi, a_lo, e_hi, e_lo)
        out[near] = np.ldexp(s_hi + s_lo, ki)
    return out


def x_minus_log1p(d):
    r"""``d - log(1 + d)`` for ``d > -1``, accurate also for tiny ``|d|`` (series below 1/4)."""
    out = np.empty_like(d)
    small = np.abs(d) < 0.25
    ds = d[small]
    acc = np.zeros_like(ds)
    for k in range(30, 1, -1):  # sum_{k>=2} (-d)^k / k, |d| < 1/4: 0.25**30 / 30 < 1e-19
        acc = acc * (-ds) + 1.0 / k
    out[small] = acc * ds * ds
    out[~small] = d[~small] - np.log1p(d[~small])
    return out


def expm1_minus_x_over_x2(x):
    r"""``(exp(x) - 1 - x) / x**2``, accurate near 0 (series for ``|x| < 1``)."""
    out = np.empty_like(x)
    small = np.abs(x) < 1.0
    xs = x[small]
    acc = np.zeros_like(xs)
    for k in range(22, -1, -1):  # sum_k x^k / (k + 2)!
        acc = acc * xs + _INV_FACT_HI[k + 2]
    out[small] = acc
    xl = x[~small]
    with np.errstate(over="ignore"):
        out[~small] = (np.expm1(xl) - xl) / xl / xl
    return out
