"""lossbook.noise_models against independent references beyond the contract battery:
scikit-learn's deviances, PyTorch's formulas in mpmath for every switch, the CRPS by
numerical integration, accuracy over the whole range of Tweedie powers, bad input."""

import warnings
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.metrics import mean_gamma_deviance, mean_poisson_deviance, mean_tweedie_deviance

from lossbook import (
    crps_gaussian,
    expectile,
    gamma_deviance,
    gaussian_nll_loss,
    poisson_deviance,
    poisson_nll_loss,
    tweedie_deviance,
)
from tests.cases.noise_models import (
    count_stress,
    gaussian_nll_reference,
    poisson_nll_reference,
    tweedie_reference,
    tweedie_stress,
)
from tests.mpmath_harness import assert_matches_mpmath

RNG = np.random.default_rng(14)


def _valid_pair(power, n=200):
    """Targets and predictions in scikit-learn's domain for ``power``."""
    mu = RNG.gamma(2.0, 2.0, size=n) + 1e-3
    if power < 0 or power == 0:
        y = RNG.normal(2.0, 3.0, size=n)
    elif power < 2:
        y = RNG.poisson(mu).astype(float)
    else:
        y = RNG.gamma(3.0, mu / 3.0) + 1e-6
    return y, mu


# ------------------------------------------------------------ scikit-learn


@pytest.mark.parametrize("power", [-2.0, -0.5, 0.0, 1.0, 1.2, 1.5, 1.9, 2.0, 2.5, 3.0, 7.0])
def test_tweedie_mean_equals_sklearn(power):
    y, mu = _valid_pair(power)
    expected = mean_tweedie_deviance(y, mu, power=power)
    assert np.isclose(tweedie_deviance(y, mu, power=power), expected, rtol=1e-12, atol=0)


def test_poisson_and_gamma_deviance_equal_sklearn():
    y, mu = _valid_pair(1.0)
    assert np.isclose(poisson_deviance(y, mu), mean_poisson_deviance(y, mu), rtol=1e-12)
    y, mu = _valid_pair(2.0)
    assert np.isclose(gamma_deviance(y, mu), mean_gamma_deviance(y, mu), rtol=1e-12)
    np.testing.assert_array_equal(poisson_deviance(y, mu, reduction="none"),
                                  tweedie_deviance(y, mu, power=1, reduction="none"))
    np.testing.assert_array_equal(gamma_deviance.grad(y, mu), tweedie_deviance.grad(y, mu, power=2))


