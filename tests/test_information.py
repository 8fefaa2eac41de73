"""Entropy and KL divergence against scipy, mpmath, hand values, bad inputs and properties."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from lossbook import entropy, kl_divergence


def _random_rows(seed, n=50, k=6, with_zeros=True):
    rng = np.random.default_rng(seed)
    rows = rng.dirichlet(np.full(k, 0.7), size=n)
    if with_zeros:
        rows[rng.uniform(size=rows.shape) < 0.2] = 0.0
        rows[:, 0] += 1e-3  # no row entirely zero
        rows /= rows.sum(axis=-1, keepdims=True)
    return rows


# ------------------------------------------------------------------ entropy


@pytest.mark.parametrize("base", [None, 2, 10, math.e, 0.5])
def test_entropy_matches_scipy_stats(base):
    p = _random_rows(0)
    np.testing.assert_allclose(entropy(p, base=base), stats.entropy(p, base=base, axis=-1),
                               rtol=1e-13)


def test_entropy_by_hand():
    assert entropy([0.5, 0.5], base=2) == 1.0
    assert entropy([0.25] * 4, base=2) == pytest.approx(2.0, rel=1e-15)
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    # H(1/2, 1/4, 1/4) = 1.5 bits
    assert entropy([0.5, 0.25, 0.25], base=2) == pytest.approx(1.5, rel=1e-15)
    assert entropy([0.2, 0.8]) == pytest.approx(-(0.2 * math.log(0.2) + 0.8 * math.log(0.8)),
                                                rel=1e-15)


def test_entropy_returns_a_float_for_one_distribution_and_an_array_for_a_batch():
    assert isinstance(entropy([0.3, 0.7]), float)
    batch = entropy(np.full((2, 3, 4), 0.25))
    assert isinstance(batch, np.ndarray) and batch.shape == (2, 3)
    np.testing.assert_allclose(batch, math.log(4), rtol=1e-15)


def test_entropy_with_tiny_probabilities_against_mpmath():
    p = np.array([1e-300, 1e-20, 0.5 - 1e-20, 0.5, 0.0])
    with mp.workdps(50):
        expected = -mp.fsum(mp.mpf(v) * mp.log(mp.mpf(v)) for v in p if v > 0)
    assert entropy(p) == pytest.approx(float(expected), rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, (3, 5), elements=st.floats(0.0, 1.0)).filter(
    lambda w: np.all(w.sum(axis=-1) > 1e-3)))
def test_entropy_lies_between_zero_and_log_k(weights):
    p = weights / weights.sum(axis=-1, keepdims=True)
    h = entropy(p)
    assert np.all(h >= 0) and np.all(h <= math.log(5) * (1 + 1e-15))


@pytest.mark.parametrize(("p", "base", "error", "message"), [
    ([0.5, 0.6], None, ValueError, "sum to 1"),
    ([1.5, -0.5], None, ValueError, "probabilities"),
    ([0.5, np.nan], None, ValueError, "finite"),
    ([], None, ValueError, "empty"),
    (1.0, None, ValueError, "one-dimensional"),
    (["a", "b"], None, TypeError, "real numbers"),
    ([0.5, 0.5], 1, ValueError, "base"),
    ([0.5, 0.5], 0, ValueError, "base"),
    ([0.5, 0.5], -2, ValueError, "base"),
    ([0.5, 0.5], "2", TypeError, "base"),
])
def test_entropy_rejects_bad_input(p, base, error, message):
    with pytest.raises(error, match=message):
        entropy(p, base=base)


# ------------------------------------------------------------ KL divergence


def test_kl_matches_scipy_rel_entr_and_stats_entropy():
    p, q = _random_rows(1), _random_rows(2, with_zeros=False)
    expected = special.rel_entr(p, q).sum(axis=-1)
    np.testing.assert_allclose(kl_divergence(p, q, reduction="none"), expected, rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(kl_divergence(p, q, reduction="none"),
                               stats.entropy(p, q, axis=-1), rtol=1e-12, atol=1e-15)


def test_kl_mean_is_pytorch_batchmean():
    """PyTorch's kl_div(log q, p, reduction="batchmean") = sum of all terms / n."""
    p, q = _random_rows(3), _random_rows(4, with_zeros=False)
    assert kl_divergence(p, q) == pytest.approx(special.rel_entr(p, q).sum() / len(p), rel=1e-12)
    assert kl_divergence(p, q, reduction="sum") == pytest.approx(special.rel_entr(p, q).sum(),
                                                                 rel=1e-12)


