"""Regression losses against scipy, scikit-learn, mpmath, hand derivations and properties."""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special
from sklearn.metrics import mean_absolute_error, mean_pinball_loss, mean_squared_error

import lossbook
from lossbook import huber, log_cosh, mae, mse, quantile, smooth_l1
from lossbook.checks import minimise_on_grid

REGRESSION = [mse, mae, smooth_l1, huber, quantile, log_cosh]
SYMMETRIC = [mse, mae, smooth_l1, huber, log_cosh]
# A valid non-default parameter for each loss that has one.
PARAMS = {"smooth_l1": {"beta": 0.7}, "huber": {"delta": 1.5}, "quantile": {"q": 0.2}}


def _heavy_tailed_pairs(seed, n=400):
    """Targets and predictions whose residuals (Student t, 3 dof) hit both sides
    of every threshold used below."""
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=n) * 10.0
    return y_true, y_true + 2.0 * rng.standard_t(3, size=n)


def _params(loss):
    return PARAMS.get(loss.__name__, {})


# ----------------------------------------------------------- references


def test_mse_and_mae_match_sklearn():
    y_true, y_pred = _heavy_tailed_pairs(0)
    assert mse(y_true, y_pred) == pytest.approx(mean_squared_error(y_true, y_pred), rel=1e-13)
    assert mae(y_true, y_pred) == pytest.approx(mean_absolute_error(y_true, y_pred), rel=1e-13)


@pytest.mark.parametrize("delta", [0.05, 1.0, 2.5])
def test_huber_matches_scipy_special_huber(delta):
    y_true, y_pred = _heavy_tailed_pairs(1)
    residual = y_pred - y_true
    assert np.any(np.abs(residual) <= delta) and np.any(np.abs(residual) > delta)
    np.testing.assert_allclose(huber(y_true, y_pred, delta=delta, reduction="none"),
                               special.huber(delta, residual), rtol=1e-14)


@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.9])
def test_quantile_matches_sklearn_pinball(q):
    y_true, y_pred = _heavy_tailed_pairs(2)
    expected = mean_pinball_loss(y_true, y_pred, alpha=q)
    assert quantile(y_true, y_pred, q=q) == pytest.approx(expected, rel=1e-13)
    assert quantile(y_true, y_pred, q=q, reduction="sum") == pytest.approx(
        expected * y_true.size, rel=1e-13)


@pytest.mark.parametrize("beta", [1e-3, 0.5, 1.0, 7.0])
def test_smooth_l1_is_huber_divided_by_beta(beta):
    y_true, y_pred = _heavy_tailed_pairs(3)
    np.testing.assert_allclose(smooth_l1(y_true, y_pred, beta=beta, reduction="none"),
                               huber(y_true, y_pred, delta=beta, reduction="none") / beta,
                               rtol=1e-14)
    np.testing.assert_allclose(smooth_l1.grad(y_true, y_pred, beta=beta),
                               huber.grad(y_true, y_pred, delta=beta) / beta, rtol=1e-15)


def _log_cosh_mpmath(r):
    if r == 0:
        return mp.mpf(0)
    with mp.extraprec(max(0, -2 * int(mp.mag(r)))):
        return mp.log(mp.cosh(r))


def test_log_cosh_full_relative_accuracy_on_a_dense_grid():
    """Both branches and the crossover between them, against mpmath at 50 digits."""
    magnitudes = np.concatenate([np.logspace(-300, 300, 601), np.logspace(-3, 3, 600),
                                 np.linspace(0.9, 1.1, 201), np.nextafter(1.0, [0.0, 2.0])])
    residual = np.concatenate([magnitudes, -magnitudes])
    values = log_cosh(np.zeros_like(residual), residual, reduction="none")
    grads = log_cosh.grad(np.zeros_like(residual), residual)
    with mp.workdps(50):
        expected = np.array([float(_log_cosh_mpmath(mp.mpf(r))) for r in residual])
        expected_grad = np.array([float(mp.tanh(mp.mpf(r))) for r in residual])
    normal = expected > np.finfo(float).tiny  # r^2/2 underflows for |r| < ~1e-154
    np.testing.assert_allclose(values[normal], expected[normal], rtol=1e-15, atol=0)
    np.testing.assert_allclose(values[~normal], expected[~normal], rtol=0, atol=1e-300)
    np.testing.assert_allclose(grads, expected_grad, rtol=1e-15, atol=0)