@pytest.mark.parametrize("power", [-1.0, 0.0, 1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize(("y", "mu"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0), (1.0, -1.0),
                                       (0.0, 0.0), (2.0, 3.0)])
def test_tweedie_domain_matches_sklearn(power, y, mu):
    """Whatever scikit-learn rejects, tweedie_deviance rejects; what it accepts, agrees."""
    try:
        expected = mean_tweedie_deviance([y], [mu], power=power)
    except ValueError:
        with pytest.raises(ValueError, match="y_true|y_pred"):
            tweedie_deviance([y], [mu], power=power)
    else:
        assert np.isclose(tweedie_deviance([y], [mu], power=power), expected, rtol=1e-12)


# ---------------------------------------------------------- mpmath accuracy

POWERS = [0.0, 1.0, 1 + 1e-12, 1 + 1e-6, 1.01, 1.3, 1.5, 1.999999, 2 - 1e-12, 2.0, 2 + 1e-9,
          2.5, 3.0, 5.0, 20.0, -1e-9, -0.5, -3.0]


@pytest.mark.parametrize("power", POWERS)
def test_tweedie_accuracy_over_powers(power):
    y, mu = tweedie_stress(power)
    assert_matches_mpmath(tweedie_deviance, (y, mu), {"power": power}, rtol=1e-14, dps=50,
                          step=1e-20, reference=lambda a, b, p: tweedie_reference(a, b, power))


def test_tweedie_random_points_accuracy():
    """Random targets and predictions, 40 orders of magnitude, near-perfect to far off."""
    for power in (1.0, 1.4, 2.0, 2.7, -1.5):
        mu = np.exp(RNG.uniform(-45, 45, 40))
        rel = np.where(RNG.random(40) < 0.5, 10.0 ** RNG.uniform(-15, -1, 40),
                       RNG.uniform(-0.9, 30.0, 40))
        y = mu * (1 + rel * RNG.choice([-1, 1], 40))
        y = np.where(y > 0, y, mu / 7)
        keep = np.abs(np.log(mu)) * abs(2 - power) < 600
        assert_matches_mpmath(tweedie_deviance, (y[keep], mu[keep]), {"power": power},
                              rtol=1e-14, dps=50, step=1e-20,
                              reference=lambda a, b, p, power=power: tweedie_reference(a, b, power))


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0])
def test_few_call_forms_accuracy(power):
    """p = 1, 3/2 and 2 on moderate scales take their own closed forms and series (the
    general route takes arrays with an entry beyond 2**+-500): near-perfect predictions,
    |log(y / mu)| on either side of the series' gate 1/2, y far below and above mu, and
    y = 0 at p = 3/2."""
    from lossbook import noise_models

    y = np.repeat([1.0, 3.7, 1e-100, 1e100, 0.31], 18)
    u = np.tile([1e-9, 1e-15, -1e-12, 1e-6, -0.3, 0.4999, 0.5, 0.5001, -0.4999, -0.5, -0.5001,
                 -0.69, -0.7, 2.0, -3.0, 30.0, -40.0, 45.0], 5)
    mu = y * np.exp(-u)
    if power == 1.5:
        y, mu = np.append(y, [0.0, 0.0]), np.append(mu, [2.5, 1e-100])
    assert noise_models._fast_deviance(y, mu, power) is not None
    assert_matches_mpmath(tweedie_deviance, (y, mu), {"power": power}, rtol=1e-14, dps=50,
                          step=1e-20, reference=lambda a, b, p: tweedie_reference(a, b, power))


@pytest.mark.parametrize("power", [1.0, 1.3, 2.0, 3.0])
def test_large_arrays_take_the_series_block_by_block(power):
    """Beyond _BLOCK elements the series' powers are formed a block at a time: the
    values are those of the same pairs taken a few at a time (to an ulp or two)."""
    from lossbook import _precise

    rng = np.random.default_rng(7)
    n = 3 * _precise._BLOCK + 17
    y = rng.gamma(2.0, 1.5, n)
    mu = y * np.exp(rng.normal(0.0, 0.7, n) * 10.0 ** rng.uniform(-8, 0, n))
    whole = tweedie_deviance(y, mu, power=power, reduction="none")
    pieces = np.concatenate([tweedie_deviance(y[i:i + 50], mu[i:i + 50], power=power,
                                              reduction="none") for i in range(0, n, 50)])
    np.testing.assert_allclose(whole, pieces, rtol=5e-16, atol=0)
    for bad in (np.nan, np.inf, -1.0):  # the large pairs' checks raise as the small ones'
        mu_bad = mu.copy()
        mu_bad[-1] = bad
        with pytest.raises(ValueError, match="y_pred"):
            tweedie_deviance(y, mu_bad, power=power)


@pytest.mark.parametrize("power", [1.0, 1.3, 1.5, 2.0, 3.0, -1.0])
def test_deviance_of_zero_dimensional_arrays(power):
    """A 0-d pair gives the value of the same pair as 1-d arrays, as a numpy scalar."""
    for y, mu in ((2.0, 2.5), (1e-30, 1e-30 * (1 + 1e-9)), (3.0, 3.0)):
        one = tweedie_deviance(np.array([y]), np.array([mu]), power=power, reduction="none")
        value = tweedie_deviance(np.array(y), np.array(mu), power=power, reduction="none")
        assert np.shape(value) == () and value == one[0]
        assert tweedie_deviance.grad(np.array(y), np.array(mu), power=power).shape == ()


def test_deviances_vanish_exactly_at_perfect_predictions():
    y = np.array([1e-200, 0.5, 3.0, 1e200])
    for power in (1.0, 1.5, 2.0, 3.0, -1.0):
        assert np.all(tweedie_deviance(y, y, power=power, reduction="none") == 0)
        assert np.all(tweedie_deviance.grad(y, y, power=power) == 0)


