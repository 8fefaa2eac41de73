"""Penalties and proximal operators against numpy norms, scipy and scikit-learn's ElasticNet."""

import warnings

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar
from sklearn.linear_model import ElasticNet

import lossbook
from lossbook import (
    elastic_net_penalty,
    elastic_net_prox,
    l1_penalty,
    l2_penalty,
    soft_threshold,
)
from lossbook import symbols as s
from lossbook.checks import finite_difference_grad
from lossbook.regularisation import rho, w

PENALTIES = [l1_penalty, l2_penalty, elastic_net_penalty]


def _weights(seed, shape):
    rng = np.random.default_rng(seed)
    # Magnitudes in [0.1, 2]: finite differences stay clear of the L1 kink at 0.
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


@pytest.mark.parametrize("shape", [(7,), (3, 4)])
def test_penalties_match_numpy_norms(shape):
    weights = _weights(0, shape)
    flat = weights.ravel()
    l1, l2 = np.linalg.norm(flat, 1), np.linalg.norm(flat, 2)
    assert l1_penalty(weights) == pytest.approx(l1, rel=1e-14)
    assert l2_penalty(weights) == pytest.approx(0.5 * l2**2, rel=1e-14)
    # scikit-learn's ElasticNet docs:
    # alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||_2^2
    alpha, l1_ratio = 0.3, 0.25
    expected = alpha * l1_ratio * l1 + 0.5 * alpha * (1 - l1_ratio) * l2**2
    assert elastic_net_penalty(weights, alpha=alpha, l1_ratio=l1_ratio) == pytest.approx(
        expected, rel=1e-14)
    for penalty in PENALTIES:
        assert type(penalty(weights)) is np.float64


def test_elastic_net_endpoints_are_lasso_and_ridge():
    weights = _weights(1, (6,))
    assert elastic_net_penalty(weights, alpha=2.0, l1_ratio=1.0) == pytest.approx(
        2.0 * l1_penalty(weights), rel=1e-15)
    assert elastic_net_penalty(weights, alpha=2.0, l1_ratio=0.0) == pytest.approx(
        2.0 * l2_penalty(weights), rel=1e-15)
    assert elastic_net_penalty(weights, alpha=0.0) == 0.0


@pytest.mark.parametrize(("penalty", "params"), [
    (l1_penalty, {}), (l2_penalty, {}), (elastic_net_penalty, {"alpha": 0.7, "l1_ratio": 0.3}),
])
def test_gradients_match_finite_differences(penalty, params):
    weights = _weights(2, (3, 2))
    numeric = finite_difference_grad(lambda v: penalty(v, **params), weights)
    np.testing.assert_allclose(penalty.grad(weights, **params), numeric, rtol=1e-7, atol=1e-9)


def test_l1_subgradient_is_zero_at_zero():
    """0 is the minimum-norm element of the subdifferential [-1, 1] of |w| at 0."""
    np.testing.assert_array_equal(l1_penalty.grad([0.0, 2.0, -3.0]), [0.0, 1.0, -1.0])
    np.testing.assert_array_equal(
        elastic_net_penalty.grad([0.0, 2.0], alpha=2.0, l1_ratio=0.5), [0.0, 3.0])


@pytest.mark.parametrize(("penalty", "params", "symbols"), [
    (l1_penalty, {}, {}),
    (l2_penalty, {}, {}),
    (elastic_net_penalty, {"alpha": 0.7, "l1_ratio": 0.3}, {s.alpha: 0.7, rho: 0.3}),
])
def test_symbolic_per_weight_penalty_sums_to_the_penalty(penalty, params, symbols):
    weights = _weights(3, (5,))
    expr = penalty.symbolic().subs(symbols)
    value = sp.lambdify(w, expr, "numpy")(weights).sum()
    grad = sp.lambdify(w, sp.diff(expr, w), "numpy")(weights)
    assert value == pytest.approx(penalty(weights, **params), rel=1e-14)
    np.testing.assert_allclose(grad, penalty.grad(weights, **params), rtol=1e-14)


