"""multi_margin_loss beyond the contract: PyTorch's formula by brute force over the classes,
p = 1 and a zero margin against mpmath, PyTorch's 1-D form, bad input."""

import numpy as np
import pytest

from lossbook import multi_margin_loss
from tests.cases.ranking import STRESS_SCORES, STRESS_Y
from tests.mpmath_harness import assert_matches_mpmath

RNG = np.random.default_rng(1516)


@pytest.mark.parametrize("p", [1, 2])
def test_matches_pytorch_formula_by_brute_force(p):
    y = RNG.integers(0, 5, size=30)
    x = RNG.normal(scale=2.0, size=(30, 5))
    expected = np.zeros(30)
    grad = np.zeros((30, 5))
    for n in range(30):
        for j in range(5):
            if j == y[n]:
                continue
            h = 0.8 - x[n, y[n]] + x[n, j]
            if h > 0:
                expected[n] += h**p / 5
                grad[n, j] += p * h ** (p - 1) / 5
                grad[n, y[n]] -= p * h ** (p - 1) / 5
    np.testing.assert_allclose(multi_margin_loss(y, x, p=p, margin=0.8, reduction="none"),
                               expected, rtol=1e-14)
    np.testing.assert_allclose(multi_margin_loss.grad(y, x, p=p, margin=0.8), grad, rtol=1e-14)


@pytest.mark.parametrize("params", [{"p": 1, "margin": 1.0}, {"p": 2, "margin": 0.0},
                                    {"p": 1, "margin": 0.0}, {"p": 2, "margin": 1e-300},
                                    {"p": 1, "margin": 3e150}, {"p": 2, "margin": 3e150}])
def test_other_powers_and_margins_at_the_edges_against_mpmath(params):
    # a margin of 3e150 (not 1e150: with the score 1e150 of row 0 that would put a term at
    # its kink) next to scores of order 1 needs 150 more digits in mpmath's diff
    dps = 50 if params["margin"] < 1e10 else 250
    assert_matches_mpmath(multi_margin_loss, (STRESS_Y, STRESS_SCORES), params, dps=dps,
                          step=1e-20)


def test_one_sample_without_a_batch_axis():
    # PyTorch's 1-D form: scores (k,) and a scalar class index
    assert multi_margin_loss(1, [0.5, 1.0, 0.75]) == pytest.approx((0.5 + 0.75) / 3)
    assert multi_margin_loss(1, [0.5, 1.0, 0.75], reduction="none").shape == ()


def test_confident_sample_has_zero_loss_and_gradient():
    assert multi_margin_loss([2], [[0.0, 1.0, 2.5]]) == 0.0
    assert not multi_margin_loss.grad([2], [[0.0, 1.0, 2.5]]).any()


@pytest.mark.parametrize("call, match", [
    (lambda: multi_margin_loss([0], [[1.0, 2.0]], p=3), r"\bp\b"),
    (lambda: multi_margin_loss([0], [[1.0, 2.0]], p=True), r"\bp\b"),
    (lambda: multi_margin_loss([2], [[1.0, 2.0]]), "y_true"),
    (lambda: multi_margin_loss([0.5], [[1.0, 2.0]]), "y_true"),
    (lambda: multi_margin_loss([0, 1], [[1.0, 2.0]]), "y_true"),
    (lambda: multi_margin_loss([0], [[1.0, 2.0]], margin=-1.0), "margin"),
])
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