def test_huge_residuals_and_thresholds_do_not_overflow():
    huge = np.array([1e300, -1e300])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.allclose(log_cosh([0.0, 0.0], huge, reduction="none"), 1e300, rtol=1e-15)
        assert np.allclose(huber([0.0, 0.0], huge, delta=2.0, reduction="none"), 2e300)
        assert np.allclose(smooth_l1([0.0, 0.0], huge, beta=1e-300, reduction="none"), 1e300)
        np.testing.assert_array_equal(smooth_l1.grad([0.0, 0.0], huge, beta=1e-300), [1, -1])
        # A huge beta with a residual inside its quadratic zone: r^2 / (2 beta).
        assert smooth_l1([0.0], [1e200], beta=1e300) == pytest.approx(0.5e100, rel=1e-15)


# ----------------------------------------------------------------- kinks


def _one_sided_slopes(loss, step=1e-6, **params):
    """Left and right difference quotients of one element's loss at r = 0,
    from loss values only (an independent route to the subdifferential)."""
    y = np.array([2.0])
    at = loss(y, y, **params)
    right = (loss(y, y + step, **params) - at) / step
    left = (at - loss(y, y - step, **params)) / step
    return left, right


@pytest.mark.parametrize(("loss", "params"), [
    (mae, {}), (quantile, {"q": 0.5}), (quantile, {"q": 0.1}), (quantile, {"q": 0.85}),
])
def test_subgradient_at_the_kink_is_the_midpoint(loss, params):
    left, right = _one_sided_slopes(loss, **params)
    assert right - left > 0.5  # a genuine kink: the one-sided slopes differ
    assert loss.grad([2.0], [2.0], **params)[0] == pytest.approx((left + right) / 2, abs=1e-9)


# --------------------------------------------------- what each loss estimates


def test_minimisers_match_the_estimates_metadata():
    rng = np.random.default_rng(4)
    skewed = rng.exponential(size=301)
    grid = np.sort(skewed)  # piecewise-linear risks attain their minimum at a data point
    fine = np.linspace(0.0, 3.0, 3001)
    step = fine[1]
    assert mse.info.estimates == "conditional mean"
    assert abs(minimise_on_grid(mse, skewed, fine)[0] - skewed.mean()) <= step
    assert mae.info.estimates == "conditional median"
    assert minimise_on_grid(mae, skewed, grid)[0] == np.median(skewed)
    assert quantile.info.estimates == "conditional q-quantile"
    assert minimise_on_grid(quantile, skewed, grid, q=0.8)[0] == np.quantile(
        skewed, 0.8, method="inverted_cdf")
    # Huber, smooth L1 and log-cosh: the centre of symmetric noise ...
    symmetric = 1.5 + np.concatenate([skewed, -skewed])
    centre_grid = 1.5 + np.arange(-500, 501) / 1000  # holds 1.5 exactly
    for loss in (huber, smooth_l1, log_cosh):
        assert "centre of symmetric noise" in loss.info.estimates
        assert minimise_on_grid(loss, symmetric, centre_grid)[0] == pytest.approx(1.5, abs=1e-12)
    # ... the median as the threshold shrinks, the mean as it grows ...
    assert abs(minimise_on_grid(huber, skewed, fine, delta=1e-6)[0] - np.median(skewed)) <= step
    assert abs(minimise_on_grid(huber, skewed, fine, delta=1e3)[0] - skewed.mean()) <= step
    # ... and for skewed noise log-cosh is neither the mean nor the median.
    best = minimise_on_grid(log_cosh, skewed, fine)[0]
    assert np.median(skewed) + 0.05 < best < skewed.mean() - 0.05


def test_bounded_gradient_metadata_is_honest():
    huge = np.array([-1e12, -3.0, 0.0, 3.0, 1e12])
    for loss in REGRESSION:
        grad = loss.grad(np.zeros(5), huge, **_params(loss))
        bound = max(1.0, _params(loss).get("delta", 1.0))
        assert loss.info.bounded_gradient == bool(np.all(np.abs(grad) <= bound)), loss.__name__