def test_registered_as_penalties_summed_by_default():
    """Issue 12: the penalties are in LOSSES, family "penalty", and still return the sum."""
    w = np.array([3.0, -4.0, 0.5])
    for penalty in PENALTIES:
        assert lossbook.LOSSES[penalty.__name__] is penalty
        assert penalty.info.family == "penalty" and penalty.info.argument_names == ("w",)
        assert penalty(w) == penalty(w, reduction="sum") == np.sum(penalty(w, reduction="none"))


# ------------------------------------------------------- scikit-learn ElasticNet


def _regression_problem(seed=5, n=80, d=10):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[:3] = [2.0, -1.5, 0.8]
    return X, X @ w_true + 0.5 * rng.normal(size=n)


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 0.5), (0.05, 0.9), (0.2, 0.2)])
def test_sklearn_elastic_net_satisfies_our_kkt_conditions(alpha, l1_ratio):
    """sklearn minimises (1/2n)||y - Xw||^2 + P(w); at its solution the smooth
    part's gradient g must cancel P's gradient where w_j != 0, and lie in
    alpha * l1_ratio * [-1, 1] (P's subdifferential) where w_j == 0."""
    X, y = _regression_problem()
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14,
                       max_iter=100_000).fit(X, y)
    coef = model.coef_
    g = -X.T @ (y - X @ coef) / X.shape[0]
    active = coef != 0
    assert active.any() and (~active).any()  # both conditions are exercised
    penalty_grad = elastic_net_penalty.grad(coef, alpha=alpha, l1_ratio=l1_ratio)
    np.testing.assert_allclose(g[active] + penalty_grad[active], 0.0, atol=1e-9)
    assert np.all(np.abs(g[~active]) <= alpha * l1_ratio + 1e-12)


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 0.5), (0.05, 0.9), (0.2, 0.2)])
def test_proximal_gradient_with_our_prox_reaches_sklearn_solution(alpha, l1_ratio):
    """ISTA, w <- prox_{eta P}(w - eta grad f(w)), converges to sklearn's coefficients,
    and no coordinate move lowers the objective built from elastic_net_penalty."""
    X, y = _regression_problem()
    n = X.shape[0]
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14,
                       max_iter=100_000).fit(X, y)
    step = n / np.linalg.eigvalsh(X.T @ X).max()  # 1 / Lipschitz constant of grad f
    coef = np.zeros(X.shape[1])
    for _ in range(5000):
        coef = elastic_net_prox(coef + step * X.T @ (y - X @ coef) / n, step,
                                alpha=alpha, l1_ratio=l1_ratio)
    np.testing.assert_allclose(coef, model.coef_, atol=1e-9)

    def objective(v):
        return np.sum((y - X @ v) ** 2) / (2 * n) + elastic_net_penalty(
            v, alpha=alpha, l1_ratio=l1_ratio)

    best = objective(model.coef_)
    for j in range(X.shape[1]):
        for move in (-1e-4, 1e-4):
            nudged = model.coef_.copy()
            nudged[j] += move
            assert objective(nudged) > best


# ---------------------------------------------------- proximal operators


@pytest.mark.parametrize(("x", "t", "expected"), [
    (3.0, 1.0, 2.0), (-3.0, 1.0, -2.0), (0.5, 1.0, 0.0), (-1.0, 1.0, 0.0), (1.0, 1.0, 0.0),
    (-2.5, 0.0, -2.5), (1e-300, 1e-310, 1e-300 - 1e-310),
])
def test_soft_threshold_piecewise_definition(x, t, expected):
    value = soft_threshold([x], t)[0]
    assert value == expected
    assert not (value == 0 and np.signbit(value))  # +0.0, never -0.0


def _prox_by_minimisation(objective, x):
    """argmin_v of a 1-D convex objective, by bounded Brent search around x
    (accurate to about sqrt(machine epsilon), hence the loose comparisons)."""
    result = minimize_scalar(objective, bounds=(-abs(x) - 1, abs(x) + 1), method="bounded",
                             options={"xatol": 1e-12})
    return result.x


def _assert_prox_optimality(x, v, l1_weight, l2_weight):
    """v = argmin 0.5 (v - x)^2 + l1_weight |v| + 0.5 l2_weight v^2 iff
    x - v = l1_weight sign(v) + l2_weight v (v != 0), or |x| <= l1_weight (v == 0)."""
    if v == 0:
        assert abs(x) <= l1_weight
    else:
        assert x - v == pytest.approx(l1_weight * np.sign(v) + l2_weight * v, abs=1e-13)


