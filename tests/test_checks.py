"""The numeric checks and small solvers that chapters share, on problems with known answers."""

import numpy as np
import pytest
from scipy import optimize, special, stats

from lossbook import huber, mae, mse, quantile
from lossbook.checks import (
    finite_difference_grad,
    fit_linear,
    gradient_check,
    gradient_descent,
    minimise_on_grid,
    monte_carlo_mean,
    proximal_gradient,
)

# ------------------------------------------------------ finite differences


def test_finite_difference_grad_of_known_functions():
    x = np.array([[0.3, -1.2, 2.0], [0.0, 4.5, -0.7]])
    np.testing.assert_allclose(
        finite_difference_grad(lambda v: np.sum(np.sin(v) * v**2), x),
        np.cos(x) * x**2 + 2 * x * np.sin(x), rtol=1e-8, atol=1e-9)
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    flat = x.ravel()
    np.testing.assert_allclose(
        finite_difference_grad(lambda v: v.ravel() @ A @ v.ravel(), x),
        ((A + A.T) @ flat).reshape(x.shape), rtol=1e-8, atol=1e-8)


def test_finite_difference_step_scales_with_large_coordinates():
    # With an absolute step of 1e-6, x = 1e12 would not move at all in float64.
    x = np.array([1e12, -3e12])
    np.testing.assert_allclose(finite_difference_grad(lambda v: np.sum(v**2), x), 2 * x,
                               rtol=1e-8)


def test_finite_difference_leaves_the_point_unchanged():
    x = np.array([1.0, 2.0, 3.0])
    finite_difference_grad(lambda v: np.sum(np.exp(v)), x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_gradient_check_passes_a_correct_gradient_and_flags_a_wrong_one():
    y_true, y_pred = np.array([0.0, 1.0, -2.0]), np.array([3.0, -1.0, 5.0])
    assert gradient_check(mse, y_true, y_pred) < 1e-8
    assert gradient_check(huber, y_true, y_pred, delta=0.5) < 1e-8

    def scaled_mse(y_true, y_pred, reduction="mean"):
        return mse(y_true, y_pred, reduction=reduction)

    scaled_mse.grad = lambda y_true, y_pred: 1.01 * mse.grad(y_true, y_pred)
    assert 0.005 < gradient_check(scaled_mse, y_true, y_pred) < 0.011


# --------------------------------------------------------- gradient descent


def test_gradient_descent_finds_the_minimiser_of_a_quadratic():
    """f(w) = 0.5 (w - c)^T A (w - c) with A symmetric positive definite: minimiser c."""
    rng = np.random.default_rng(1)
    B = rng.normal(size=(4, 4))
    A = B @ B.T + np.eye(4)
    c = np.array([1.0, -2.0, 0.5, 3.0])
    lr = 1.0 / np.linalg.eigvalsh(A).max()
    w = gradient_descent(lambda v: A @ (v - c), np.zeros(4), lr=lr, steps=3000)
    np.testing.assert_allclose(w, c, atol=1e-10)


def test_gradient_descent_single_step_and_no_step():
    start = np.array([1.0, 2.0])
    one = gradient_descent(lambda v: np.array([v[0] ** 2, -v[1]]), start, lr=0.25, steps=1)
    np.testing.assert_array_equal(one, [1.0 - 0.25 * 1.0, 2.0 + 0.25 * 2.0])
    none = gradient_descent(lambda v: v, start, lr=0.5, steps=0)
    np.testing.assert_array_equal(none, start)
    assert none is not start
    np.testing.assert_array_equal(start, [1.0, 2.0])  # the starting point is not modified


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"lr": 0.0, "steps": 1}, ValueError, "lr"),
    ({"lr": -0.1, "steps": 1}, ValueError, "lr"),
    ({"lr": 0.1, "steps": -1}, ValueError, "steps"),
    ({"lr": 0.1, "steps": 2.5}, TypeError, "steps"),
    ({"lr": 0.1, "steps": True}, TypeError, "steps"),
    ({"lr": "0.1", "steps": 1}, TypeError, "lr"),
])
def test_gradient_descent_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        gradient_descent(lambda v: v, [1.0], **kwargs)