def test_tiny_deviance_is_not_rounded_to_zero():
    mu = 1.0 + 1e-12
    for power in (1.0, 1.5, 2.0, 3.0):
        value = tweedie_deviance([1.0], [mu], power=power)
        assert np.isclose(value, (mu - 1.0) ** 2, rtol=1e-11)  # mu^-p (y - mu)^2 + O(d^3)


def _near_log_points(seed, n):
    """x next to log y over the whole range of y (exp(x) - y from 1e-2 y down to ~1e-20 y),
    and x = log y (rounded) +- a few ulp for y in [0.7, 1.4], where exp(x) - y falls to
    ~1e-19 y and a table error of 2**-107 would show."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.exp(rng.uniform(-740, 705, n)), rng.integers(1, 50, n).astype(float)])
    x = np.log(y)
    x = (x + rng.integers(-3, 4, x.size) * np.spacing(x)
         + rng.normal(size=x.size) * 10.0 ** rng.uniform(-19, -2, x.size))
    y_one = rng.uniform(0.7, 1.4, 10 * n)
    x_one = np.log(y_one) + rng.integers(-2, 3, y_one.size) * np.spacing(np.log(y_one))
    return np.concatenate([x, x_one]), np.concatenate([y, y_one])


@pytest.mark.parametrize("one_by_one", [True, False])
def test_exp_minus_keeps_full_accuracy_near_log_y(one_by_one, monkeypatch):
    """The table-driven exp(x) - y of the Poisson gradient against mpmath, in both of its
    modes (a loop over a few elements, whole arrays), and bit for bit between them."""
    from lossbook import _precise

    x, y = _near_log_points(1, 150)
    monkeypatch.setattr(_precise, "_SCALAR_LIMIT", 10**9 if one_by_one else 0)
    actual = _precise.exp_minus(x, y)
    with mp.workdps(60):
        for a, b, got in zip(x, y, actual, strict=True):
            ref = mp.exp(mp.mpf(a)) - mp.mpf(b)
            if abs(ref) > 1e-300:  # subnormal differences keep only an absolute accuracy
                assert abs(got - ref) <= 1e-14 * abs(ref), (a, b, got, float(ref))
    monkeypatch.setattr(_precise, "_SCALAR_LIMIT", 0 if one_by_one else 10**9)
    np.testing.assert_array_equal(_precise.exp_minus(x, y), actual)


@pytest.mark.parametrize("b", [-18.0, -1.0, -1e-9, 0.0, 0.5, 1.0 - 1e-12, 1.0, 2.0])
def test_tweedie_series_truncation_is_below_rounding(b):
    """The terms the series drops for small |u| change its value by less than an ulp:
    against all 26 terms, at every scale of |u| up to the series' limit."""
    from lossbook._precise import _half_deviance_series, series_terms

    reach = 1.0 / max(1.0, abs(b))
    for rho in (1e-12, 1e-4, 0.03, 0.3, 1.0):
        u = reach * rho * np.linspace(-1.0, 1.0, 201)
        full = _half_deviance_series(u, b)
        short = _half_deviance_series(u, b, series_terms(rho))
        assert series_terms(rho) < 26
        np.testing.assert_allclose(short, full, rtol=2.0**-52, atol=0)


@pytest.mark.parametrize("terms", range(1, 17))
def test_power_series_every_term_count_against_exact_sums(terms):
    """_power_series (powers by doubling, the first rows one by one) against the exact sum
    of the same coefficients times exact powers, for every number of terms the deviances
    use, two rows at once, on |x| <= 1/2 (where the terms fall off geometrically): to
    8 eps (the roundings of the powers and of the sum, amplified where the terms alternate;
    4 eps are seen)."""
    from lossbook._precise import _coefficient_rows, _power_series

    x = np.linspace(-0.5, 0.5, 41)
    rows = _coefficient_rows((1.0, 0.0), terms)
    got = _power_series(x, rows)
    assert got.shape == (2, x.size)
    for row, values in zip(rows, got, strict=True):
        for xv, value in zip(x, values, strict=True):
            exact = sum(Fraction(c) * Fraction(xv) ** (k + 2) for k, c in enumerate(row))
            assert abs(Fraction(value) - exact) <= 2.0**-50 * abs(exact), (terms, xv)


