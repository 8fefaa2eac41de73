r"""The numerics of the KL divergences of :mod:`lossbook.generative`.

:math:`\psi(x) = e^x - 1 - x \ge 0` (:func:`exp_excess`), evaluated by a Taylor series
for :math:`|x| \le 1` and as ``expm1(x) - x`` beyond, so that it keeps full relative
accuracy at :math:`x = 10^{-8}` (where :math:`\psi \approx 5 \cdot 10^{-17}` and
``exp(x) - 1 - x`` would return 0 or noise), and its row sums for the Gaussian KL
(:func:`excess_row_sums`: the series only for the rows that need it); and the KL
divergence of two softmaxes and
its gradient (:func:`distillation_kl`), accurate when the student is close to its
teacher, when the logits are a thousand apart, and at any temperature.
"""

import numpy as np

from ._rowwise import (
    ONE,
    PSI_COEFFICIENTS,
    STACK_LIMIT,
    log1p_minus,
    power_series,
    series_plan,
)
from .logits import softmax_parts, tempered_softmax, tempered_softmax_terms

_PSI_PLAN = series_plan(PSI_COEFFICIENTS)
#: Below this e^x cannot overflow (log of the largest double: 709.78); a 0-d array (see ONE)
EXP_SAFE = np.array(709.0)


def may_overflow(x):
    """Whether e^x may overflow (then the caller silences the warning by errstate, which
    costs a few µs): on a small x by a comparison and a count (cheaper than errstate and
    than a maximum; NaN passes), on a large one without looking (a pass costs more)."""
    return x.size > STACK_LIMIT or np.count_nonzero(x > EXP_SAFE)


def _psi_series(x):
    r""":math:`\psi(x) = x^2\,(1/2 + \sum_{k=1}^{19} x^k/(k+2)!)` for :math:`|x| \le 1`
    (the first term left out is below :math:`1/22! \approx 9 \cdot 10^{-22}` of
    :math:`x^2`), by ``_rowwise.power_series`` (powers by doubling, one matrix-vector
    product). :math:`x^k` carries at most :math:`(k-1)/2` ulp, the terms fall like
    :math:`1/(k+2)!` and their sum stays below 0.22 beside the 1/2 added last, so the
    result is accurate to a couple of ulp.
    """
    return power_series(x, _PSI_PLAN, times_power=2)


def exp_excess(x):
    r""":math:`\psi(x) = e^x - 1 - x \ge 0` with full relative accuracy for every float ``x``.

    A Taylor series for :math:`|x| \le 1` (``expm1(x) - x`` would lose about
    :math:`\log_2(2/|x|)` bits there); ``expm1(x) - x`` beyond, where at most two
    bits cancel (:math:`x > 1`) or nothing does (:math:`x < -1`: two positive terms).
    Overflows to ``inf`` only where :math:`e^x` does (:math:`x > 709.78`).
    """
    small = np.abs(x) <= ONE
    n_small = np.count_nonzero(small)
    if n_small == small.size:  # the series alone (the common case of a VAE's log-variances)
        return _psi_series(x)
    if may_overflow(x):  # inf, without a warning
        with np.errstate(over="ignore", invalid="ignore"):  # (and psi(inf) = inf - inf: NaN)
            large = np.expm1(x) - x
    else:
        large = np.expm1(x) - x
    if not n_small:
        return large if x.ndim else np.asarray(large)  # (a 0-d x: an array, as ever)
    # some entries of each kind (x has an axis): the series on the small ones only, written
    # over their large form
    large[small] = _psi_series(x[small])
    return large


_TWO = np.array(2.0)  # (0-d: see ONE)


