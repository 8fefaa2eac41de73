r"""Extra-precise building blocks for losses that cancel near their minimum.

Double-double arithmetic (a value held as an unevaluated sum ``hi + lo`` of two
float64, about 106 bits; Dekker, 1971) and a few series. The noise-model
losses use them where the float64 formula loses every digit: ``exp(x) - y``
when the prediction is nearly right, ``v - r**2`` in the Gaussian NLL's
variance gradient, ``log 2 - z**2`` in the CRPS's scale gradient. Everything
works elementwise on float64 arrays; nothing here validates its input.

A numpy call costs about half a microsecond whatever the size of a small array, so
the precise paths run only on the elements that need them, and where only a few
elements do, some of them loop over Python floats with the very same operations
(IEEE arithmetic rounds alike in both).
"""

import bisect
import functools
import math
from fractions import Fraction
from math import factorial

import numpy as np

from ._validation import largest

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


def two_square(a):
    """``a * a`` exactly, as ``(p, err)``, for ``2**-450 < |a| < 1e150``: :func:`two_prod`
    with one split instead of two, and the same bits there (its cross terms ``ah al`` are
    exact, and so is adding both at once). Below that range an error term underflows."""
    p = a * a
    ah, al = _split(a)
    return p, ((ah * ah - p) + 2.0 * ah * al) + al * al


def dd_mul(a_hi, a_lo, b_hi, b_lo):
    """Product of two double-doubles."""
    p, e = two_prod(a_hi, b_hi)
    return fast_two_sum(p, e + (a_hi * b_lo + a_lo * b_hi))


def dd_add(a_hi, a_lo, b_hi, b_lo):
    """Sum of two double-doubles."""
    s, e = two_sum(a_hi, b_hi)
    return fast_two_sum(s, e + (a_lo + b_lo))


# ------------------------------------------------- exp(x) - y from a table of exp(j/64)
_TABLE_STEP = 64  # exp(r) = exp(j/64) exp(s) with |s| <= 1/128
_TABLE_HALF = 23  # |r| <= log(2)/2 < 23/64