def test_two_square_is_two_prod_of_a_with_itself_and_exact():
    """Over its range (2**-450 < |a| < 1e150), the one-split square gives the bits of
    Dekker's two_prod(a, a), and p + err is a**2 exactly."""
    from lossbook._precise import two_prod, two_square

    rng = np.random.default_rng(3)
    a = rng.uniform(1.0, 2.0, 2000) * 2.0 ** rng.integers(-449, 498, 2000)
    a *= rng.choice([-1.0, 1.0], a.size)
    p, err = two_square(a)
    q, e = two_prod(a, a)
    np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(err, e)
    for value, hi, lo in zip(a[:200], p[:200], err[:200], strict=True):
        assert Fraction(hi) + Fraction(lo) == Fraction(value) ** 2


def test_deviance_gate_on_the_square_is_the_gate_on_the_magnitude():
    """The Poisson and gamma deviances gate on u^2 >= 1/4 for |u| >= 1/2: the same
    elements, also for the doubles next to 1/2."""
    half = 0.5
    u = np.array([np.nextafter(half, 0.0), half, np.nextafter(half, 1.0)])
    u = np.concatenate((u, -u, [0.0, 1e-300, 1e300 ** 0.5]))
    np.testing.assert_array_equal(u * u >= 0.25, np.abs(u) >= 0.5)


NON_FULL = {"y_values": [0.5, 1.0, 2.0, 3.0, 17.0, 1e5, 1e200, 1e-200]}


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [True, False])
def test_poisson_nll_every_switch_against_pytorch_formula(log_input, full):
    """PyTorch's formula in mpmath. Without Stirling's term the loss changes sign near
    y = e at the optimum, where no float formula keeps relative accuracy: e is left out."""
    y, p, params = count_stress({"log_input": log_input, "full": full, "eps": 1e-8})
    keep = ~np.isclose(y, np.e)
    assert_matches_mpmath(poisson_nll_loss, (y[keep], p[keep]), params, rtol=1e-14, dps=50,
                          step=1e-20, reference=poisson_nll_reference)


def test_poisson_nll_gradient_vanishes_at_the_log_mean():
    y = np.array([1.0, 4.0, 1e-30, 1e200])
    # At the float nearest log y the gradient e^y_pred - y is tiny, not rounding noise of y.
    assert np.all(np.abs(poisson_nll_loss.grad(y, np.log(y))) <= y * np.abs(np.spacing(np.log(y))))
    assert poisson_nll_loss.grad([1.0], [0.0])[0] == 0.0
    y = np.array([1.0, 4.0, 2.0])
    rate = y - 1e-8  # rate + eps is y up to the rounding of rate: a gradient of ~1e-17
    exact = [float(1 - Fraction(t) / (Fraction(r) + Fraction(1e-8)))
             for t, r in zip(y, rate, strict=True)]
    np.testing.assert_allclose(poisson_nll_loss.grad(y, rate, log_input=False), exact,
                               rtol=1e-15)


def test_poisson_nll_full_is_half_deviance_plus_constant():
    y = np.array([2.0, 5.0, 40.0])
    log_rate = np.log(y) + np.array([0.3, -0.2, 1e-7])
    expected = 0.5 * poisson_deviance(y, np.exp(log_rate), reduction="none") + 0.5 * np.log(
        2 * np.pi * y)
    np.testing.assert_allclose(poisson_nll_loss(y, log_rate, full=True, reduction="none"),
                               expected, rtol=1e-13)


@pytest.mark.parametrize("full", [True, False])
def test_gaussian_nll_against_pytorch_formula(full):
    y = np.array([0.0, 0.0, 1.5, 0.0, 1e200])
    p = np.array([2.0, 1e5, 4.5, 1e100, 1e200 * (1 + 1e-15)])
    var = np.array([3.0, 1e20, 9.0 * (1 + 1e-13), 1e200 * (1 + 2.0**-40), 1e300])
    assert_matches_mpmath(gaussian_nll_loss, (y, p, var), {"full": full, "eps": 1e-6},
                          rtol=1e-14, dps=50, step=1e-20, reference=gaussian_nll_reference)


