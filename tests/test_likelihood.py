"""Symbolic likelihoods, evaluated for n = 3, against scipy.stats log-densities."""

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import lossbook
from lossbook import likelihood as L

N = 3


def _observations(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=N) * 2, rng.normal(size=N)


def _evaluate(nll, values):
    """Expand the sum for n = N, substitute numbers and evaluate to a float."""
    return float(nll.doit().subs(values).evalf(30))


def _indexed(base, array):
    """{base[1]: array[0], base[2]: array[1], ...}, or 2-D {base[i, j]: ...}, 1-based."""
    return {base[tuple(k + 1 for k in index)]: float(v) for index, v in np.ndenumerate(array)}


def test_gaussian_nll_matches_scipy_norm():
    y, mu = _observations(0)
    nll = _evaluate(L.gaussian_nll(n=N), {**_indexed(L.y, y), **_indexed(L.mu, mu), L.sigma: 0.7})
    assert nll == pytest.approx(-stats.norm(loc=mu, scale=0.7).logpdf(y).sum(), rel=1e-13)


def test_laplace_nll_matches_scipy_laplace():
    y, mu = _observations(1)
    nll = _evaluate(L.laplace_nll(n=N), {**_indexed(L.y, y), **_indexed(L.mu, mu), L.b: 1.3})
    assert nll == pytest.approx(-stats.laplace(loc=mu, scale=1.3).logpdf(y).sum(), rel=1e-13)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.75])
def test_asymmetric_laplace_nll_matches_scipy_laplace_asymmetric(q):
    """scipy's laplace_asymmetric(kappa) has density exp(-kappa x) (x >= 0), exp(x / kappa)
    (x < 0), divided by kappa + 1/kappa, at x = (y - mu) / scale. Matching the decay rates
    q / sigma and (1 - q) / sigma of Yu & Moyeed's density gives
    kappa = sqrt(q / (1 - q)) and scale = sigma / sqrt(q (1 - q))."""
    y, mu = _observations(2)
    sigma = 0.8
    values = {**_indexed(L.y, y), **_indexed(L.mu, mu), L.sigma: sigma, L.q: q}
    nll = _evaluate(L.asymmetric_laplace_nll(n=N), values)
    reference = stats.laplace_asymmetric(kappa=np.sqrt(q / (1 - q)), loc=mu,
                                         scale=sigma / np.sqrt(q * (1 - q)))
    assert nll == pytest.approx(-reference.logpdf(y).sum(), rel=1e-13)
    # The model enters only through the pinball loss divided by sigma.
    constant = N * (np.log(sigma) - np.log(q) - np.log1p(-q))
    assert nll - constant == pytest.approx(
        lossbook.quantile(y, mu, q=q, reduction="sum") / sigma, rel=1e-13)


def test_asymmetric_laplace_at_the_median_is_laplace_with_twice_the_scale():
    y, mu = _observations(3)
    values = {**_indexed(L.y, y), **_indexed(L.mu, mu), L.sigma: 0.6}
    asymmetric = _evaluate(L.asymmetric_laplace_nll(q=sp.Rational(1, 2), n=N), values)
    laplace = _evaluate(L.laplace_nll(b=2 * L.sigma, n=N), values)
    assert asymmetric == pytest.approx(laplace, rel=1e-14)


def test_bernoulli_nll_matches_scipy_bernoulli():
    labels, p = np.array([1.0, 0.0, 1.0]), np.array([0.8, 0.35, 0.05])
    nll = _evaluate(L.bernoulli_nll(n=N), {**_indexed(L.y, labels), **_indexed(L.p, p)})
    assert nll == pytest.approx(-stats.bernoulli(p).logpmf(labels).sum(), rel=1e-13)


def test_categorical_nll_matches_scipy_multinomial_with_one_trial():
    k = 4
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(k), size=N)
    one_hot = np.eye(k)[[2, 0, 3]]
    nll = _evaluate(L.categorical_nll(n=N, k=k), {**_indexed(L.y, one_hot), **_indexed(L.p, p)})
    reference = sum(stats.multinomial(1, row).logpmf(label)
                    for row, label in zip(p, one_hot, strict=True))
    assert nll == pytest.approx(-reference, rel=1e-13)


def test_constant_model_maximum_likelihood():
    """A constant model's MLE: the mean under Gaussian noise, the label frequency
    under Bernoulli labels (derived by hand: set the derivative to zero)."""
    c = sp.Symbol("c", real=True)
    y, _ = _observations(5)
    gaussian = L.gaussian_nll(mu=c, n=N).doit().subs(_indexed(L.y, y))
    (root,) = sp.solve(sp.diff(gaussian, c), c)
    assert float(root) == pytest.approx(y.mean(), rel=1e-14)
    labels = np.array([1.0, 1.0, 0.0])
    p = sp.Symbol("p", positive=True)
    bernoulli = L.bernoulli_nll(p=p, n=N).doit().subs(_indexed(L.y, labels))
    (root,) = sp.solve(sp.diff(bernoulli, p), p)
    assert float(root) == pytest.approx(2 / 3, rel=1e-14)
