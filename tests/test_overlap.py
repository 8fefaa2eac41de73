"""Dice and Tversky beyond the contract: the exact identities between them, brute force on
binary masks, tiny entries and parameters at the edges against mpmath, bad input."""

import numpy as np
import pytest

from lossbook import dice_loss, tversky_loss
from tests.cases.overlap import STRESS_P, STRESS_Y, masks
from tests.mpmath_harness import assert_matches_mpmath

RNG = np.random.default_rng(15)


@pytest.mark.parametrize("smooth", [0.0, 1e-300, 0.5, 1.0, 3.0, 1e10])
def test_tversky_at_one_half_is_dice_with_twice_the_smoothing_exactly(smooth):
    y, p = masks(RNG, (6, 4, 5))
    tversky = tversky_loss(y, p, alpha=0.5, beta=0.5, smooth=smooth, reduction="none")
    np.testing.assert_array_equal(tversky, dice_loss(y, p, smooth=2 * smooth, reduction="none"))
    np.testing.assert_array_equal(tversky_loss.grad(y, p, alpha=0.5, beta=0.5, smooth=smooth),
                                  dice_loss.grad(y, p, smooth=2 * smooth))


def test_dice_is_tversky_at_smooth_zero_exactly():
    y, p = masks(RNG, (6, 7))
    np.testing.assert_array_equal(dice_loss(y, p, smooth=0.0, reduction="none"),
                                  tversky_loss(y, p, smooth=0.0, reduction="none"))


def test_dice_on_binary_masks_is_one_minus_f1_by_counting():
    y = RNG.uniform(size=(20, 30)) < 0.2
    p = RNG.uniform(size=(20, 30)) < 0.3
    y[0], p[0] = True, True  # one perfect sample
    for i in range(20):
        truth, pred = set(np.flatnonzero(y[i])), set(np.flatnonzero(p[i]))
        f1 = 2 * len(truth & pred) / (len(truth) + len(pred))
        assert dice_loss(y[i:i + 1], p[i:i + 1], smooth=0.0) == pytest.approx(1 - f1, abs=1e-15)
        jaccard = len(truth & pred) / len(truth | pred)
        assert tversky_loss(y[i:i + 1], p[i:i + 1], alpha=1.0, beta=1.0,
                            smooth=0.0) == pytest.approx(1 - jaccard, abs=1e-15)


def test_a_sample_is_every_axis_after_the_first():
    y, p = masks(RNG, (3, 4, 5))
    np.testing.assert_array_equal(dice_loss(y, p, reduction="none"),
                                  dice_loss(y.reshape(3, 20), p.reshape(3, 20), reduction="none"))


def test_near_perfect_prediction_keeps_its_tiny_loss():
    y = np.array([[1.0, 1.0, 0.0, 0.0]])
    p = np.array([[1.0 - 2.0**-45, 1.0, 2.0**-45, 0.0]])
    # FP + FN = 2^-44 exactly; 2 TP + FP + FN + 0 = 4 - 2^-45 + 2^-45 ... = 4 - 2^-44 + 2^-44
    assert dice_loss(y, p, smooth=0.0) == pytest.approx(2.0**-44 / 4.0, rel=1e-15)


# Tiny predictions next to sums of order 1 need more than the contract test's 50 digits:
# mpmath's diff rounds the values before differencing (tests/cases/overlap.py).
TINY_Y = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])
TINY_P = np.array([[1e-200, 1e-3, 0.5, 0.0, 1e-12, 0.25],
                   [1e-150, 0.0, 1e-100, 1e-300, 1e-20, 1e-15]])


@pytest.mark.parametrize("loss, params", [
    (dice_loss, {"smooth": 1.0}),
    (tversky_loss, {"alpha": 0.3, "beta": 0.7, "smooth": 1.0}),
])
def test_tiny_predictions_against_mpmath(loss, params):
    assert_matches_mpmath(loss, (TINY_Y, TINY_P), params, dps=360, step=1e-20)