def test_metadata_names_the_agreed_chapters():
    expected = {
        "mse": "regression/gaussian-mse", "mae": "regression/laplace-mae",
        "huber": "regression/huber-smooth-l1", "smooth_l1": "regression/huber-smooth-l1",
        "quantile": "regression/quantile", "log_cosh": "regression/what-losses-estimate",
    }
    assert {loss.__name__: loss.info.chapter for loss in REGRESSION} == expected
    assert all(loss.info.family == "regression" for loss in REGRESSION)
    assert all(lossbook.LOSSES[loss.__name__] is loss for loss in REGRESSION)


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize(("loss", "name", "value"), [
    (smooth_l1, "beta", 0.0), (smooth_l1, "beta", -1.0), (smooth_l1, "beta", np.inf),
    (huber, "delta", 0.0), (huber, "delta", -0.5), (huber, "delta", np.nan),
    (quantile, "q", -0.1), (quantile, "q", 1.5),
])
def test_rejects_out_of_range_parameters(loss, name, value):
    for func in (loss, loss.grad):
        with pytest.raises(ValueError, match=name):
            func([0.0, 1.0], [1.0, 1.0], **{name: value})


@pytest.mark.parametrize("q", [0.0, 1.0])
def test_quantile_level_must_lie_in_the_open_interval(q):
    for func in (quantile, quantile.grad):
        with pytest.raises(ValueError, match=r"q must lie in \(0, 1\)"):
            func([0.0], [1.0], q=q)


@pytest.mark.parametrize("loss", [smooth_l1, huber, quantile])
@pytest.mark.parametrize("value", ["0.5", None, True, 0.5j, np.array([0.5])])
def test_rejects_non_real_parameters(loss, value):
    (name,) = _params(loss)
    for func in (loss, loss.grad):
        with pytest.raises(TypeError, match=name):
            func([0.0, 1.0], [1.0, 1.0], **{name: value})


@pytest.mark.parametrize("loss", REGRESSION)
def test_column_and_flat_vectors_are_never_broadcast(loss):
    flat, column = np.arange(4.0), np.arange(4.0)[:, None]
    for y_true, y_pred in [(flat, column), (column, flat), (flat, flat[:3])]:
        for func in (loss, loss.grad):
            with pytest.raises(ValueError, match="same shape"):
                func(y_true, y_pred, **_params(loss))


@pytest.mark.parametrize("loss", REGRESSION)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_targets(loss, bad):
    for func in (loss, loss.grad):
        with pytest.raises(ValueError, match="y_true must contain only finite"):
            func([0.0, bad], [1.0, 1.0], **_params(loss))


@pytest.mark.parametrize("loss", REGRESSION)
def test_rejects_empty_inputs_and_accepts_scalars(loss):
    with pytest.raises(ValueError, match="y_true must not be empty"):
        loss([], [], **_params(loss))
    scalar = loss(1.0, 3.0, **_params(loss))
    assert scalar == loss([1.0], [3.0], **_params(loss))


# --------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
pairs = st.lists(st.tuples(finite, finite), min_size=1, max_size=20).map(
    lambda rows: (np.array([a for a, _ in rows]), np.array([b for _, b in rows])))
levels = st.floats(min_value=1e-3, max_value=1 - 1e-3)
thresholds = st.floats(min_value=1e-3, max_value=1e3)


@settings(max_examples=60, deadline=None)
@given(data=pairs, q=levels, threshold=thresholds)
def test_non_negative_and_zero_at_perfect_prediction(data, q, threshold):
    y_true, y_pred = data
    params = {"smooth_l1": {"beta": threshold}, "huber": {"delta": threshold}, "quantile": {"q": q}}
    for loss in REGRESSION:
        kwargs = params.get(loss.__name__, {})
        assert np.all(loss(y_true, y_pred, reduction="none", **kwargs) >= 0)
        np.testing.assert_array_equal(loss(y_true, y_true, reduction="none", **kwargs), 0.0)


