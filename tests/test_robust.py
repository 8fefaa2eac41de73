"""Robust losses (Tukey's biweight, Barron's general loss, generalized cross-entropy)
against mpmath at 50 digits, their special cases, sympy limits and hand derivations."""

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from lossbook import cross_entropy, general_robust_loss, generalized_cross_entropy, tukey_biweight
from lossbook import symbols as sym
from lossbook.checks import finite_difference_grad
from lossbook.robust import alpha as alpha_symbol
from lossbook.robust import s as scale_symbol

RTOL = 1e-14


def _rel_err(actual, expected):
    """|a - e| / |e| (0 when both are 0; inf against 0 when a is not)."""
    expected = float(expected)
    if expected == 0.0 or not np.isfinite(expected):
        return 0.0 if actual == expected else abs(actual)
    return abs(actual - expected) / abs(expected)


# --------------------------------------------------------------- Tukey


def _tukey_reference(r, c):
    """The textbook formula at 50 digits; extra digits where 1 - (1 - u)^3 cancels."""
    r, c = mp.mpf(r), mp.mpf(c)
    if abs(r) > c:
        return c**2 / 6, mp.mpf(0)
    extra = int(-2 * mp.log10(abs(r) / c)) + 10 if r != 0 else 0
    with mp.extradps(max(extra, 0)):
        value = c**2 / 6 * (1 - (1 - (r / c) ** 2) ** 3)
        # psi from the same formula, differentiated by hand: r (1 - (r/c)^2)^2
        slope = r * (1 - (r / c) ** 2) ** 2
    return value, slope


def _around_cutoff(c):
    near = [c, np.nextafter(c, 0.0), np.nextafter(c, np.inf), c * (1 - 1e-8), c * (1 + 1e-8),
            c * (1 - 1e-15)]
    return near + [-v for v in near]


TUKEY_RESIDUALS = [0.0, 1e-300, -1e-150, 1e-20, -3e-8, 0.5, -1.0, 3.0, 1e5, -1e300]


@pytest.mark.parametrize("c", [4.685, 1.0, 1e-3, 1e100])
@pytest.mark.parametrize("target", [0.0, 123.25, -0.1])
def test_tukey_against_mpmath_including_the_cutoff(c, target):
    residuals = np.array(TUKEY_RESIDUALS + _around_cutoff(c))
    y = np.full(residuals.size, target)
    y_hat = y + residuals
    values = tukey_biweight(y, y_hat, c=c, reduction="none")
    grads = tukey_biweight.grad(y, y_hat, c=c)
    with mp.workdps(50):
        for k in range(y.size):
            r = mp.mpf(y_hat[k]) - mp.mpf(y[k])  # the residual the stored floats really have
            ref_value, ref_slope = _tukey_reference(r, c)
            assert _rel_err(values[k], ref_value) <= RTOL, (k, r, values[k], ref_value)
            assert _rel_err(grads[k], ref_slope) <= RTOL, (k, r, grads[k], ref_slope)


def test_tukey_redescends_and_is_flat_beyond_c():
    c = 2.0
    r = np.linspace(-6, 6, 1201)
    psi = tukey_biweight.grad(np.zeros_like(r), r, c=c)
    assert np.all(psi[np.abs(r) >= c] == 0.0)
    # psi = r (1 - (r/c)^2)^2 peaks at r = c / sqrt(5), where psi = (16 / 25) c / sqrt(5)
    peak = np.argmax(psi)
    assert r[peak] == pytest.approx(c / np.sqrt(5), abs=6e-3)
    assert psi[peak] == pytest.approx(16 / 25 * c / np.sqrt(5), rel=1e-4)
    values = tukey_biweight(np.zeros_like(r), r, c=c, reduction="none")
    assert np.all(values[np.abs(r) >= c] == c**2 / 6)


def test_tukey_is_half_the_squared_residual_near_zero():
    r = np.array([1e-8, -1e-5])
    np.testing.assert_allclose(tukey_biweight(np.zeros(2), r, reduction="none"), r**2 / 2,
                               rtol=1e-9)