def test_gaussian_nll_var_gradient_below_eps_is_zero_not_straight_through():
    """Below eps the loss is constant in var: lossbook's d/dvar is 0. PyTorch would pass
    1/2 (1/eps - r^2/eps^2) through the clamp; at var >= eps both are that formula."""
    y, p, eps = np.zeros(3), np.array([1.0, 1.0, 1.0]), 1e-3
    var = np.array([1e-5, eps, 2 * eps])
    d_pred, d_var = gaussian_nll_loss.grad(y, p, var, eps=eps)
    clamped = np.maximum(var, eps)
    np.testing.assert_allclose(d_pred, 1.0 / clamped, rtol=1e-15)
    assert d_var[0] == 0.0
    np.testing.assert_allclose(d_var[1:], 0.5 * (1 / clamped[1:] - 1 / clamped[1:] ** 2),
                               rtol=1e-14)
    values = gaussian_nll_loss(y, p, var, eps=eps, reduction="none")
    assert values[0] == values[1]


def test_gaussian_nll_variance_minimiser_is_squared_residual():
    r = np.array([0.5, 2.0, 0.125])  # r^2 exact in float64
    _, d_var = gaussian_nll_loss.grad(np.zeros(3), r, r**2, eps=1e-12)
    np.testing.assert_array_equal(d_var, np.zeros(3))


# ----------------------------------------------------------------- CRPS


@pytest.mark.parametrize(("y", "mu", "sigma"), [(0.0, 0.0, 1.0), (1.3, -0.4, 0.7),
                                                (-2.0, 3.0, 2.5), (10.0, 9.0, 0.1)])
def test_crps_equals_integral_of_squared_cdf_difference(y, mu, sigma):
    """CRPS(F, y) = int (F(x) - 1{x >= y})^2 dx, by quadrature on either side of y."""
    below, _ = integrate.quad(lambda x: stats.norm.cdf(x, mu, sigma) ** 2, -np.inf, y,
                              epsabs=1e-13, epsrel=1e-12)
    above, _ = integrate.quad(lambda x: stats.norm.sf(x, mu, sigma) ** 2, y, np.inf,
                              epsabs=1e-13, epsrel=1e-12)
    assert np.isclose(crps_gaussian([y], [mu], [sigma]), below + above, rtol=1e-9)


def test_crps_large_misses_tend_to_absolute_error():
    mu = np.array([50.0, -1e10])
    values = crps_gaussian(np.zeros(2), mu, np.ones(2), reduction="none")
    np.testing.assert_allclose(values, np.abs(mu) - 1 / np.sqrt(np.pi), rtol=1e-15)
    d_mu, d_sigma = crps_gaussian.grad(np.zeros(2), mu, np.ones(2))
    np.testing.assert_array_equal(d_mu, np.sign(mu))
    np.testing.assert_allclose(d_sigma, -1 / np.sqrt(np.pi), rtol=1e-15)


# ------------------------------------------------------------- expectile


def test_expectile_half_is_half_squared_error_and_minimiser_is_the_expectile():
    y = RNG.exponential(size=400)
    p = RNG.normal(size=400)
    np.testing.assert_allclose(expectile(y, p, tau=0.5, reduction="none"), 0.5 * (y - p) ** 2)
    tau = 0.8
    grid = np.linspace(0.0, 3.0, 30001)
    risks = [expectile(y, np.full_like(y, m), tau=tau) for m in grid]
    best = grid[int(np.argmin(risks))]
    # The tau-expectile m solves tau E(Y - m)_+ = (1 - tau) E(m - Y)_+ (Newey & Powell).
    gap = tau * np.mean(np.maximum(y - best, 0)) - (1 - tau) * np.mean(np.maximum(best - y, 0))
    assert abs(gap) < 1e-4