def test_kl_by_hand():
    assert kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2),
                                                                              rel=1e-15)
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)
    # zeros in p contribute nothing wherever q is
    assert kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0
    np.testing.assert_array_equal(kl_divergence.grad([0.0, 0.5, 0.5], [0.5, 0.25, 0.25]),
                                  [0.0, -2.0, -2.0])


def test_kl_is_infinite_where_q_misses_the_support_of_p():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    np.testing.assert_array_equal(kl_divergence.grad([0.5, 0.5], [1.0, 0.0]), [-0.5, -np.inf])
    np.testing.assert_array_equal(
        kl_divergence([[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]], reduction="none"),
        [np.inf, 0.0])


def test_kl_stays_finite_for_subnormal_q():
    """p / q overflows for q = 1e-310; the true value 0.5 log(0.5 / 1e-310) is finite."""
    p, q = np.array([0.5, 0.5]), np.array([1.0 - 1e-310, 1e-310])
    with mp.workdps(50):
        expected = mp.fsum(mp.mpf(a) * mp.log(mp.mpf(a) / mp.mpf(b)) for a, b in zip(p, q,
                                                                                  strict=True))
    assert kl_divergence(p, q) == pytest.approx(float(expected), rel=1e-14)


def test_kl_of_a_distribution_from_itself_is_exactly_zero():
    p = _random_rows(5)
    np.testing.assert_array_equal(kl_divergence(p, p, reduction="none"), 0.0)
    grad = kl_divergence.grad(p, p)
    np.testing.assert_array_equal(grad, np.where(p > 0, -1.0, 0.0))


def _distribution_rows(k):
    return hnp.arrays(np.float64, (3, k), elements=st.floats(1e-3, 1.0)).map(
        lambda w: w / w.sum(axis=-1, keepdims=True))


@settings(max_examples=300, deadline=None)
@given(_distribution_rows(4), _distribution_rows(4))
def test_kl_is_non_negative_and_obeys_pinsker(p, q):
    """KL(p || q) >= 1/2 ||p - q||_1^2 >= 0, up to rounding of the sum."""
    kl = kl_divergence(p, q, reduction="none")
    l1 = np.abs(p - q).sum(axis=-1)
    assert np.all(kl >= 0.5 * l1**2 - 1e-15)
    assert np.all(kl[l1 > 1e-6] > 0)


@pytest.mark.parametrize(("p", "q", "error", "message"), [
    ([0.5, 0.6], [0.5, 0.5], ValueError, r"p \(y_true\) must sum to 1"),
    ([0.5, 0.5], [0.5, 0.4], ValueError, r"q \(y_pred\) must sum to 1"),
    ([1.5, -0.5], [0.5, 0.5], ValueError, "probabilities"),
    ([0.5, 0.5], [[0.5, 0.5]], ValueError, "same shape"),
    ([[0.5], [0.5]], [0.5, 0.5], ValueError, "same shape"),
    ([0.5, 0.5], [0.5, np.inf], ValueError, "finite"),
    ([np.nan, 0.5], [0.5, 0.5], ValueError, "finite"),
    ([], [], ValueError, "empty"),
    (1.0, 1.0, ValueError, "one-dimensional"),
    ([0.5, 0.5], ["a", "b"], TypeError, "real numbers"),
])
def test_kl_rejects_bad_input(p, q, error, message):
    with pytest.raises(error, match=message):
        kl_divergence(p, q)
    with pytest.raises(error, match=message):
        kl_divergence.grad(p, q)