def test_tukey_grad_matches_finite_differences_and_sympy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=20)
    r = rng.choice([-1.0, 1.0], size=20) * rng.uniform(0.1, 6.0, size=20)
    r = np.where(np.abs(np.abs(r) - 3.0) < 0.05, r * 1.1, r)  # clear of the cutoff c = 3
    y_hat = y + r
    numeric = finite_difference_grad(lambda v: tukey_biweight(y, v, c=3.0, reduction="sum"),
                                     y_hat.copy())
    np.testing.assert_allclose(tukey_biweight.grad(y, y_hat, c=3.0), numeric, rtol=1e-6,
                               atol=1e-8)
    expr = tukey_biweight.symbolic()
    (c_symbol,) = expr.free_symbols - {sym.y, sym.y_hat}
    args = [sym.y, sym.y_hat, c_symbol]
    values = sp.lambdify(args, expr, "numpy")(y, y_hat, 3.0)
    slope = sp.lambdify(args, sp.diff(expr, sym.y_hat), "numpy")(y, y_hat, 3.0)
    np.testing.assert_allclose(tukey_biweight(y, y_hat, c=3.0, reduction="none"), values,
                               rtol=1e-12)
    np.testing.assert_allclose(tukey_biweight.grad(y, y_hat, c=3.0), slope, rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("c", [0.0, -1.0, np.inf, np.nan])
def test_tukey_rejects_bad_cutoff(c):
    with pytest.raises(ValueError, match=r"\bc\b"):
        tukey_biweight([0.0], [1.0], c=c)
    with pytest.raises(ValueError, match=r"\bc\b"):
        tukey_biweight.grad([0.0], [1.0], c=c)


# --------------------------------------------------------------- Barron


def _barron_reference(x, a):
    """Barron's formula and its limits, literally, at 50 digits (extra where it cancels)."""
    x = mp.mpf(x)
    with mp.extradps(60 + (max(0, int(-2 * mp.log10(abs(x)))) if x != 0 else 0)):
        if a == 2:
            return x**2 / 2
        if a == 0:
            return mp.log(x**2 / 2 + 1)
        if a == -np.inf:
            return 1 - mp.exp(-(x**2) / 2)
        a = mp.mpf(a)
        b = abs(a - 2)
        return b / a * ((x**2 / b + 1) ** (a / 2) - 1)


def _barron_slope(x, a):
    """d rho / dx by mpmath's numerical differentiation of the reference (not the
    closed form used by the code), with a step relative to |x|. Where the loss has
    saturated (alpha < 0, large |x|) the slope is tiny next to the loss: the
    precision is raised until two successive estimates agree."""
    x = mp.mpf(x)
    if x == 0:
        return mp.mpf(0)
    previous = None
    for digits in (110, 300, 800, 2000, 5000):
        with mp.workdps(digits):
            slope = mp.diff(lambda v: _barron_reference(v, a), x, h=abs(x) * mp.mpf("1e-30"))
        if previous is not None and slope != 0 and abs(slope - previous) <= 1e-25 * abs(slope):
            return slope
        if slope == 0 and digits >= 800:  # below 1e-700: 0 in float64
            return slope
        previous = slope
    raise AssertionError(f"no converged reference slope at x = {x}, alpha = {a}")


BARRON_ALPHAS = [-np.inf, -1000.0, -50.0, -2.0, -1.0, -1e-8, -1e-12, 0.0, 1e-12, 1e-8, 0.5, 1.0,
                 1.5, 2.0 - 1e-8, 2.0 - 1e-12, 2.0, 2.0 + 1e-12, 2.0 + 1e-8, 3.0, 4.0]
BARRON_X = [0.0, 1e-300, -1e-150, 1e-20, -1e-8, 0.5, -1.0, 3.0, 30.0, -1e5, 1e140, -1e150,
            1e300]


def _barron_grid_ok(x, a):
    """Points whose true loss is representable in float64 (x^2 / 2 overflows past 1.9e154)."""
    if a >= 1.5 and abs(x) > 1e150:
        return False
    return not (a > 2 and abs(x) > 1e100)


@pytest.mark.parametrize("a", BARRON_ALPHAS)
def test_general_robust_loss_against_mpmath(a):
    xs = np.array([x for x in BARRON_X if _barron_grid_ok(x, a)])
    values = general_robust_loss(np.zeros_like(xs), xs, alpha=a, reduction="none")
    grads = general_robust_loss.grad(np.zeros_like(xs), xs, alpha=a)
    with mp.workdps(50):
        for k, x in enumerate(xs):
            assert _rel_err(values[k], _barron_reference(x, a)) <= RTOL, (a, x, values[k])
            assert _rel_err(grads[k], _barron_slope(x, a)) <= RTOL, (a, x, grads[k])


@pytest.mark.parametrize(("a", "x"), [(-3.0, 1e70), (-4.0, -1e57), (-5.4, 1e43)])
def test_general_robust_loss_grad_does_not_underflow_early(a, x):
    """A saturated Barron loss (alpha < 0, huge |x|): the gradient, ~ |x|^(alpha - 1), is
    a normal double here, and must not be lost to an intermediate underflow."""
    expected = _barron_slope(x, a)
    assert 1e-300 < abs(float(expected)) < 1e-200
    got = general_robust_loss.grad([0.0], [x], alpha=a)[0]
    assert _rel_err(got, expected) <= RTOL, (a, x, got, expected)


@pytest.mark.parametrize("a", [-np.inf, -1000.0, -2.0, 1e-9, 1.0, 2.0 - 1e-9, 2.0, 3.0])
@pytest.mark.parametrize("scale", [0.3, 7.0, 1e-5])
def test_general_robust_loss_with_a_scale_and_inexact_residuals(a, scale):
    """x = (y_hat - y) / s with neither the subtraction nor the division exact in float64."""
    rng = np.random.default_rng(1)
    y = rng.normal(size=12) * 10.0
    y_hat = y + scale * rng.choice([-1.0, 1.0], size=12) * np.geomspace(1e-6, 25.0, 12)
    values = general_robust_loss(y, y_hat, alpha=a, scale=scale, reduction="none")
    grads = general_robust_loss.grad(y, y_hat, alpha=a, scale=scale)
    with mp.workdps(50):
        for k in range(y.size):
            x = (mp.mpf(y_hat[k]) - mp.mpf(y[k])) / mp.mpf(scale)
            assert _rel_err(values[k], _barron_reference(x, a)) <= RTOL, (k, values[k])
            assert _rel_err(grads[k], _barron_slope(x, a) / mp.mpf(scale)) <= RTOL, (k, grads[k])


def test_general_robust_loss_special_cases():
    x = np.array([-7.0, -1.0, 0.25, 2.0, 40.0])
    y = np.zeros_like(x)

    def rho(a):
        return general_robust_loss(y, x, alpha=a, reduction="none")

    np.testing.assert_allclose(rho(2.0), x**2 / 2, rtol=1e-15)
    np.testing.assert_allclose(rho(1.0), np.sqrt(x**2 + 1) - 1, rtol=1e-14)  # pseudo-Huber
    np.testing.assert_allclose(rho(0.0), np.log1p(x**2 / 2), rtol=1e-15)  # Cauchy
    np.testing.assert_allclose(rho(-2.0), 2 * x**2 / (x**2 + 4), rtol=1e-14)  # Geman-McClure
    np.testing.assert_allclose(rho(-np.inf), -np.expm1(-(x**2) / 2), rtol=1e-15)  # Welsch
    # continuity in alpha around the removable singularities 0 and 2
    for a0 in (0.0, 2.0):
        for eps in (1e-13, -1e-13):
            np.testing.assert_allclose(rho(a0 + eps), rho(a0), rtol=1e-11)
    # alpha -> -inf: finite alpha approaches Welsch
    np.testing.assert_allclose(rho(-1e9), rho(-np.inf), rtol=1e-7)


def test_general_robust_loss_limits_derived_with_sympy():
    """The limits of the general formula as alpha -> 0 and 2 are the special cases
    (sympy.limit of the symbolic definition), at a sample residual."""
    expr = general_robust_loss.symbolic()
    at = {sym.y: 0, sym.y_hat: sp.Rational(3, 2), scale_symbol: 1}
    general = expr.subs(at)
    for a0, special in ((0, 0), (2, 2)):
        for direction in ("+", "-"):
            lim = sp.limit(general, alpha_symbol, a0, dir=direction)
            expected = general_robust_loss.symbolic(special=special).subs(at)
            assert sp.simplify(lim - expected) == 0


def test_general_robust_loss_grad_matches_finite_differences():
    rng = np.random.default_rng(2)
    y = rng.normal(size=15)
    y_hat = y + rng.normal(scale=3.0, size=15)
    for a in (-np.inf, -3.0, 0.0, 0.7, 2.0, 3.5):
        numeric = finite_difference_grad(
            lambda v, a=a: general_robust_loss(y, v, alpha=a, scale=1.3, reduction="sum"),
            y_hat.copy())
        np.testing.assert_allclose(general_robust_loss.grad(y, y_hat, alpha=a, scale=1.3),
                                   numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"alpha": np.inf}, "alpha"), ({"alpha": np.nan}, "alpha"), ({"scale": 0.0}, "scale"),
     ({"scale": -1.0}, "scale"), ({"scale": np.inf}, "scale")],
)
def test_general_robust_loss_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        general_robust_loss([0.0], [1.0], **kwargs)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        general_robust_loss.grad([0.0], [1.0], **kwargs)