# ------------------------------------- extreme scales and parameter edges (issue 14)
# The stress grids: targets from 1e-200 to 1e200 with near-perfect to far-off
# predictions, sigma = 1e-300, and every parameter at the edges of its range. mpmath's
# numerical derivative rounds the values to the working precision before differencing, so
# a grid whose loss is dominated by a term that does not depend on the argument being
# differentiated (log v next to r^2 / v, |r| next to sigma / sqrt(pi)) needs hundreds of
# digits: dps=700 below.

SCALES = np.array([1e-200, -3.0, 7.5e-3, 1e100, 1e200])


def _scaled_grid(deltas, scales=SCALES):
    """Targets at every scale, each with predictions y (1 + delta)."""
    y = np.repeat(scales, len(deltas))
    return y, y * (1.0 + np.tile(deltas, len(scales)))


@pytest.mark.parametrize("tau", [1e-300, 1e-12, 0.3, 1 - 1e-12, 1 - 2.0**-53])
def test_expectile_extreme_scales_and_levels_against_mpmath(tau):
    # no exact zero residual: at u = 0 the central difference of mpmath is (2 tau - 1) h / 2,
    # not the derivative 0; and |u| <= 3e150 so that u^2 does not overflow
    y, p = _scaled_grid([1e-12, -1e-12, -0.5, 3.0], np.array([1e-200, -3.0, 1e100, 1e150]))
    assert_matches_mpmath(expectile, (y, p), {"tau": tau}, rtol=1e-14, dps=50, step=1e-20)


def crps_reference_any_z(y, mu, sigma, params):
    """Gneiting et al. (2005), eq. (5), with 2 Phi(z) - 1 = erf(z / sqrt 2) and the density
    written out (mpmath's ncdf gives up at |z| ~ 1e288; erf and exp do not)."""
    z = (y - mu) / sigma
    return sigma * (z * mp.erf(z / mp.sqrt(2)) + mp.sqrt(2 / mp.pi) * mp.exp(-z * z / 2)
                    - 1 / mp.sqrt(mp.pi))


@pytest.mark.parametrize("sigma", [1e-300, 1e-200, 1.0, 1e200])
def test_crps_extreme_scales_against_mpmath(sigma):
    """y from 1e-200 to 1e200, predictions within 1e-12 of it and far off, sigma = 1e-300 to
    1e200: |z| from 1e-412 to 1e500 (z itself overflows in float64 there)."""
    y, mu = _scaled_grid([0.0, 1e-12, -1e-12, -0.3, 5.0])
    sigmas = np.full_like(y, sigma)
    # the loss spans |r| (up to 5e200) and sigma: the derivative that the other term dominates
    # needs about |log10 sigma| + 200 more digits than a loss of order 1
    dps = 260 + int(abs(np.log10(sigma)))
    assert_matches_mpmath(crps_gaussian, (y, mu, sigmas), {}, rtol=1e-14, dps=dps, step=1e-20,
                          reference=crps_reference_any_z)


@pytest.mark.parametrize("eps", [1e-300, 1e-6, 1.0])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_extreme_scales_against_mpmath(eps, full):
    """Targets from 1e-200 to 1e200, perfect to far-off means, variances from 1e-300 (below
    the clamp) to 1e300, the clamp eps at 1e-300, PyTorch's 1e-6 and 1."""
    y, p = _scaled_grid([0.0, 1e-12, -0.5, 3.0])
    with np.errstate(over="ignore"):  # (p - y)^2 overflows at the largest scale
        near_best = np.minimum((p - y) ** 2 * (1 + 2.0**-30), 1e300) + 1e-300
        var = np.concatenate([np.full(y.size, 1e-300), np.full(y.size, 1.0),
                              np.full(y.size, 1e300), near_best])
        y, p = np.tile(y, 4), np.tile(p, 4)
        # leave out the points whose true loss or gradient overflows float64 (r^2 / v > 1e300),
        # and var = eps, the kink of the clamp (a central difference averages its two sides)
        keep = ((p - y) ** 2 / np.maximum(var, eps) < 1e300) & (var != eps)
    y, p, var = y[keep], p[keep], var[keep]
    assert keep.sum() >= 40
    assert_matches_mpmath(gaussian_nll_loss, (y, p, var), {"full": full, "eps": eps},
                          rtol=1e-14, dps=700, step=1e-20, reference=gaussian_nll_reference)