def _line_data(seed=2, n=50):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.uniform(-2, 2, size=n)]
    return X, X @ np.array([0.5, -1.5]) + rng.standard_t(2, size=n)


def test_fit_linear_with_mse_is_least_squares():
    X, y = _line_data()
    expected, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(fit_linear(mse, X, y, lr=0.2, steps=3000), expected, atol=1e-10)


def test_fit_linear_with_huber_matches_scipy_minimize():
    X, y = _line_data()
    delta = 0.7

    def mean_huber(w):
        return special.huber(delta, X @ w - y).mean()

    expected = optimize.minimize(mean_huber, np.zeros(2), method="BFGS",
                                 options={"gtol": 1e-12}).x
    actual = fit_linear(huber, X, y, lr=0.5, steps=5000, delta=delta)
    np.testing.assert_allclose(actual, expected, atol=1e-6)


def test_fit_linear_starts_from_w0():
    X, y = _line_data()
    w0 = np.array([3.0, 4.0])
    np.testing.assert_array_equal(fit_linear(mse, X, y, steps=0, w0=w0), w0)


# --------------------------------------------------------------- Monte Carlo


def test_monte_carlo_mean_matches_numpy_and_scipy_sem():
    rng = np.random.default_rng(3)
    draws = rng.normal(3.0, 2.0, size=(10_000, 3))
    mean, se = monte_carlo_mean(draws)
    np.testing.assert_allclose(mean, draws.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(se, stats.sem(draws, axis=0), rtol=1e-12)
    # sigma / sqrt(m) = 2 / 100 for this population
    np.testing.assert_allclose(se, 0.02, rtol=0.05)
    assert np.all(np.abs(mean - 3.0) < 4 * se)
    mean_rows, se_rows = monte_carlo_mean(draws.T, axis=1)
    np.testing.assert_allclose(mean_rows, mean, rtol=1e-14)
    np.testing.assert_allclose(se_rows, se, rtol=1e-12)


def test_monte_carlo_mean_needs_two_draws():
    with pytest.raises(ValueError, match="at least 2 draws"):
        monte_carlo_mean([1.0])
    with pytest.raises(ValueError, match="finite"):
        monte_carlo_mean([1.0, np.nan])


# ---------------------------------------------------------- grid minimiser


def test_minimise_on_grid_recovers_mean_median_and_quantile():
    rng = np.random.default_rng(4)
    draws = rng.gamma(2.0, size=101)  # odd size: the median and the 0.3-quantile are draws
    grid = np.linspace(0.0, 8.0, 8001)
    best, risk = minimise_on_grid(mse, draws, grid)
    # The squared-error risk is the variance plus the squared bias.
    np.testing.assert_allclose(risk, draws.var() + (draws.mean() - grid) ** 2, rtol=1e-12)
    assert abs(best - draws.mean()) <= (grid[1] - grid[0]) / 2
    sorted_draws = np.sort(draws)  # piecewise-linear risks are minimised at a draw
    assert minimise_on_grid(mae, draws, sorted_draws)[0] == np.median(draws)
    assert minimise_on_grid(quantile, draws, sorted_draws, q=0.3)[0] == np.quantile(
        draws, 0.3, method="inverted_cdf")


def test_minimise_on_grid_rejects_non_vectors():
    with pytest.raises(ValueError, match="1-D"):
        minimise_on_grid(mse, np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        minimise_on_grid(mse, np.ones(3), np.ones((3, 1)))


def test_proximal_gradient_solves_an_orthogonal_lasso():
    # With X^T X / n = I the lasso (1/(2n))||y - Xw||^2 + lam ||w||_1 is solved by
    # soft-thresholding X^T y / n coordinate by coordinate (hand derivation).
    rng = np.random.default_rng(0)
    n, lam = 64, 0.3
    X = np.linalg.qr(rng.normal(size=(n, 4)))[0] * np.sqrt(n)
    y = X @ np.array([1.0, -0.2, 0.0, 2.0]) + rng.normal(0.0, 0.1, n)
    z = X.T @ y / n
    expected = np.sign(z) * np.maximum(np.abs(z) - lam, 0.0)
    w = proximal_gradient(
        lambda w: X.T @ (X @ w - y) / n,
        lambda v, eta: np.sign(v) * np.maximum(np.abs(v) - eta * lam, 0.0),
        np.zeros(4), lr=0.5, steps=10_000, tol=1e-14,
    )
    np.testing.assert_allclose(w, expected, atol=1e-12)
    assert np.count_nonzero(w) == np.count_nonzero(expected)


def test_proximal_gradient_fixed_steps_and_non_convergence():
    # g = 0 (identity prox) reduces to gradient descent: after one step from 0 with
    # gradient w - 4 and lr 0.25 the iterate is 1.
    one_step = proximal_gradient(lambda w: w - 4.0, lambda v, eta: v, [0.0], lr=0.25, steps=1)
    np.testing.assert_array_equal(one_step, [1.0])
    with pytest.raises(RuntimeError, match="did not converge"):
        proximal_gradient(lambda w: w - 4.0, lambda v, eta: v, [0.0], lr=0.25, steps=3, tol=1e-12)
    with pytest.raises(ValueError, match="lr"):
        proximal_gradient(lambda w: w, lambda v, eta: v, [0.0], lr=0.0, steps=1)


# ------------------------------------------------- the registry with two inputs


@pytest.fixture
def two_input_loss():
    """A throwaway loss with two differentiable inputs, (u - v)^2 w, registered for one test."""
    import sympy as sp

    from lossbook import LOSSES
    from lossbook._registry import Argument, register_loss
    from lossbook._validation import check_pair

    su, sv = sp.symbols("u v", real=True)

    def grad(y_true, u, v, *, wrong=False):
        y, a = check_pair(y_true, u, ("y_true", "u"))
        _, b = check_pair(y_true, v, ("y_true", "v"))
        d_u = 2 * (a - b) * y
        return d_u, (d_u if wrong else -d_u)  # wrong=True: a sign error in d/dv

    @register_loss(
        family="regression", chapter="regression/none", estimates="-", bounded_gradient=False,
        arguments=(Argument("y_true", sp.Symbol("y"), domain="weights"),
                   Argument("u", su, differentiable=True, domain="real"),
                   Argument("v", sv, differentiable=True, domain="real")),
        parameters={"wrong": None}, formula="(u - v)^2 y", gradients=("2(u - v) y", "-2(u - v) y"),
        grad=grad, symbolic=lambda: (su - sv) ** 2 * sp.Symbol("y"))
    def weighted_gap(y_true, u, v, *, wrong=False):
        """Test loss."""
        y, a = check_pair(y_true, u, ("y_true", "u"))
        _, b = check_pair(y_true, v, ("y_true", "v"))
        return (a - b) ** 2 * y

    try:
        yield weighted_gap
    finally:
        del LOSSES["weighted_gap"]


def test_two_input_grad_is_a_tuple_and_mean_divides_by_the_count(two_input_loss):
    y, a, b = np.array([1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    d_u, d_v = two_input_loss.grad(y, a, b)
    np.testing.assert_array_equal(d_u, 2 * (a - b) * y)
    np.testing.assert_array_equal(d_v, -2 * (a - b) * y)
    mean_u, mean_v = two_input_loss.grad(y, a, b, reduction="mean")
    np.testing.assert_array_equal(mean_u, d_u / 3)
    np.testing.assert_array_equal(mean_v, d_v / 3)
    assert two_input_loss(y, a, b) == pytest.approx(np.mean((a - b) ** 2 * y), rel=1e-15)


def test_gradient_check_checks_every_differentiable_input(two_input_loss):
    y, a, b = np.array([1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    assert gradient_check(two_input_loss, y, a, b) < 1e-8
    # A sign error in the second gradient alone is caught.
    assert gradient_check(two_input_loss, y, a, b, wrong=True) > 0.5