@settings(max_examples=60, deadline=None)
@given(data=pairs, threshold=thresholds)
def test_symmetric_losses_ignore_the_sign_of_the_residual(data, threshold):
    y_true, y_pred = data
    for loss in SYMMETRIC:
        kwargs = {"smooth_l1": {"beta": threshold}, "huber": {"delta": threshold}}.get(
            loss.__name__, {})
        np.testing.assert_array_equal(loss(y_true, y_pred, reduction="none", **kwargs),
                                      loss(y_pred, y_true, reduction="none", **kwargs))


@settings(max_examples=60, deadline=None)
@given(data=pairs, q=levels)
def test_quantile_mirror_and_median(data, q):
    y_true, y_pred = data
    # 1 - (1 - q) differs from q by up to half an ulp of 1, i.e. a relative
    # error of eps / (2 min(q, 1 - q)) in the smaller of the two slopes.
    level_rtol = 4 * np.finfo(float).eps / min(q, 1 - q)
    np.testing.assert_allclose(quantile(y_true, y_pred, q=q, reduction="none"),
                               quantile(y_pred, y_true, q=1 - q, reduction="none"),
                               rtol=max(1e-14, level_rtol), atol=0)
    np.testing.assert_allclose(quantile(y_true, y_pred, q=0.5, reduction="none"),
                               mae(y_true, y_pred, reduction="none") / 2, rtol=1e-15, atol=0)


@settings(max_examples=60, deadline=None)
@given(data=pairs, delta=thresholds)
def test_huber_lies_below_half_mse_and_delta_mae(data, delta):
    y_true, y_pred = data
    value = huber(y_true, y_pred, delta=delta, reduction="none")
    slack = 1 + 1e-15  # a few ulp: at |r| = delta (and delta << |r|) the bounds are tight
    assert np.all(value <= slack * mse(y_true, y_pred, reduction="none") / 2)
    assert np.all(value <= slack * delta * mae(y_true, y_pred, reduction="none"))


@settings(max_examples=60, deadline=None)
@given(data=pairs)
def test_log_cosh_textbook_bounds(data):
    """|r| - log 2 <= log cosh r <= min(|r|, r^2 / 2),
    from e^|r| / 2 <= cosh r <= exp(min(|r|, r^2 / 2))."""
    y_true, y_pred = data
    value = log_cosh(y_true, y_pred, reduction="none")
    abs_r = mae(y_true, y_pred, reduction="none")
    slack = 1 + 1e-15
    # r^2 / 2 below the smallest normal double is rounded to the subnormal spacing.
    tiny = np.finfo(float).tiny
    assert np.all(value <= slack * np.minimum(abs_r, mse(y_true, y_pred, reduction="none") / 2)
                  + tiny)
    assert np.all(value * slack >= abs_r - np.log(2.0))


@pytest.mark.parametrize("name", ["quantile", "expectile"])
def test_formula_string_uses_the_books_residual(name):
    """The book writes the residual r = y_hat - y (chapters/reference/notation.md)."""
    formula = lossbook.LOSSES[name].info.formula
    assert r"y - \hat y" not in formula and r"r = \hat y - y" in formula


@pytest.mark.parametrize("loss", REGRESSION, ids=lambda f: f.__name__)
def test_blocked_large_inputs_give_the_plain_route_bit_for_bit(loss):
    """Large C-contiguous inputs are evaluated one cache-sized block at a time; a
    Fortran-ordered copy of the same numbers takes the whole-array route. Same bits
    (elementwise: a sum over another memory layout adds in another order)."""
    y_true, y_pred = _heavy_tailed_pairs(7, n=7 * 10001)
    y_pred[::97] = y_true[::97]  # exact zeros of the residual: the kinks
    blocked = [a.reshape(7, 10001) for a in (y_true, y_pred)]
    plain = [np.asfortranarray(a) for a in blocked]
    np.testing.assert_array_equal(loss(*blocked, reduction="none", **_params(loss)),
                                  loss(*plain, reduction="none", **_params(loss)))
    for reduction in ("sum", "mean"):
        np.testing.assert_array_equal(loss.grad(*blocked, reduction=reduction, **_params(loss)),
                                      loss.grad(*plain, reduction=reduction, **_params(loss)))