def excess_row_sums(x, base):
    r"""Per row (the last axis), :math:`S = \sum_j (b_j + \psi(x_j))` for ``base``
    :math:`b \ge 0` of x's shape (as for the Gaussian KL: :math:`b = \mu^2`), with the
    relative accuracy of :func:`exp_excess` and without its series where a row allows.

    First every :math:`\psi(x_j)` as ``expm1(x_j) - x_j``: that carries the error of
    expm1, :math:`\le u_e |\operatorname{expm1}(x_j)|` (one ulp, :math:`u_e = 2^{-52}`),
    plus roundings of a few :math:`2^{-53}` of each non-negative term. A row with
    :math:`\sum_j |\operatorname{expm1}(x_j)| \le 2S` is within :math:`2u_e` of S from
    expm1, as good as :func:`exp_excess` beyond :math:`|x| > 1` (where
    :math:`|\operatorname{expm1}(x)| \le 2.4\,\psi(x)`): the small :math:`|x_j|`, where
    expm1 - x cancels, weigh nothing next to the rest of the row. Only the rows where
    they do (a posterior close to the prior) take :func:`exp_excess`; which route a row
    takes depends on that row alone.
    """
    if may_overflow(x):  # inf, without a warning
        with np.errstate(over="ignore", invalid="ignore"):  # (and psi(inf) = inf - inf: NaN)
            growth = np.expm1(x)
            terms = growth - x
    else:
        growth = np.expm1(x)
        terms = growth - x
    terms += base
    sums = np.add.reduce(terms, axis=-1)
    spread = np.add.reduce(np.abs(growth, out=growth), axis=-1)
    passed = spread <= _TWO * sums  # (NaN fails)
    n_passed = np.count_nonzero(passed)
    if n_passed == passed.size:
        return sums
    precise = exp_excess(x)
    precise += base
    precise = np.add.reduce(precise, axis=-1)
    return np.where(passed, sums, precise) if n_passed else precise


#: Where every centred log-ratio x_j <= 40, no p_j e^(x_j) exceeds e^40 and the route
#: below is accurate (e^x to 40 ulp at most, 4e-15); beyond, _distillation_far.
_X_SWITCH = 40.0
# Above this log-weight the row's KL exceeds 30 and the log-sum-exp route is accurate.
_LOG_WEIGHT_SWITCH = 30.0
_EIGHT = np.array(8.0)  # (0-d: see ONE)


def _row_mean(p, v):
    """E_p[v] along the last axis (one vecdot, cheaper than a product and a sum)."""
    return np.vecdot(p, v)


def distillation_kl(t, s, temperature, want_grad, largest_t, largest_s):
    r"""KL(p || q) per row or, with ``want_grad``, q - p, for p = softmax(t/T) (teacher)
    and q = softmax(s/T) (student).

    With :math:`d = (s - t)/T` and :math:`x = d - \mathbb E_p[d]`, :math:`q \propto p e^x`,
    :math:`q_j - p_j = p_j(\operatorname{expm1}(x_j) - m)/(1 + m)` with
    :math:`m = \mathbb E_p[\operatorname{expm1}(x)] = \mathbb E_p[e^x] - 1`, and
    :math:`\mathrm{KL} = \log(1 + m) - B`, :math:`B = \mathbb E_p[x]`. Those sums carry
    a few ulp of :math:`C = \mathbb E_p[|\operatorname{expm1}(x)| + |x|]`: enough for the
    gradient (whose own terms carry as much), and for a row's KL where
    :math:`C \le 8\,\mathrm{KL}` (a few times 1e-16 relative). Where some row fails that
    test (a student close to its teacher), every row takes :func:`_kl_near`, which sums no
    cancelling terms; where some :math:`x_j > 40`, :func:`_distillation_far` takes over.
    ``largest_t`` and ``largest_s`` are the largest |t| and |s|: every
    :math:`|x_j| \le 2(|t| + |s|)_{\max}/T`.
    """
    if not (t.flags.c_contiguous and s.flags.c_contiguous):
        t, s = np.ascontiguousarray(t), np.ascontiguousarray(s)
    # |t| <= 16 T: no scaled gap below -32, nothing to put back (see tempered_softmax)
    p = tempered_softmax(t, temperature, bounded=largest_t <= 16.0 * temperature)
    # s - t as an unevaluated sum hi + lo (Knuth's TwoSum): centring hi before adding lo
    # keeps x accurate when s is t plus a large shift (the KL ignores the shift).
    hi = s - t
    s_back = hi + t
    lo = (s - s_back) + ((s_back - hi) - t)
    x = (hi - _row_mean(p, hi)[..., None]) + lo
    if temperature != 1.0:
        x /= temperature
    if (2.0 * (largest_t + largest_s) > _X_SWITCH * temperature
            and np.maximum.reduce(x, axis=None) > _X_SWITCH):
        return _distillation_far(t, s, temperature, p, x, want_grad)
    growth = np.expm1(x)  # e^x - 1
    m = _row_mean(p, growth)  # E_p[e^x] - 1
    if want_grad:
        growth -= m[..., None]
        growth *= p
        growth /= ONE + m[..., None]
        return growth
    kl = np.log1p(m) - _row_mean(p, x)
    # |expm1(x)| + |x| as |expm1(x) + x|: expm1 keeps the sign of x, so the two sums have
    # the same magnitude, bit for bit (one pass fewer)
    growth += x
    np.abs(growth, out=growth)
    # (a KL that rounds to <= 0 fails too; count_nonzero costs less than a ufunc reduction)
    if np.count_nonzero(_row_mean(p, growth) <= _EIGHT * kl) == kl.size:
        return kl
    return _kl_near(p, x)