def _exp_table():
    """exp(j/64) for |j| <= 23 in three parts hi + lo + lo2 (a double-double is only good
    to about 2**-107), from fixed-point integer Taylor sums with 200 fraction bits."""
    one = 1 << 200
    his, los, lo2s = [], [], []
    for j in range(-_TABLE_HALF, _TABLE_HALF + 1):
        x, term, total = j * (one // _TABLE_STEP), one, one
        for n in range(1, 60):  # (23/64)**60 / 60! < 2**-300
            term = term * x // (n * one)
            total += term
        value = Fraction(total, one)
        his.append(float(value))
        los.append(float(value - Fraction(his[-1])))
        lo2s.append(float(value - Fraction(his[-1]) - Fraction(los[-1])))
    return his, los, lo2s


_EXP_TABLE = _exp_table()
_EXP_TABLE_ARRAYS = tuple(np.array(part) for part in _EXP_TABLE)
# Q(s) = expm1(s) / s = sum_n s^n / (n+1)!: n = 6..10 in plain float (|s|^6 / 7! < 2**-54),
# n = 5..0 carried as double-doubles.
_Q_TAIL = [_INV_FACT_HI[n + 1] for n in range(10, 5, -1)]
_Q_HEAD = [(_INV_FACT_HI[n + 1], _INV_FACT_LO[n + 1]) for n in range(5, -1, -1)]
_SCALAR_LIMIT = 12  # up to this many near elements, loop over Python floats


def _exp_r_minus_m(r_hi, r_lo, m, j, t_hi, t_lo, t_lo2):
    """exp(r) - m for r = r_hi + r_lo, |r| <= log(2)/2, m within 1/15 of exp(r), given
    j = round(64 r_hi) and exp(j/64) = t_hi + t_lo + t_lo2. Only +, -, *: the same code
    runs on arrays and on Python floats, with the same roundings."""
    s = r_hi - j * (1.0 / _TABLE_STEP)  # exact (Sterbenz), |s| <= 1/128
    s_c = _SPLITTER * s
    s_h = s_c - (s_c - s)
    s_l = s - s_h
    q_hi = _Q_TAIL[0]
    for c in _Q_TAIL[1:]:
        q_hi = q_hi * s + c
    q_lo = 0.0
    for c_hi, c_lo in _Q_HEAD:  # Q <- c + s Q in double-double (Dekker's product, |c| > |s Q|)
        p = q_hi * s
        q_c = _SPLITTER * q_hi
        q_h = q_c - (q_c - q_hi)
        q_l = q_hi - q_h
        err = (((q_h * s_h - p) + q_h * s_l + q_l * s_h) + q_l * s_l) + q_lo * s
        q_hi = c_hi + p
        q_lo = ((p - (q_hi - c_hi)) + err) + c_lo
    # expm1(r) - expm1(s) ~ r_lo exp(s): E = s Q + r_lo (1 + s Q), as e_hi + e_lo.
    e_hi = s * q_hi
    q_c = _SPLITTER * q_hi
    q_h = q_c - (q_c - q_hi)
    q_l = q_hi - q_h
    e_lo = ((((s_h * q_h - e_hi) + s_h * q_l + s_l * q_h) + s_l * q_l) + s * q_lo
            + r_lo * (1.0 + e_hi))
    # exp(r) - m = (t_hi - m) + t_lo + t E; t_hi - m is exact (Sterbenz).
    te_hi = t_hi * e_hi
    t_c, e_c = _SPLITTER * t_hi, _SPLITTER * e_hi
    t_h, e_h = t_c - (t_c - t_hi), e_c - (e_c - e_hi)
    t_l, e_l = t_hi - t_h, e_hi - e_h
    te_lo = (((t_h * e_h - te_hi) + t_h * e_l + t_l * e_h) + t_l * e_l
             + (t_hi * e_lo + t_lo * e_hi))
    d = t_hi - m
    total = d + te_hi
    back = total - d
    err = (d - (total - back)) + (te_hi - back)  # total + err = d + te_hi exactly
    # Near a perfect prediction total ~ -t_lo: their sum is exact (Sterbenz) before the
    # last, small terms are added.
    return (total + t_lo) + ((err + te_lo) + t_lo2)


def _reduce(x):
    """x = k log 2 + r_hi + r_lo (|r| <= log(2)/2, r to about 106 bits), for arrays or floats."""
    k = np.rint(x / LN2_HI) if isinstance(x, np.ndarray) else float(round(x / LN2_HI))
    r_hi = x - k * _LN2_A  # exact: k * _LN2_A is exact and close to x
    p_hi, p_lo = two_prod(k, _LN2_B)
    r_hi, r_lo = two_sum(r_hi, -p_hi)
    r_hi, r_lo = fast_two_sum(r_hi, r_lo - p_lo - k * _LN2_C)
    return k, r_hi, r_lo


def exp_minus(x, y):
    """``exp(x) - y`` to nearly full relative accuracy, also when ``exp(x) ≈ y > 0``.

    Where the two are within 1/16 of each other, ``exp(x)`` is formed in double-double:
    ``x = k log 2 + r`` with ``r`` exact to 106 bits, ``exp(r) = exp(j/64) exp(s)`` with
    ``exp(j/64)`` from a table (three doubles) and ``expm1(s)``, ``|s| <= 1/128``, from 11
    Taylor terms of which 6 are double-double, good to about ``2**-108 y``; the difference
    is scaled by ``2**k`` only at the end. A few near elements are computed one by one on
    Python floats, cheaper than numpy calls.
    """
    with np.errstate(over="ignore"):
        out = np.exp(x) - y
    # Beyond |exp(x) - y| = y / 16 the float64 difference loses at most 5 bits.
    near = (y > 0) & (np.abs(out) < 0.0625 * y)
    count = np.count_nonzero(near)
    if count == 0:
        return out
    xn, yn = x[near], y[near]
    if count <= _SCALAR_LIMIT:
        values = []
        table_hi, table_lo, table_lo2 = _EXP_TABLE
        for xv, yv in zip(xn.tolist(), yn.tolist(), strict=True):
            k, r_hi, r_lo = _reduce(xv)
            j = round(r_hi * _TABLE_STEP)
            i = j + _TABLE_HALF
            ki = int(k)
            values.append(math.ldexp(_exp_r_minus_m(r_hi, r_lo, math.ldexp(yv, -ki), float(j),
                                                    table_hi[i], table_lo[i], table_lo2[i]), ki))
        out[near] = values
        return out
    k, r_hi, r_lo = _reduce(xn)
    j = np.rint(r_hi * _TABLE_STEP)
    i = j.astype(np.intp) + _TABLE_HALF
    ki = k.astype(np.int64)
    t_hi, t_lo, t_lo2 = (part[i] for part in _EXP_TABLE_ARRAYS)
    out[near] = np.ldexp(_exp_r_minus_m(r_hi, r_lo, np.ldexp(yn, -ki), j, t_hi, t_lo, t_lo2),
                         ki)
    return out


def x_minus_log1p(d):
    r"""``d - log(1 + d)`` for ``d > -1``, accurate also for tiny ``|d|`` (series below 1/4)."""
    out = np.empty_like(d)
    small = np.abs(d) < 0.25
    ds = d[small]
    minus_ds = -ds
    acc = np.zeros_like(ds)
    for k in range(30, 1, -1):  # sum_{k>=2} (-d)^k / k, |d| < 1/4: 0.25**30 / 30 < 1e-19
        acc *= minus_ds  # in place: the roundings of acc = acc * (-ds) + 1/k
        acc += 1.0 / k
    out[small] = acc * ds * ds
    out[~small] = d[~small] - np.log1p(d[~small])
    return out


def expm1_minus_x_over_x2(x):
    r"""``(exp(x) - 1 - x) / x**2``, accurate near 0 (series for ``|x| < 1``)."""
    small = np.abs(x) < 1.0
    count = np.count_nonzero(small)
    xs = x if count == small.size else x[small]
    if count <= _SCALAR_LIMIT:  # a few elements: the same Horner steps on Python floats
        values = []
        for v in xs.ravel().tolist():
            acc = 0.0
            for k in range(22, -1, -1):
                acc = acc * v + _INV_FACT_HI[k + 2]
            values.append(acc)
        acc = np.array(values).reshape(xs.shape)
    else:
        acc = np.zeros_like(xs)
        for k in range(22, -1, -1):  # sum_k x^k / (k + 2)!
            acc *= xs
            acc += _INV_FACT_HI[k + 2]
    if count == small.size:
        return acc
    out = np.empty_like(x)
    out[small] = acc
    xl = x[~small]
    with np.errstate(over="ignore"):
        out[~small] = (np.expm1(xl) - xl) / xl / xl
    return out


# ------------------------------------------------ the Tweedie deviance's forms
_SERIES_TERMS = 26


@functools.lru_cache(maxsize=64)
def _series_coefficients(b):
    """S_k / (k+2)! for k < _SERIES_TERMS, S_k = 1 + b + ... + b^k (a power's, computed once)."""
    coeffs, total = [], 0.0
    for k in range(_SERIES_TERMS):
        total = 1.0 + b * total
        coeffs.append(total / factorial(k + 2))
    return tuple(coeffs)


@functools.lru_cache(maxsize=64)
def _coefficient_rows(bs, terms):
    """The first ``terms`` coefficients of the series for each b in ``bs``, one row each."""
    return np.array([_series_coefficients(b)[:terms] for b in bs])


_BLOCK = 4096  # elements per block of _power_series: 26 powers of a block fill 832 KiB


def _power_series(x, rows, powers=None):
    """``rows @ [x^2, x^3, .., x^(K+1)]`` (x flattened; K columns in ``rows``) as one matrix
    product: the powers by doubling (rows 0..f-1 of the powers times x^f give rows
    f..2f-1: a handful of numpy calls, against two per term for Horner's scheme). Power
    x^(j+2) is a product of j + 2 factors x rounded j + 1 times, as in Horner's scheme;
    where a series is used its terms fall off geometrically, so the sum is as accurate
    as Horner's. A large ``x`` goes a block of ``_BLOCK`` at a time, so that its powers
    stay in the cache instead of filling (terms x size) fresh memory. ``powers``, for a
    small ``x`` only, is a (K, size) array to fill whose first row already holds x^2 (a
    caller that needed the squares first)."""
    flat = x.reshape(-1)
    if flat.size > _BLOCK:
        return np.concatenate([_power_series(flat[start:start + _BLOCK], rows)
                               for start in range(0, flat.size, _BLOCK)], axis=-1)
    terms = rows.shape[-1]
    if powers is None:
        powers = np.empty((terms, flat.size))
        np.multiply(flat, flat, out=powers[0])
    # The first rows one by one: a 1-d product costs half a 2-d one with a broadcast
    # factor row (the products of the doubling: x^3 = x^2 x, x^4 = x^2 x^2, x^5 = x^3 x^2)
    square = powers[0]
    if terms > 1:
        np.multiply(square, flat, out=powers[1])
    if terms > 2:
        np.multiply(square, square, out=powers[2])
    if terms > 3:
        np.multiply(powers[1], square, out=powers[3])
    filled = 4
    while filled < terms:
        upper = min(2 * filled, terms)
        factor = powers[filled - 2]  # x^filled
        np.multiply(powers[:upper - filled], factor, out=powers[filled:upper])
        filled = upper
    return np.dot(rows, powers)  # (the bits of @, with less overhead)


def _half_deviance_series(u, b, terms=_SERIES_TERMS):
    r"""g(u) = sum_k S_k u^(k+2) / (k+2)!, S_k = 1 + b + ... + b^k: e^{-bu} times half the
    unit deviance at mu = 1, y = e^u. No division by (1 - p) or (2 - p). The first
    ``terms`` terms (:func:`series_terms` says how many are needed)."""
    return _power_series(u, _coefficient_rows((b,), terms))[0].reshape(u.shape)


# sum_{k>=K} |S_k| rho^k / (k+2)! <= 2 (K+1) rho^K / (K+2)! for rho = |u| max(1, |b|) <= 1
# (|S_k| <= (k+1) max(1, |b|)^k, and each term is at most 3/8 of the one before); below
# _SERIES_RHO[K - 1] that tail is under 2**-67, far below the rounding of the first term 1/2.
_SERIES_RHO = [(2.0**-67 * factorial(k + 2) / (2 * (k + 1))) ** (1.0 / k)
               for k in range(1, _SERIES_TERMS + 1)]


def series_terms(rho):
    """How many terms of the Tweedie series suffice where |u| max(1, |b|) <= rho <= 1."""
    return min(bisect.bisect_left(_SERIES_RHO, rho) + 1, _SERIES_TERMS)


# For 0 <= b <= 1, 1 <= S_k <= k + 1: the terms t_k of g(v), v >= 0, are all positive and
# t_k / t_0 <= 2 (k+1) v^k / (k+2)!, each at most half the one before once k >= 2v; so
# below _POSITIVE_RHO[K - 1] the terms from K on add up to less than 2**-56 of g(v).
_POSITIVE_RHO = [(2.0**-56 * factorial(k + 2) / (4 * (k + 1))) ** (1.0 / k)
                 for k in range(1, _SERIES_TERMS + 1)]


def positive_series_terms(rho):
    """How many terms of the series suffice for 0 <= v <= rho when 0 <= b <= 1."""
    return min(bisect.bisect_left(_POSITIVE_RHO, rho) + 1, _SERIES_TERMS)


def power_dd(x, exponent):
    """x ** (hi + lo) for an exponent held as a double-double (1 - p, 2 - p are not always
    exact in float64, and their rounding error would be amplified by log x)."""
    hi, lo = exponent
    out = np.power(x, hi)
    return out * (1.0 + lo * np.log(x)) if lo != 0.0 else out


def _log_ratio(y, mu):
    """log(y / mu): log1p of (y - mu) / mu within a factor 1.5 either way, else the log of
    the ratio, or log y - log mu where the ratio leaves the normal range."""
    ratio = y / mu
    # One test for the whole array (the common case): every ratio normal.
    if not (ratio.size and np.minimum.reduce(ratio, axis=None) > 1e-300
            and np.maximum.reduce(ratio, axis=None) < 1e300):
        normal = (ratio > 1e-300) & (ratio < 1e300)
        u = np.where(normal, np.log(np.where(normal, ratio, 1.0)), np.log(y) - np.log(mu))
    else:
        u = np.log(ratio)
    d = (y - mu) / mu
    # log1p only where |d| < 1/2, written into u (ufunc where=: one call, no second array)
    return np.log1p(d, out=u, where=np.abs(d) < 0.5)


def _tweedie_far(ys, ms, us, p):
    """Half the unit deviance away from the series' range: the better conditioned of two
    closed forms (by the condition number of their last subtraction)."""
    a_dd, b_dd = two_sum(1.0, -p), two_sum(2.0, -p)
    a, b = a_dd[0], b_dd[0]
    ma = power_dd(ms, a_dd)
    # F2: ((y^b - mu^b)/b - mu^a (y - mu)) / a; good unless p is near 1.
    bu = b * us
    if b == 0.0:
        big_b = us
    else:
        mb = power_dd(ms, b_dd)
        big_b = np.where(np.abs(bu) < 1.0, mb * np.expm1(bu) / b,
                         (power_dd(ys, b_dd) - mb) / b)
    t2 = ma * (ys - ms)
    if a != 0.0:
        f2 = (big_b - t2) / a
        err2 = (np.abs(big_b) + np.abs(t2)) / np.abs(big_b - t2)
    else:
        f2 = err2 = np.full_like(ys, np.inf)
    # F3: mu^a (y a u^2 phi(a u) + y (u - 1) + mu) / b; good near p = 1.
    if b > 0.0:
        au = a * us
        t3 = ys * a * us * us * expm1_minus_x_over_x2(au)
        linear = ys * (us - 1.0)
        s3 = t3 + linear + ms
        f3 = ma * s3 / b
        err3 = (np.abs(t3) * (1.0 + np.abs(au)) + np.abs(linear) + ms) / np.abs(s3)
    else:
        f3 = err3 = np.full_like(ys, np.inf)
    return np.where(err3 < err2, f3, f2)


_POSITIVE_REACH = 2.0  # 1 <= p <= 2: the series takes |u| up to this (24 terms)


def _positive_series(y, mu, u, b, p):
    """Half the unit deviance for 1 <= p <= 2 (0 <= b <= 1) where |u| <= _POSITIVE_REACH,
    and which elements those are. With g_b the series of :func:`_half_deviance_series`,
    g_b(u) = e^u g_(1-b)(-u) (swap the roles of y and mu, and p for 3 - p), and 1 - b = p - 1
    lies in [0, 1] too: on either side of u = 0 a series in |u| whose terms are all
    positive, so none cancels however large |u|; the ratio y / mu is e^u to one rounding.
    No NaN can arise (mu^b <= max(1, mu)). The mask is None when it covers every element.
    """
    size = np.abs(u)
    rho = np.maximum.reduce(size, axis=None)
    series = None  # all of them (the common case: no mask)
    if rho > _POSITIVE_REACH:
        series = size <= _POSITIVE_REACH
        rho = np.maximum.reduce(size, axis=None, where=series, initial=0.0)
    sides = _power_series(size, _coefficient_rows((b, p - 1.0), positive_series_terms(rho)))
    g = np.multiply(sides[1].reshape(u.shape), y / mu, out=sides[0].reshape(u.shape),
                    where=u < 0)
    return power_dd(mu, (b, 0.0)) * g, series


def tweedie_half_deviance(y, mu, p):
    """Half the unit deviance, y > 0, mu > 0, p <= 0 or p >= 1 (p != 0 handled by caller)."""
    b_dd = two_sum(2.0, -p)
    b = b_dd[0]
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        u = _log_ratio(y, mu)
        # The series on every element (cheaper than selecting the near ones; elementwise,
        # so the same values), then the closed forms where |u| is too large for it.
        if 0.0 <= b <= 1.0:
            out, series = _positive_series(y, mu, u, b, p)
            if series is None:
                return out
        else:
            scaled_u = np.abs(u) * max(1.0, abs(b))
            series = scaled_u <= 1.0
            # As many terms as the largest |u| of the series' elements needs: near-perfect
            # predictions take a few, not 26.
            rho = np.maximum.reduce(scaled_u, axis=None, where=series, initial=0.0)
            half = power_dd(mu, (0.5 * b, 0.5 * b_dd[1]))
            out = (half * _half_deviance_series(u, b, series_terms(rho))) * half
        rest = ~series
        if rest.any():
            out[rest] = _tweedie_far(y[rest], mu[rest], u[rest], p)
    # NaN (an overflowed power times 0) means an infinite deviance; a NaN makes the sum NaN.
    if math.isnan(np.add.reduce(out, axis=None)):
        out = np.where(np.isnan(out), np.inf, out)
    return out


# -------------------------------------- p = 1, 2 and 3/2 in a few numpy calls
# On float64 arrays already checked (finite, y > 0 or, for p = 3/2, y >= 0, mu > 0, every
# entry in [2**-500, 2**500]): no ratio leaves the normal range and nothing overflows,
# so these need no np.errstate. eps below is 2**-53.
_GATE = 0.5  # |u| = |log(y / mu)| below this takes the series, above it the closed forms
_GATE_TERMS = positive_series_terms(_GATE)  # enough for |u| < _GATE (|S_k| <= k + 1)
# As 0-d arrays for ufunc operands: numpy converts a Python float on every call
_GATE_SQUARED_0D, _MINUS_HALF = np.array(_GATE * _GATE), np.array(-0.5)


def poisson_gamma_half_deviance(y, mu, p):
    r"""Half the Poisson (``p = 1``) or gamma (``p = 2``) unit deviance, with
    :math:`d = (y - \mu)/\mu` and :math:`u = \log(y/\mu)`: :math:`\mu\,((1 + d)\,u - d)`
    and :math:`d - u`.

    Both closed forms cancel only near a perfect prediction. ``d`` is good to 2 eps
    (one rounded subtraction, one division); ``u`` is ``log1p(d)`` (1 ulp, plus ``d``'s
    error times ``|d| / (1 + d)``) where ``d > -1/2``, else the log of the ratio (1 ulp
    plus eps). Adding up these errors, each weighted by its term over the result,
    bounds the relative error of the closed forms for ``|u| >= 1/2`` by 30 eps (gamma)
    and 35 eps (Poisson, with the product by ``mu``), largest at ``|u| = 1/2``
    (evaluated on a fine grid of ``u`` out to 40; it decreases further out). Below 1/2
    the series :func:`_half_deviance_series` takes over (each term at most a third of the
    one before), with at most ``_GATE_TERMS`` terms.
    """
    if y.ndim != 1:  # flat: the squares of u are then the first row of the series' powers
        return poisson_gamma_half_deviance(y.reshape(-1), mu.reshape(-1), p).reshape(y.shape)
    ratio = y / mu
    d = y - mu
    d /= mu
    u = np.log(ratio)
    np.log1p(d, out=u, where=d > _MINUS_HALF)  # in place: log1p where it is the accurate one
    # u^2 once, for the series and the gate: u^2 >= 1/4 exactly where |u| >= 1/2 (squaring
    # rounds monotonically, 1/4 is a double, and the double below 1/2 squares below it).
    powers = np.empty((_GATE_TERMS, u.size)) if u.size <= _BLOCK else None
    square = np.multiply(u, u, out=None if powers is None else powers[0])
    far = square >= _GATE_SQUARED_0D
    some_far = np.count_nonzero(far)  # (a count: cheaper than a maximum over |u|)
    # With an element beyond the gate the series takes _GATE_TERMS terms; else as many as
    # the largest |u| needs (near-perfect predictions take a few).
    terms = (_GATE_TERMS if some_far
             else min(series_terms(largest(np.abs(u))), _GATE_TERMS))
    g = _power_series(u, _coefficient_rows((2.0 - p,), terms),
                      None if powers is None else powers[:terms])[0]
    if some_far:  # the closed form written over the series where |u| >= _GATE
        if p == 1.0:
            np.subtract(np.multiply(ratio, u, out=ratio), d, out=g, where=far)
        else:
            np.subtract(d, u, out=g, where=far)
    if p == 1.0:
        g *= mu
    return g


def tweedie_three_halves_deviance(y, mu):
    r"""The unit deviance at ``p = 3/2``, :math:`4(\sqrt y - \sqrt\mu)^2 / \sqrt\mu`, as
    :math:`4 (q / \mu^{1/4})^2` with :math:`q = (y - \mu) / (\sqrt y + \sqrt\mu)`.

    No subtraction cancels: ``y - mu`` is exact or rounded once, the sum of the roots
    and the quotient once each, the roots and ``mu**(1/4)`` (two square roots) carry at
    most eps each; so ``q / mu**(1/4)`` is good to about 6 eps and its square to 12 eps,
    for every ``y >= 0`` (``y = 0`` gives ``4 sqrt(mu)``), near-perfect predictions
    included. Dividing ``q`` by ``mu**(1/4)`` before squaring keeps the intermediate
    values in range wherever the deviance is.
    """
    root_mu = np.sqrt(mu)
    q = y - mu
    q /= np.sqrt(y) + root_mu
    q /= np.sqrt(root_mu)
    q *= q
    q *= 4.0
    return q


# ------------------------------------------------ double-double rows and dot products
def split_on_grid(x, sigma):
    """``x = hi + lo`` exactly, ``hi`` being ``x`` rounded to a multiple of ``ulp(sigma)``
    (``sigma = 1.5 * 2**k`` and ``|x| <= 2**k``; Rump, Ogita and Oishi's ExtractVector)."""
    hi = (x + sigma) - sigma
    return hi, x - hi


def dd_sqrt(a_hi, a_lo):
    """Square root of a positive double-double (one Newton step from ``sqrt(a_hi)``)."""
    r = np.sqrt(a_hi)
    p, e = two_prod(r, r)
    return fast_two_sum(r, (((a_hi - p) - e) + a_lo) / (r + r))


def unit_rows_dd(x):
    """The rows of ``x`` (no zero row, last axis d) divided by their Euclidean norm, as a
    double-double ``(hi, lo)`` good to about ``1e-23`` (far beyond float64's ``1e-16``): the
    row is scaled by a power of two (exact), its squared norm summed exactly from entries
    cut to a coarse grid (their squares and partial sums are exact) plus the small rest
    (rounded at about ``2**-53 2**-beta``), its root and the quotient corrected with
    TwoProd.

    >>> hi, lo = unit_rows_dd(np.array([[1e150, 3e149, -7e149]]))
    >>> square = sum((Fraction(h) + Fraction(l)) ** 2 for h, l in zip(hi[0], lo[0]))
    >>> abs(float(square - 1)) < 1e-22
    True
    """
    d = x.shape[-1]
    biggest = np.maximum.reduce(np.abs(x), axis=-1, keepdims=True)
    w = x / 2.0 ** np.floor(np.log2(biggest))  # largest |entry| in [1, 2)
    # entries on the grid 2**-beta: squares on 2**-2beta, every partial sum below 4d, exact
    beta = int((52 - math.log2(4 * d)) // 2)
    w1, w2 = split_on_grid(w, 1.5 * 2.0 ** (52 - beta))
    n_hi, n_lo = fast_two_sum(np.add.reduce(w1 * w1, axis=-1, keepdims=True),
                              np.add.reduce((w1 + w1 + w2) * w2, axis=-1, keepdims=True))
    r_hi, r_lo = dd_sqrt(n_hi, n_lo)
    u = w / r_hi
    p, e = two_prod(u, r_hi)
    return u, (((w - p) - e) - u * r_lo) / r_hi


def unit_dots_dd(a_hi, a_lo, b_hi, b_lo):
    """All dot products ``a_i . b_j`` of rows of norm 1 (double-doubles from
    :func:`unit_rows_dd`) as a double-double: the high parts cut to the grid 2**-26 have
    exact products and exact partial sums (below 2 by Cauchy-Schwarz), whatever order the
    matrix product sums in; one more matrix product gives the small rest (of size 2**-26,
    so rounded at about ``1e-24 sqrt(d)``).

    >>> hi, lo = unit_rows_dd(np.array([[1.0, 2.0, 3.0], [3.0, -1.0, 0.5]]))
    >>> c_hi, c_lo = unit_dots_dd(hi, lo, hi, lo)
    >>> bool(c_hi[0, 0] == 1.0 and abs(c_lo[0, 0]) < 1e-22)
    True
    """
    a1, a2 = split_on_grid(a_hi, 1.5 * 2.0**26)
    b1, b2 = split_on_grid(b_hi, 1.5 * 2.0**26)
    exact = a1 @ b1.T
    rest = np.concatenate((a1, a2 + a_lo, a_hi), axis=-1) @ np.concatenate(
        (b2, b_hi, b_lo), axis=-1).T
    return two_sum(exact, rest)