def _rate_grid():
    """Counts 0 to 1e200 (and 1e-200) with rates near-perfect, 0.6 and four times the count
    (not half: with eps = 1 the rate y / 2 + eps would be the exact optimum y = 2, where the
    gradient is 0 and mpmath's numerical derivative only rounding noise)."""
    counts = np.array([0.5, 1.0, 2.0, 17.0, 1e5, 1e200, 1e-200])
    y, rate = _scaled_grid([1e-9, -0.4, 3.0], counts)
    return np.concatenate([y, [0.0, 0.0]]), np.concatenate([rate, [2.0, 1e-100]])


@pytest.mark.parametrize("eps", [0.0, 1e-300, 1.0, 1e3])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_on_rates_eps_at_the_edges_against_pytorch_formula(eps, full):
    y, rate = _rate_grid()
    assert_matches_mpmath(poisson_nll_loss, (y, rate), {"log_input": False, "full": full,
                                                        "eps": eps},
                          rtol=1e-14, dps=50, step=1e-20, reference=poisson_nll_reference)


@pytest.mark.parametrize("eps", [1e6, 1e10])
def test_poisson_nll_on_rates_full_with_a_large_eps_against_pytorch_formula(eps):
    y = np.array([2.0, 3.0, 17.0])
    assert_matches_mpmath(poisson_nll_loss, (y, y * (1 + 1e-9)), {"log_input": False,
                                                                  "full": True, "eps": eps},
                          rtol=1e-14, dps=50, step=1e-20, reference=poisson_nll_reference)


@pytest.mark.parametrize("shape", [(), (1,)])
def test_crps_grad_near_its_zero_against_mpmath_also_for_scalars(shape):
    """d/dsigma = 2 phi(z) - 1/sqrt(pi) vanishes at z^2 = log 2, where the double-double route
    takes over; scalar (0-d) inputs once raised a TypeError there."""
    z = float(mp.sqrt(mp.log(2))) * (1 + 1e-9)
    d_mu, d_sigma = crps_gaussian.grad(np.full(shape, z), np.zeros(shape), np.ones(shape))
    mp.mp.dps = 50
    zm = mp.mpf(z)
    expected = 2 * mp.npdf(zm) - 1 / mp.sqrt(mp.pi)
    assert np.shape(d_sigma) == shape
    assert abs(float(np.reshape(d_sigma, -1)[0]) - expected) <= 1e-14 * abs(expected)
    assert float(np.reshape(d_mu, -1)[0]) == pytest.approx(float(-mp.erf(zm / mp.sqrt(2))),
                                                             rel=1e-15)


def test_crps_grad_of_a_far_miss_emits_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d_mu, d_sigma = crps_gaussian.grad([0.0], [1e200], [1e-100])
    assert d_mu[0] == 1.0 and np.isclose(d_sigma[0], -1 / np.sqrt(np.pi), rtol=1e-15)


def test_poisson_nll_of_a_tiny_rate_emits_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = poisson_nll_loss([1.0], [1e-200], log_input=False, eps=0.0)
    assert np.isclose(value, 1e-200 + 200 * np.log(10), rtol=1e-15)


# --------------------------------------------------------------- bad input