def _kl_near(p, x):
    """KL = A + (log1p(m) - m), A = E_p[psi(x)] >= 0 summed without cancellation, B = E_p[x]
    after a second centring (rounding level, so that B^2 << A), m = A + B."""
    x = x - _row_mean(p, x)[..., None]
    b = _row_mean(p, x)
    return _kl_from_sums(_row_mean(p, exp_excess(x)), b)


def _kl_from_sums(a_sum, b):
    """KL = A + (log1p(m) - m) with m = A + B while m is small (B, rounding noise, may
    exceed A when p is nearly one-hot); log1p(m) - B once A dominates (then
    A + log1p(m) - m would cancel). Never below 0."""
    m = a_sum + b  # E_p[e^x] - 1
    small_m = m <= 0.5
    n_small_m = np.count_nonzero(small_m)
    if n_small_m == small_m.size:
        kl = a_sum + log1p_minus(m)
    elif n_small_m:
        kl = np.where(small_m, a_sum + log1p_minus(np.minimum(m, 0.5)), np.log1p(m) - b)
    else:
        kl = np.log1p(m) - b
    return np.maximum(kl, 0.0)


def _distillation_far(t, s, temperature, p, x, want_grad):
    """:func:`distillation_kl` where some x_j > 40: p_j e^(x_j) (which may overflow where the
    KL does not) as the exponential of log(p_j e^(x_j)), and each row whose weights exceed
    e^30 (a KL above 30) by a log-sum-exp."""
    x = x - np.add.reduce(p * x, axis=-1, keepdims=True)  # a second centring, as in _kl_near
    b = np.add.reduce(p * x, axis=-1, keepdims=True)
    top_indices, _, rest = tempered_softmax_terms(t, temperature)
    # log(p_j e^{x_j}) = (s_j - s_r)/T + x_r - log1p(rest), r the teacher's arg-max: one
    # rounding of the student's own logit gap, not log p_j + x_j (two large terms).
    row_shape = t.shape[:-1] + (1,)
    s_r = s.reshape(-1)[top_indices].reshape(row_shape)  # one entry per row
    x_r = x.reshape(-1)[top_indices].reshape(row_shape)
    log_w = (s - s_r) / temperature + (x_r - np.log1p(rest))
    large_row = np.maximum.reduce(log_w, axis=-1, keepdims=True) > _LOG_WEIGHT_SWITCH
    any_large = np.count_nonzero(large_row)
    up = x > 1.0
    if np.count_nonzero(up):
        w = np.exp(np.minimum(log_w, _LOG_WEIGHT_SWITCH))  # p e^x where it may exceed p e
        x_low = np.minimum(x, 1.0)
        excess_a = np.where(up, w - p * (1.0 + x), p * exp_excess(x_low))  # p psi(x)
    else:  # every x <= 1: the series (or expm1) alone
        x_low = x
        excess_a = p * exp_excess(x)
    a_sum = np.add.reduce(excess_a, axis=-1, keepdims=True)
    if not want_grad:
        kl = _kl_from_sums(a_sum, b)
        if any_large:
            _, top, _, rest_w = softmax_parts(log_w)
            kl = np.where(large_row, np.maximum(top + np.log1p(rest_w) - b, 0.0), kl)
        return kl[..., 0]
    m = a_sum + b
    if x_low is x:
        excess = p * np.expm1(x)  # p (e^x - 1)
    else:
        excess = np.where(up, w - p, p * np.expm1(x_low))
    q_minus_p = (excess - p * m) / (1.0 + m)
    if any_large:
        shifted = (s - np.maximum.reduce(s, axis=-1, keepdims=True)) / temperature
        _, _, e_s, rest_s = softmax_parts(shifted)
        q_minus_p = np.where(large_row, e_s / (1.0 + rest_s) - p, q_minus_p)
    return q_minus_p