def test_general_robust_loss_rejects_non_numeric_alpha():
    with pytest.raises(TypeError, match="alpha"):
        general_robust_loss([0.0], [1.0], alpha="1")


# --------------------------------------------------- generalized cross-entropy


def _gce_reference(label, row, q):
    """(1 - p_y^q) / q with the softmax written literally, enough digits for e^-2000."""
    with mp.extradps(int(float(max(row) - min(row)) / 2.3) + 30):
        row = [mp.mpf(v) for v in row]
        p_y = mp.exp(row[label]) / mp.fsum(mp.exp(v) for v in row)
        return (1 - p_y ** mp.mpf(q)) / mp.mpf(q)


GCE_LOGITS = np.array([
    [0.0, 1e3, -1e3],
    [1e3, -1e3, 0.0],
    [3.0, 3.0, 3.0],
    [0.0, -745.0, -30.0],
    [40.0, 0.0, -1.0],
    [2.5, -1.5, 0.25],
    [-1e3, 1e3 - 1.0, 1e3],
])


@pytest.mark.parametrize("q", [1e-8, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("label", [0, 1, 2])
def test_gce_against_mpmath(q, label):
    labels = np.full(len(GCE_LOGITS), label)
    values = generalized_cross_entropy(labels, GCE_LOGITS, q=q, reduction="none")
    grads = generalized_cross_entropy.grad(labels, GCE_LOGITS, q=q)
    with mp.workdps(50):
        for k, row in enumerate(GCE_LOGITS):
            assert _rel_err(values[k], _gce_reference(label, row, q)) <= RTOL, (k, values[k])
            for j in range(3):
                def along(v, j=j, row=row):
                    shifted = [mp.mpf(x) for x in row]
                    shifted[j] = v
                    return _gce_reference(label, shifted, q)

                x = mp.mpf(row[j])
                with mp.extradps(40):
                    ref = mp.diff(along, x, h=max(abs(x), 1) * mp.mpf("1e-35"))
                assert _rel_err(grads[k, j], ref) <= RTOL, (k, j, grads[k, j], ref)


def test_gce_limits_are_cross_entropy_and_one_minus_p():
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=2.0, size=(8, 5))
    labels = rng.integers(0, 5, size=8)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p_y = p[np.arange(8), labels]
    np.testing.assert_allclose(generalized_cross_entropy(labels, logits, q=1.0, reduction="none"),
                               1 - p_y, rtol=1e-13)
    ce = cross_entropy(labels, logits, reduction="none")
    # (1 - p^q)/q = c - q c^2/2 + q^2 c^3/6 - ... with c = -log p (expm1's series)
    for q in (1e-4, 1e-6):
        gce = generalized_cross_entropy(labels, logits, q=q, reduction="none")
        np.testing.assert_allclose(gce, ce - q * ce**2 / 2 + q**2 * ce**3 / 6, rtol=1e-10)


def test_gce_limit_in_sympy():
    """lim_{q -> 0} (1 - p^q) / q = -log p."""
    p = sp.Symbol("p", positive=True)
    assert sp.limit((1 - p**sym.q) / sym.q, sym.q, 0) == -sp.log(p)


def test_gce_grad_matches_finite_differences():
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=2.0, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    numeric = finite_difference_grad(
        lambda v: generalized_cross_entropy(labels, v, q=0.4, reduction="sum"), logits.copy())
    np.testing.assert_allclose(generalized_cross_entropy.grad(labels, logits, q=0.4), numeric,
                               rtol=1e-6, atol=1e-9)


def test_gce_accepts_extra_leading_axes():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(2, 3, 4))
    labels = rng.integers(0, 4, size=(2, 3))
    flat = generalized_cross_entropy(labels.reshape(-1), logits.reshape(-1, 4), reduction="none")
    np.testing.assert_array_equal(generalized_cross_entropy(labels, logits, reduction="none"),
                                  flat.reshape(2, 3))