@pytest.mark.parametrize("params", [
    {"smooth": 0.0},
    {"alpha": 0.0, "beta": 1.0, "smooth": 0.0},
    {"alpha": 1.0, "beta": 0.0, "smooth": 1e-3},
    {"alpha": 0.0, "beta": 0.0, "smooth": 1.0},
    {"alpha": 1e3, "beta": 1e-3, "smooth": 1e4},
])
def test_parameters_at_the_edges_against_mpmath(params):
    # rows whose denominator is positive at smooth = 0: the empty-and-empty row is left out,
    # and the empty-target row too when alpha = 0 (then only TP + beta FN is left, and is 0).
    rows = [0, 1, 4, 5, 6] if params.get("alpha") == 0.0 else [0, 1, 2, 4, 5, 6]
    loss = dice_loss if set(params) == {"smooth"} else tversky_loss
    # 150 digits: the grid has predictions down to 1e-60 next to sums of order 1
    assert_matches_mpmath(loss, (STRESS_Y[rows], STRESS_P[rows]), params, dps=150, step=1e-20)


@pytest.mark.parametrize("loss, params", [
    (dice_loss, {"smooth": 1e-300}),
    (dice_loss, {"smooth": 1e300}),
    (tversky_loss, {"alpha": 1e300, "beta": 1.0, "smooth": 1.0}),
    (tversky_loss, {"alpha": 1.0, "beta": 1e300, "smooth": 1.0}),
    (tversky_loss, {"alpha": 1e-300, "beta": 1e-300, "smooth": 1.0}),
    (tversky_loss, {"alpha": 1e300, "beta": 1e300, "smooth": 1e-300}),
])
def test_extreme_parameters_against_mpmath(loss, params):
    """alpha, beta and smooth at 1e-300 and 1e300. Predictions strictly inside (0, 1): at 0
    or 1 mpmath's central difference steps out of [0, 1], where with a weight of 1e300 the
    denominator of the formula changes sign within the step. 700 digits: with smooth = 1e300
    the literal 1 - ratio of the reference keeps a loss of 1e-300."""
    y, p = STRESS_Y[[0, 2, 4, 5, 6]], np.clip(STRESS_P[[0, 2, 4, 5, 6]], 1e-15, 1 - 1e-15)
    assert_matches_mpmath(loss, (y, p), params, dps=700, step=1e-20)


def test_alpha_zero_beta_zero_is_zero_loss_and_gradient():
    y, p = masks(RNG, (4, 6))
    assert tversky_loss(y, p, alpha=0.0, beta=0.0) == 0.0
    assert not np.any(tversky_loss.grad(y, p, alpha=0.0, beta=0.0))


def test_undefined_sample_at_smooth_zero_raises_naming_smooth():
    with pytest.raises(ValueError, match="smooth"):
        dice_loss([[0.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]], smooth=0.0)
    with pytest.raises(ValueError, match="smooth"):
        tversky_loss.grad([[0.0, 0.0]], [[0.5, 0.0]], alpha=0.0, beta=1.0, smooth=0.0)


@pytest.mark.parametrize("call, match", [
    (lambda: dice_loss([[0.0, 1.0]], [[0.5, 1.5]]), "y_pred"),
    (lambda: dice_loss([[0.0, -1.0]], [[0.5, 0.5]]), "y_true"),
    (lambda: dice_loss([0.0, 1.0], [0.5, 0.5]), "sample axis"),
    (lambda: dice_loss([[0.0, 1.0]], [[0.5, 0.5]], smooth=-1.0), "smooth"),
    (lambda: tversky_loss([[0.0, 1.0]], [[0.5, 0.5]], alpha=-0.1), "alpha"),
    (lambda: tversky_loss([[0.0, 1.0]], [[0.5, 0.5]], beta=np.inf), "beta"),
    (lambda: dice_loss([[0.0, 1.0]], [[0.5, 0.5, 0.5]]), "y_pred"),
])
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