def test_soft_threshold_minimises_the_prox_objective():
    rng = np.random.default_rng(6)
    zeros = 0
    for x, t in zip(rng.normal(size=25) * 3, rng.uniform(0, 2, size=25), strict=True):
        actual = soft_threshold([x], t)[0]
        expected = _prox_by_minimisation(lambda v, x=x, t=t: 0.5 * (v - x) ** 2 + t * abs(v), x)
        assert actual == pytest.approx(expected, abs=1e-6)
        _assert_prox_optimality(x, actual, t, 0.0)
        zeros += actual == 0
    assert 0 < zeros < 25  # both branches of the optimality condition were exercised


def test_elastic_net_prox_minimises_the_prox_objective():
    rng = np.random.default_rng(7)
    zeros = 0
    for x in rng.normal(size=25) * 3:
        step, alpha, l1_ratio = rng.uniform(0.1, 2), rng.uniform(0, 2), rng.uniform(0, 1)

        def objective(v, x=x, step=step, alpha=alpha, l1_ratio=l1_ratio):
            penalty = elastic_net_penalty([v], alpha=alpha, l1_ratio=l1_ratio)
            return 0.5 * (v - x) ** 2 + step * penalty

        actual = elastic_net_prox([x], step, alpha=alpha, l1_ratio=l1_ratio)[0]
        assert actual == pytest.approx(_prox_by_minimisation(objective, x), abs=1e-6)
        _assert_prox_optimality(x, actual, step * alpha * l1_ratio, step * alpha * (1 - l1_ratio))
        zeros += actual == 0
    assert 0 < zeros < 25  # both branches of the optimality condition were exercised


def test_elastic_net_prox_endpoints():
    """l1_ratio=1: soft thresholding by step * alpha;
    l1_ratio=0: the ridge prox x / (1 + step * alpha)."""
    x = np.array([-3.0, -0.2, 0.0, 0.7, 4.0])
    np.testing.assert_allclose(elastic_net_prox(x, 0.5, alpha=2.0, l1_ratio=1.0),
                               [-2.0, 0.0, 0.0, 0.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(elastic_net_prox(x, 0.5, alpha=2.0, l1_ratio=0.0), x / 2,
                               rtol=1e-15)


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize(("call", "match"), [
    (lambda: elastic_net_penalty([1.0], alpha=-1.0), "alpha"),
    (lambda: elastic_net_penalty([1.0], l1_ratio=1.5), "l1_ratio"),
    (lambda: elastic_net_penalty.grad([1.0], l1_ratio=-0.1), "l1_ratio"),
    (lambda: soft_threshold([1.0], -0.5), "threshold"),
    (lambda: elastic_net_prox([1.0], 0.0), "step"),
    (lambda: elastic_net_prox([1.0], 1.0, alpha=np.inf), "alpha"),
    (lambda: l1_penalty([1.0, np.nan]), "finite"),
    (lambda: l2_penalty.grad([np.inf]), "finite"),
    (lambda: l2_penalty([]), "empty"),
    (lambda: soft_threshold([], 1.0), "empty"),
])
def test_rejects_bad_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(("call", "match"), [
    (lambda: elastic_net_penalty([1.0], alpha="1"), "alpha"),
    (lambda: elastic_net_penalty([1.0], l1_ratio=None), "l1_ratio"),
    (lambda: soft_threshold([1.0], [0.5]), "threshold"),
    (lambda: elastic_net_prox([1.0], True), "step"),
    (lambda: l1_penalty(["a"]), "w must be an array-like of real numbers"),
    (lambda: elastic_net_prox(["a"], 1.0), "x must be an array-like of real numbers"),
])
def test_rejects_bad_types(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_inputs_are_not_modified():
    weights = _weights(8, (4,))
    before = weights.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for func in (l1_penalty, l2_penalty, elastic_net_penalty):
            func(weights)
            func.grad(weights)[:] = 0.0  # a returned gradient must not alias the weights
        soft_threshold(weights, 0.5)
        elastic_net_prox(weights, 0.5)
    np.testing.assert_array_equal(weights, before)