BAD = [
    (poisson_nll_loss, ([-1.0], [0.0]), {}, ValueError, "y_true"),
    (poisson_nll_loss, ([1.0], [-1.0]), {"log_input": False}, ValueError, "y_pred"),
    (poisson_nll_loss, ([1.0], [0.0]), {"log_input": False, "eps": 0.0}, ValueError, "y_pred"),
    (poisson_nll_loss, ([1.0], [0.0]), {"eps": -1e-8}, ValueError, "eps"),
    (gaussian_nll_loss, ([0.0], [0.0], [-1.0]), {}, ValueError, "var"),
    (gaussian_nll_loss, ([0.0], [0.0], [[1.0]]), {}, ValueError, "var"),
    (gaussian_nll_loss, ([0.0], [0.0], [np.nan]), {}, ValueError, "var"),
    (gaussian_nll_loss, ([0.0], [0.0], [1.0]), {"eps": 0.0}, ValueError, "eps"),
    (tweedie_deviance, ([1.0], [1.0]), {"power": 0.5}, ValueError, "power"),
    (tweedie_deviance, ([1.0], [1.0]), {"power": np.nan}, ValueError, "power"),
    (tweedie_deviance, ([1.0], [1.0]), {"power": "1"}, TypeError, "power"),
    (tweedie_deviance, ([1.0], [0.0]), {"power": 1.5}, ValueError, "y_pred"),
    (tweedie_deviance, ([-1.0], [1.0]), {"power": 1.5}, ValueError, "y_true"),
    (tweedie_deviance, ([0.0], [1.0]), {"power": 2.0}, ValueError, "y_true"),
    (tweedie_deviance, ([1.0], [0.0]), {"power": -1.0}, ValueError, "y_pred"),
    (poisson_deviance, ([1.0], [0.0]), {}, ValueError, "y_pred"),
    (gamma_deviance, ([0.0], [1.0]), {}, ValueError, "y_true"),
    (expectile, ([0.0], [1.0]), {"tau": 0.0}, ValueError, "tau"),
    (expectile, ([0.0], [1.0]), {"tau": 1.0}, ValueError, "tau"),
    (crps_gaussian, ([0.0], [0.0], [0.0]), {}, ValueError, "sigma"),
    (crps_gaussian, ([0.0], [0.0], [1.0, 2.0]), {}, ValueError, "sigma"),
    (crps_gaussian, ([0.0], [0.0], ["a"]), {}, TypeError, "sigma"),
]


@pytest.mark.parametrize(("loss", "arrays", "params", "error", "name"), BAD,
                         ids=[f"{b[0].__name__}-{b[4]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_naming_the_argument(loss, arrays, params, error, name):
    with pytest.raises(error, match=name):
        loss(*arrays, **params)
    with pytest.raises(error, match=name):
        loss.grad(*arrays, **params)


@pytest.mark.parametrize(("where", "bad"), [
    *((where, bad) for where in (0, 1, 2) for bad in (np.nan, np.inf, -np.inf)),
    (2, 0.0), (2, -1.0),  # sigma <= 0 (any finite y_true, y_pred is valid)
])
def test_crps_float64_arrays_with_a_bad_entry_raise_naming_it(where, bad):
    """Small float64 arrays take a shortcut through the checks (one concatenation, two
    reductions): a non-finite entry in any argument, or sigma <= 0, still raises naming
    the argument, before any arithmetic (no warning)."""
    arrays = [np.zeros(3), np.zeros(3), np.ones(3)]
    arrays[where][1] = bad
    name = ("y_true", "y_pred", "sigma")[where]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=name):
            crps_gaussian(*arrays)
        with pytest.raises(ValueError, match=name):
            crps_gaussian.grad(*arrays)


def test_crps_of_float64_arrays_far_beyond_sigma_emits_no_warning():
    """z^2 overflows for |y - mu| / sigma = 1e300 (the shortcut then keeps np.errstate):
    the score is still |y - mu|, d/dsigma -1/sqrt(pi), and nothing warns."""
    y, mu, sigma = np.zeros(2), np.array([1e200, -1e200]), np.full(2, 1e-100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = crps_gaussian(y, mu, sigma, reduction="none")
        d_mu, d_sigma = crps_gaussian.grad(y, mu, sigma)
    np.testing.assert_allclose(values, 1e200, rtol=1e-15)
    np.testing.assert_array_equal(d_mu, [1.0, -1.0])
    np.testing.assert_allclose(d_sigma, -1.0 / np.sqrt(np.pi), rtol=1e-15)


@pytest.mark.parametrize(("loss", "arrays", "switch"), [
    (poisson_nll_loss, ([1.0], [0.5]), "log_input"),
    (poisson_nll_loss, ([1.0], [0.5]), "full"),
    (gaussian_nll_loss, ([1.0], [0.5], [1.0]), "full"),
])
@pytest.mark.parametrize("bad", ["False", np.nan, None])
def test_switches_must_be_bools(loss, arrays, switch, bad):
    with pytest.raises(TypeError, match=switch):
        loss(*arrays, **{switch: bad})