@pytest.mark.parametrize(
    "labels, kwargs, name",
    [([0, 3], {}, "y_true"), ([0.5, 1], {}, "y_true"), ([-1, 1], {}, "y_true"),
     ([0, 1, 2], {}, "y_true"), ([0, 1], {"q": 0.0}, r"\bq\b"), ([0, 1], {"q": 1.5}, r"\bq\b")],
)
def test_gce_rejects_bad_input(labels, kwargs, name):
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match=name):
        generalized_cross_entropy(labels, logits, **kwargs)
    with pytest.raises(ValueError, match=name):
        generalized_cross_entropy.grad(labels, logits, **kwargs)


def test_gce_rejects_logits_without_a_class_axis():
    with pytest.raises(ValueError, match="logits"):
        generalized_cross_entropy(0, [1.0, 2.0])


def test_gce_tail_dominated_value_at_logits_of_a_thousand():
    """p_y = 1 - O(e^-574): at q = 1 the loss 1 - p_y is a sum of tail probabilities."""
    row = np.array([-270.7600518573707, 303.6920638667623, -635.8024669263483])
    value = generalized_cross_entropy([1], row[None], q=1.0, reduction="none")[0]
    with mp.workdps(400):
        weights = [mp.exp(mp.mpf(float(v))) for v in row]
        expected = 1 - weights[1] / mp.fsum(weights)
    assert abs(value - float(expected)) <= 1e-14 * float(expected), (value, expected)
