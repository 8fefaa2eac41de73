"""Classification losses against scikit-learn, scipy, mpmath, hand-derived PyTorch and
torchvision values, bad inputs and properties."""

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import optimize, special
from sklearn.metrics import hinge_loss, log_loss

from lossbook import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    entropy,
    exponential,
    focal,
    hinge,
    kl_divergence,
    logits,
    quality_focal,
)
from lossbook import symbols as s
from lossbook.classification import (
    class_symbols,
    epsilon,
    log_sigmoid,
    log_softmax,
    sigmoid,
    softmax,
)
from lossbook.logits import tempered_softmax_terms
from tests import mpmath_harness as harness
from tests.cases import CASES

BINARY_ON_LOGITS = [binary_cross_entropy_with_logits, focal, quality_focal]
SIGNED = [hinge, exponential]


def assert_matches_mpmath(loss, y_true, y_pred, params, *, rtol=1e-14, dps=60):
    """Values and gradients of ``loss`` against the case's mpmath reference.

    Unlike the contract test, the derivative step is 10^(-dps/4) |x|: at ``dps=400``
    it resolves the slope of a loss of size 1 at p = 1e-300 and a singularity 1e-16
    away from p, which a step of 1e-20 |p| at 50 digits cannot.
    """
    harness.assert_matches_mpmath(loss, (y_true, y_pred), params, rtol=rtol, dps=dps)


def _grid(targets, predictions):
    y, p = np.meshgrid(np.asarray(targets, float), np.asarray(predictions, float), indexing="ij")
    return y.reshape(-1), p.reshape(-1)


# ------------------------------------------------------- accuracy at extremes


def test_bce_extreme_probabilities_against_mpmath():
    """p = 1e-300 (clamped) and p within 1e-15 of 1, for every kind of target."""
    y, p = _grid([0.0, 1e-15, 0.25, 1 - 1e-15, 1.0], [1e-300, 1e-200, 1 - 2e-15, 1 - 2.0**-53])
    assert_matches_mpmath(binary_cross_entropy, y, p, {}, dps=400)


@pytest.mark.parametrize("pos_weight", [None, 0.0, 0.2, 7.0])
def test_bce_with_logits_over_the_logit_range(pos_weight):
    """The contract test covers +-1e4 with pos_weight 2.5; here other weights, to +-1e3."""
    y, z = _grid([0.0, 1e-15, 0.3, 1 - 1e-15, 1.0],
                 [-1e3, -40.0, -2.0, 0.0, 1e-80, 2.0, 40.0, 710.0, 1e3])
    assert_matches_mpmath(binary_cross_entropy_with_logits, y, z, {"pos_weight": pos_weight})


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 0.0), (0.5, 0.5), (1.0, 3.0),
                                              (0.0, 1.0)])
def test_focal_over_the_logit_range(alpha, gamma):
    y, z = _grid([0.0, 1e-15, 0.3, 1 - 1e-15, 1.0],
                 [-1e3, -745.0, -100.0, -20.0, -1.5, 0.0, 0.5, 3.0, 20.0, 100.0, 745.0, 1e3])
    assert_matches_mpmath(focal, y, z, {"alpha": alpha, "gamma": gamma})


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_quality_focal_over_the_logit_range(beta):
    y, z = _grid([0.0, 1e-15, 0.3, 1 - 1e-15, 1.0],
                 [-1e3, -745.0, -100.0, -20.0, -1.5, 0.0, 0.5, 3.0, 20.0, 100.0, 745.0, 1e3])
    assert_matches_mpmath(quality_focal, y, z, {"beta": beta})


def test_exponential_for_tiny_scores_and_near_overflow():
    y, score = _grid([-1.0, 1.0], [-1e-300, 1e-300, -709.5, 709.5])
    assert_matches_mpmath(exponential, y, score, {}, dps=400)


def test_exponential_overflows_to_inf_only_past_the_float64_range():
    with np.errstate(over="ignore"):
        assert exponential([-1.0], [710.0]) == np.inf
        assert exponential.grad([-1.0], [710.0])[0] == np.inf
    assert exponential([1.0], [745.0]) > 0  # e^-745: subnormal, not flushed to zero


# (label_smoothing = 1 makes the gradient of the uniform-logit row exactly 0, which no
# relative tolerance can check; see test_full_label_smoothing_is_the_uniform_target.)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3, 0.9])
def test_cross_entropy_with_class_indices_against_mpmath(label_smoothing):
    logits = np.array(CASES["cross_entropy"].stress()[1])
    for target_class in range(3):
        indices = np.full(len(logits), target_class)
        one_hot = np.eye(3)[indices]
        np.testing.assert_array_equal(
            cross_entropy(indices, logits, label_smoothing=label_smoothing, reduction="none"),
            cross_entropy(one_hot, logits, label_smoothing=label_smoothing, reduction="none"))
        assert_matches_mpmath(cross_entropy, one_hot, logits,
                              {"label_smoothing": label_smoothing})


def test_cross_entropy_with_many_classes_and_a_dominant_logit():
    """k = 50, one logit 60 above the rest: the loss is 49 e^-60, not rounded to 0."""
    logits = np.zeros((2, 50))
    logits[:, 7] = 60.0
    indices = np.array([7, 8])
    expected = [math.log1p(49 * math.exp(-60)), 60 + math.log1p(49 * math.exp(-60))]
    np.testing.assert_allclose(cross_entropy(indices, logits, reduction="none"), expected,
                               rtol=1e-15)
    grad = cross_entropy.grad(indices, logits)
    # d/dz_7 at the true class: softmax_7 - 1 = -49 e^-60 / (1 + 49 e^-60)
    assert grad[0, 7] == pytest.approx(-49 * math.exp(-60) / (1 + 49 * math.exp(-60)), rel=1e-15)
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, atol=1e-15)


# ------------------------------------------------------- scikit-learn, scipy


def _soft_targets_and_logits(seed, n=200):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=n), rng.normal(scale=3.0, size=n)


def test_bce_matches_sklearn_log_loss():
    """sklearn clips p to [eps, 1 - eps] and averages: use p well inside (0, 1)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=300).astype(float)
    p = rng.uniform(0.01, 0.99, size=300)
    assert binary_cross_entropy(labels, p) == pytest.approx(
        log_loss(labels, y_proba=p), rel=1e-13)
    assert binary_cross_entropy(labels, p, reduction="sum") == pytest.approx(
        log_loss(labels, y_proba=p, normalize=False), rel=1e-13)


def test_cross_entropy_matches_sklearn_log_loss_of_scipy_softmax():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=2.0, size=(300, 5))
    indices = rng.integers(0, 5, size=300)
    expected = log_loss(indices, y_proba=special.softmax(logits, axis=1), labels=range(5))
    assert cross_entropy(indices, logits) == pytest.approx(expected, rel=1e-13)


def test_hinge_matches_sklearn_hinge_loss():
    rng = np.random.default_rng(2)
    labels = rng.choice([-1.0, 1.0], size=300)
    scores = rng.normal(scale=2.0, size=300)
    assert hinge(labels, scores) == pytest.approx(hinge_loss(labels, scores), rel=1e-14)


def test_bce_matches_scipy_xlogy():
    y, z = _soft_targets_and_logits(3)
    p = special.expit(z)
    expected = -(special.xlogy(y, p) + special.xlogy(1 - y, 1 - p))
    np.testing.assert_allclose(binary_cross_entropy(y, p, reduction="none"), expected,
                               rtol=1e-10)


@pytest.mark.parametrize("pos_weight", [None, 0.5, 4.0])
def test_bce_with_logits_matches_scipy_log_expit(pos_weight):
    y, z = _soft_targets_and_logits(4)
    w = 1.0 if pos_weight is None else pos_weight
    expected = -(w * y * special.log_expit(z) + (1 - y) * special.log_expit(-z))
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(y, z, pos_weight=pos_weight, reduction="none"),
        expected, rtol=1e-13)
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits.grad(y, z, pos_weight=pos_weight),
        (1 - y) * special.expit(z) - w * y * special.expit(-z), rtol=1e-12, atol=1e-300)


def test_helpers_match_scipy():
    rng = np.random.default_rng(5)
    z = rng.normal(scale=30.0, size=(40, 6))
    np.testing.assert_allclose(sigmoid(z), special.expit(z), rtol=1e-15)
    np.testing.assert_allclose(log_sigmoid(z), special.log_expit(z), rtol=1e-14)
    np.testing.assert_allclose(softmax(z), special.softmax(z, axis=-1), rtol=1e-13, atol=1e-300)
    # scipy's log_softmax rounds log(1 + tail) for the winning class; lossbook uses log1p
    np.testing.assert_allclose(log_softmax(z), special.log_softmax(z, axis=-1), rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(softmax(z, axis=0), special.softmax(z, axis=0), rtol=1e-13,
                               atol=1e-300)


def test_helpers_keep_tails_exact():
    assert sigmoid(-745.0) == 5e-324
    assert float(log_sigmoid(50.0)) == pytest.approx(-math.exp(-50.0), rel=1e-15)
    with mp.workdps(60):
        expected = float(mp.log(1 / (1 + 2 * mp.exp(-45))))
    assert log_softmax([[45.0, 0.0, 0.0]])[0, 0] == pytest.approx(expected, rel=1e-15)


# ------------------------------------------------- PyTorch / torchvision by hand


def test_bce_clamps_each_log_at_minus_100():
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(binary_cross_entropy(y, p, reduction="none"),
                                  [100.0, 100.0, 0.0, 0.0, 50.0, 50.0])
    # below e^-100 the clamped term is flat: only the (1 - y) / (1 - p) part is left
    np.testing.assert_array_equal(binary_cross_entropy.grad(y, p), [0.0, 0.0, 1.0, -1.0, 0.5, -0.5])
    assert binary_cross_entropy([1.0], [1e-50]) == 100.0
    assert binary_cross_entropy([1.0], [1e-40]) == pytest.approx(40 * math.log(10), rel=1e-15)
    assert binary_cross_entropy.grad([1.0], [1e-40])[0] == pytest.approx(-1e40, rel=1e-15)


def test_bce_with_logits_pos_weight_by_hand():
    log2 = math.log(2.0)
    values = binary_cross_entropy_with_logits([1.0, 0.0, 0.5], [0.0, 0.0, 0.0], pos_weight=3.0,
                                              reduction="none")
    np.testing.assert_allclose(values, [3 * log2, log2, 0.5 * 3 * log2 + 0.5 * log2], rtol=1e-15)
    # d/dz [w y softplus(-z) + (1 - y) softplus(z)] at z = 0: (1 - y) / 2 - w y / 2
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits.grad([1.0, 0.0, 0.5], [0.0, 0.0, 0.0], pos_weight=3.0),
        [-1.5, 0.5, -0.5], rtol=1e-15)


def test_bce_with_logits_pos_weight_per_column():
    """PyTorch broadcasts pos_weight of shape (k,) over a batch of multi-label targets."""
    y, z = _soft_targets_and_logits(6, n=12)
    y, z = y.reshape(4, 3), z.reshape(4, 3)
    weights = np.array([0.5, 1.0, 3.0])
    per_column = np.stack([
        binary_cross_entropy_with_logits(y[:, j], z[:, j], pos_weight=weights[j],
                                         reduction="none") for j in range(3)], axis=1)
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(y, z, pos_weight=weights, reduction="none"), per_column,
        rtol=1e-15)
    grad_columns = np.stack([binary_cross_entropy_with_logits.grad(y[:, j], z[:, j],
                                                                   pos_weight=weights[j])
                             for j in range(3)], axis=1)
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits.grad(y, z, pos_weight=weights), grad_columns,
        rtol=1e-15)


def test_label_smoothing_by_hand_for_three_classes():
    """PyTorch: (1 - eps) * nll(target) + eps * mean_j(-log softmax_j), eps = 0.3."""
    logits = [1.0, 2.0, 3.0]
    log_normaliser = math.log(math.e + math.e**2 + math.e**3)
    neg_log_softmax = [log_normaliser - zj for zj in logits]
    expected = 0.7 * neg_log_softmax[0] + 0.3 * sum(neg_log_softmax) / 3
    # the same number as -sum t_j log softmax_j with t = (0.8, 0.1, 0.1)
    assert expected == pytest.approx(log_normaliser - (0.8 * 1 + 0.1 * 2 + 0.1 * 3), rel=1e-15)
    assert cross_entropy([0], [logits], label_smoothing=0.3) == pytest.approx(expected, rel=1e-15)
    # probability targets are smoothed the same way: t = 0.7 y + 0.1
    soft = [0.2, 0.5, 0.3]
    expected_soft = sum((0.7 * yj + 0.1) * nj for yj, nj in zip(soft, neg_log_softmax,
                                                                   strict=True))
    assert cross_entropy([soft], [logits], label_smoothing=0.3) == pytest.approx(expected_soft,
                                                                                rel=1e-15)
    softmax_row = [math.exp(-nj) for nj in neg_log_softmax]
    np.testing.assert_allclose(cross_entropy.grad([0], [logits], label_smoothing=0.3)[0],
                               np.subtract(softmax_row, [0.8, 0.1, 0.1]), rtol=1e-14)


def test_full_label_smoothing_is_the_uniform_target():
    logits = np.array([[0.5, -1.0, 2.0, 0.0]])
    uniform = np.full((1, 4), 0.25)
    assert cross_entropy([2], logits, label_smoothing=1.0) == pytest.approx(
        cross_entropy(uniform, logits), rel=1e-15)


def _torchvision_focal(y, z, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss for one element at 60 digits: the focal case's
    line-by-line reference (tests/cases/classification.py), the one copy of it."""
    with mp.workdps(60):
        return float(CASES["focal"].reference(mp.mpf(y), mp.mpf(z),
                                              {"alpha": alpha, "gamma": gamma}))


@pytest.mark.parametrize(("y", "z", "alpha", "gamma"), [
    (1.0, 0.0, 0.25, 2.0), (0.0, 0.0, 0.25, 2.0), (1.0, 2.5, 0.25, 2.0), (0.0, 2.5, 0.25, 2.0),
    (1.0, -3.0, 0.5, 1.0), (0.7, 1.2, 0.25, 2.0), (0.0, -4.0, -1.0, 5.0), (1.0, 1.0, 0.9, 0.0),
])
def test_focal_matches_torchvision_formula(y, z, alpha, gamma):
    assert focal([y], [z], alpha=alpha, gamma=gamma) == pytest.approx(
        _torchvision_focal(y, z, alpha, gamma), rel=1e-14)


def test_focal_default_reduction_is_mean_not_torchvision_none():
    y, z = [1.0, 0.0, 1.0], [0.3, -0.2, 2.0]
    per_element = [_torchvision_focal(yi, zi, 0.25, 2.0) for yi, zi in zip(y, z, strict=True)]
    assert focal(y, z) == pytest.approx(np.mean(per_element), rel=1e-14)


def test_quality_focal_by_hand():
    """y = 0.9, z = 0: |0.9 - 0.5|^2 * (0.9 log 2 + 0.1 log 2) = 0.16 log 2."""
    assert quality_focal([0.9], [0.0]) == pytest.approx(0.16 * math.log(2), rel=1e-15)
    assert quality_focal([0.9], [0.0], beta=1.0) == pytest.approx(0.4 * math.log(2), rel=1e-15)


def test_quality_focal_gradient_vanishes_where_score_matches_quality():
    for beta in [0.5, 1.0, 2.0]:
        assert quality_focal.grad([0.5], [0.0], beta=beta)[0] == 0.0
        assert quality_focal([0.5], [0.0], beta=beta) == 0.0


def test_hinge_subgradient_at_the_kink_is_zero():
    np.testing.assert_array_equal(hinge.grad([1.0, -1.0], [1.0, -1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(hinge.grad([1.0, -1.0], [2.0, -0.5], margin=2.0), [0.0, 1.0])
    np.testing.assert_array_equal(hinge([1.0, -1.0], [2.0, -0.5], margin=2.0, reduction="none"),
                                  [0.0, 1.5])


# ------------------------------------------------------- symbolic definitions


def test_bce_with_logits_symbolic_gradient_is_sigmoid_minus_target():
    expr = binary_cross_entropy_with_logits.symbolic()
    residual = sp.diff(expr, s.z) - (1 / (1 + sp.exp(-s.z)) - s.y)
    assert sp.simplify(residual) == 0


def test_cross_entropy_symbolic_gradient_is_softmax_minus_target():
    expr = cross_entropy.symbolic(k=3)
    targets, logits = class_symbols(3)
    normaliser = sum(sp.exp(zi) for zi in logits)
    target_sum = sum(targets)
    for t, zi in zip(targets, logits, strict=True):
        residual = sp.diff(expr, zi) - (sp.exp(zi) / normaliser * target_sum - t)
        assert sp.simplify(residual) == 0
    smoothed = cross_entropy.symbolic(k=3, smoothed=True)
    assert sp.simplify(smoothed.subs(epsilon, 0) - expr) == 0


def test_symbolic_losses_at_a_point():
    """Each symbolic definition evaluated at one point equals the hand value."""
    log2 = sp.log(2)
    assert binary_cross_entropy.symbolic().subs({s.y: 1, s.y_hat: sp.Rational(1, 2)}) == log2
    assert sp.simplify(focal.symbolic().subs({s.y: 1, s.z: 0, s.alpha: sp.Rational(1, 4),
                                              s.gamma: 2}) - log2 / 16) == 0
    assert sp.simplify(quality_focal.symbolic().subs({s.y: 1, s.z: 0, s.beta: 2})
                       - log2 / 4) == 0
    assert hinge.symbolic().subs({s.y: -1, s.y_hat: 2, s.margin: 1}) == 3
    assert exponential.symbolic().subs({s.y: 1, s.y_hat: 0}) == 1


# ---------------------------------------------------- what each loss estimates


def _risk_minimiser(loss, eta, positive, negative):
    """Score minimising eta * loss(positive, z) + (1 - eta) * loss(negative, z) (root of grad)."""
    def risk_grad(z):
        return (eta * loss.grad([positive], [z])[0] + (1 - eta) * loss.grad([negative], [z])[0])

    return optimize.brentq(risk_grad, -30.0, 30.0, xtol=1e-14)


@pytest.mark.parametrize("eta", [0.05, 0.3, 0.5, 0.8])
def test_logistic_and_exponential_minimisers_are_log_odds_and_half_log_odds(eta):
    log_odds = math.log(eta / (1 - eta))
    assert _risk_minimiser(binary_cross_entropy_with_logits, eta, 1.0, 0.0) == pytest.approx(
        log_odds, abs=1e-10)
    assert _risk_minimiser(exponential, eta, 1.0, -1.0) == pytest.approx(log_odds / 2, abs=1e-10)


@pytest.mark.parametrize("eta", [0.2, 0.7])
def test_hinge_risk_is_minimised_at_the_sign_of_2eta_minus_1(eta):
    scores = np.linspace(-3.0, 3.0, 601)
    risk = eta * hinge(np.ones_like(scores), scores, reduction="none") + (1 - eta) * hinge(
        -np.ones_like(scores), scores, reduction="none")
    assert scores[np.argmin(risk)] == pytest.approx(np.sign(2 * eta - 1))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("bad_p", [[0.5, 1.1], [-0.1, 0.5]])
def test_bce_rejects_probabilities_outside_unit_interval(bad_p):
    with pytest.raises(ValueError, match=r"p \(y_pred\) must contain probabilities"):
        binary_cross_entropy([0.0, 1.0], bad_p)
    with pytest.raises(ValueError, match="y_true must contain probabilities"):
        binary_cross_entropy(bad_p, [0.5, 0.5])


@pytest.mark.parametrize("loss", [binary_cross_entropy, *BINARY_ON_LOGITS])
def test_binary_losses_reject_targets_outside_unit_interval(loss):
    with pytest.raises(ValueError, match="y_true must contain probabilities"):
        loss([1.5, 0.0], [0.5, 0.5])


@pytest.mark.parametrize("loss", [binary_cross_entropy, *BINARY_ON_LOGITS, *SIGNED])
def test_binary_losses_reject_column_against_vector(loss):
    y = [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="same shape"):
        loss(y, [[0.5], [0.5], [0.5]])
    with pytest.raises(ValueError, match="same shape"):
        loss([[1.0], [1.0], [1.0]], [0.5, 0.5, 0.5])


@pytest.mark.parametrize("loss", [binary_cross_entropy, *BINARY_ON_LOGITS, *SIGNED])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_binary_losses_reject_non_finite_targets(loss, bad):
    with pytest.raises(ValueError, match="finite"):
        loss([bad, 1.0], [0.5, 0.5])


@pytest.mark.parametrize("loss", [binary_cross_entropy, *BINARY_ON_LOGITS, *SIGNED])
def test_binary_losses_reject_empty_and_non_numeric_targets(loss):
    with pytest.raises(ValueError, match="empty"):
        loss([], [])
    with pytest.raises(TypeError, match="real numbers"):
        loss(["a", "b"], [0.5, 0.5])
    with pytest.raises(TypeError, match="real numbers"):
        loss([1.0, 1.0], [0.5 + 1j, 0.5])


@pytest.mark.parametrize("loss", SIGNED)
@pytest.mark.parametrize("labels", [[0.0, 1.0], [1.0, 2.0], [0.5, -1.0]])
def test_margin_losses_reject_labels_outside_plus_minus_one(loss, labels):
    with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
        loss(labels, [0.3, 0.3])
    with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
        loss.grad(labels, [0.3, 0.3])


def test_cross_entropy_rejects_class_indices_out_of_range():
    logits = np.zeros((2, 3))
    for bad in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError, match=r"y_true class indices must lie in \[0, k\).*k = 3"):
            cross_entropy(bad, logits)


def test_cross_entropy_rejects_non_integer_indices_and_accepts_integral_floats():
    logits = np.array([[1.0, 2.0, 0.0], [0.0, 0.5, 3.0]])
    with pytest.raises(ValueError, match="integers"):
        cross_entropy([0.5, 1.0], logits)
    assert cross_entropy([1.0, 2.0], logits) == cross_entropy(np.array([1, 2]), logits)


def test_cross_entropy_rejects_rows_not_summing_to_one():
    logits = np.zeros((2, 3))
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy([[0.5, 0.5, 0.1], [1.0, 0.0, 0.0]], logits)
    with pytest.raises(ValueError, match="probabilities in"):
        cross_entropy([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]], logits)
    # within the 1e-6 tolerance is fine
    assert np.isfinite(cross_entropy([[0.5, 0.5 + 1e-8, 0.0]], [[0.0, 0.0, 0.0]]))


@pytest.mark.parametrize(("y_true", "logits"), [
    ([0, 1], [0.0, 1.0]),  # one sample must still be a (1, k) row
    ([[0], [1]], [[0.0, 1.0], [1.0, 0.0]]),  # (n, 1) targets
    ([0, 1, 1], [[0.0, 1.0], [1.0, 0.0]]),  # wrong n
    ([[[0.5, 0.5]]], [[[0.0, 1.0]]]),  # 3-D logits
])
def test_cross_entropy_rejects_shapes(y_true, logits):
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(y_true, logits)


def test_cross_entropy_rejects_non_finite_and_non_numeric():
    with pytest.raises(ValueError, match="finite"):
        cross_entropy([0], [[0.0, np.nan]])
    with pytest.raises(ValueError, match="finite"):
        cross_entropy([np.nan], [[0.0, 1.0]])
    with pytest.raises(TypeError, match="real numbers"):
        cross_entropy(["a"], [[0.0, 1.0]])
    with pytest.raises(ValueError, match="empty"):
        cross_entropy(np.zeros(0), np.zeros((0, 3)))


@pytest.mark.parametrize(("loss", "params", "error"), [
    (cross_entropy, {"label_smoothing": -0.1}, ValueError),
    (cross_entropy, {"label_smoothing": 1.5}, ValueError),
    (cross_entropy, {"label_smoothing": "0.1"}, TypeError),
    (hinge, {"margin": 0.0}, ValueError),
    (hinge, {"margin": -1.0}, ValueError),
    (hinge, {"margin": np.inf}, ValueError),
    (focal, {"alpha": 1.5}, ValueError),
    (focal, {"gamma": -0.5}, ValueError),
    (focal, {"gamma": True}, TypeError),
    (quality_focal, {"beta": 0.0}, ValueError),
    (quality_focal, {"beta": -2.0}, ValueError),
    (binary_cross_entropy_with_logits, {"pos_weight": -1.0}, ValueError),
    (binary_cross_entropy_with_logits, {"pos_weight": [1.0, 2.0, 3.0]}, ValueError),
    (binary_cross_entropy_with_logits, {"pos_weight": np.nan}, ValueError),
    (binary_cross_entropy_with_logits, {"pos_weight": "2"}, TypeError),
])
def test_rejects_bad_parameters(loss, params, error):
    name = next(iter(params))
    if loss is cross_entropy:
        y_true, y_pred = [0, 1], [[0.0, 1.0], [1.0, 0.0]]
    elif loss is hinge:
        y_true, y_pred = [1.0, -1.0], [0.2, 0.4]
    else:
        y_true, y_pred = [1.0, 0.0], [0.2, 0.4]
    with pytest.raises(error, match=name):
        loss(y_true, y_pred, **params)
    with pytest.raises(error, match=name):
        loss.grad(y_true, y_pred, **params)


def test_helpers_reject_scalars_where_classes_are_needed():
    with pytest.raises(ValueError, match="one-dimensional"):
        softmax(1.0)
    with pytest.raises(ValueError, match="finite"):
        sigmoid([np.nan])


# ------------------------------------------------------------------ properties

finite_logits = st.floats(-50.0, 50.0, allow_nan=False)
unit = st.floats(0.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 6, elements=unit), hnp.arrays(np.float64, 6, elements=finite_logits))
def test_binary_losses_are_non_negative(y, z):
    assert np.all(binary_cross_entropy(y, sigmoid(z), reduction="none") >= 0)
    for loss in BINARY_ON_LOGITS:
        assert np.all(loss(y, z, reduction="none") >= 0)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 5, elements=unit),
       hnp.arrays(np.float64, 5, elements=st.floats(-15.0, 15.0)))
def test_bce_with_logits_equals_bce_of_sigmoid(y, z):
    """Away from the clamp, BCE on logits is BCE on sigmoid(z) (less rounding)."""
    np.testing.assert_allclose(binary_cross_entropy_with_logits(y, z, reduction="none"),
                               binary_cross_entropy(y, sigmoid(z), reduction="none"),
                               rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 5, elements=unit), hnp.arrays(np.float64, 5, elements=finite_logits))
def test_focal_without_focusing_or_weighting_is_bce_with_logits(y, z):
    np.testing.assert_array_equal(focal(y, z, alpha=-1.0, gamma=0.0, reduction="none"),
                                  binary_cross_entropy_with_logits(y, z, reduction="none"))
    np.testing.assert_array_equal(focal.grad(y, z, alpha=-1.0, gamma=0.0),
                                  binary_cross_entropy_with_logits.grad(y, z))


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, 6, elements=unit),
       hnp.arrays(np.float64, 6, elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_bce_and_miss_terms_are_the_separate_routines_to_the_bit(y, z):
    """lossbook.logits.bce_and_miss_terms (focal's and QFL's values) arranges the targets by
    the sign of z instead of selecting sigmoids and softplus: the same products and sums,
    so the same bits as bce_logits_values and y sigma(-z), (1 - y) sigma(z), on small
    arrays (-|z| given) and large ones (-|z| not kept: None)."""
    for size in (6, 6000):
        y_big, z_big = np.resize(y, size), np.resize(z, size)
        y_v, z_v, tail, complement, _, minus_magnitude = logits.binary_logit_inputs(y_big, z_big)
        assert minus_magnitude is None or size <= 4096
        bce, unlikely, likely = logits.bce_and_miss_terms(y_v, z_v, tail, complement,
                                                          minus_magnitude)
        tail = np.exp(-np.abs(z_big))
        np.testing.assert_array_equal(bce, logits.bce_logits_values(y_big, z_big, tail))
        sig_pos, sig_neg = logits.sigmoid_pair(z_big, tail)
        terms = y_big * sig_neg, (1.0 - y_big) * sig_pos
        ahead = z_big >= 0  # y sigma(-z) carries the smaller sigmoid where z >= 0
        np.testing.assert_array_equal(unlikely, np.where(ahead, *terms))
        np.testing.assert_array_equal(likely, np.where(ahead, *terms[::-1]))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 5, elements=st.sampled_from([0.0, 1.0])),
       hnp.arrays(np.float64, 5, elements=finite_logits),
       st.floats(0.1, 4.0))
def test_quality_focal_on_hard_targets_is_unweighted_focal(y, z, beta):
    """For y in {0, 1}, |y - sigma(z)| = 1 - p_t: QFL is focal with gamma = beta, no alpha."""
    np.testing.assert_allclose(quality_focal(y, z, beta=beta, reduction="none"),
                               focal(y, z, alpha=-1.0, gamma=beta, reduction="none"),
                               rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(quality_focal.grad(y, z, beta=beta),
                               focal.grad(y, z, alpha=-1.0, gamma=beta), rtol=1e-12, atol=1e-300)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, 8, elements=st.sampled_from([-1.0, 1.0])),
       hnp.arrays(np.float64, 8, elements=finite_logits))
def test_margin_losses_bound_the_zero_one_loss(y, score):
    mistakes = (y * score <= 0).astype(float)
    assert np.all(hinge(y, score, reduction="none") >= mistakes)
    assert np.all(exponential(y, score, reduction="none") >= mistakes)


def _distribution_rows(k):
    """Rows of k positive weights, normalised to probability vectors."""
    return hnp.arrays(np.float64, (3, k), elements=st.floats(1e-3, 1.0)).map(
        lambda w: w / w.sum(axis=-1, keepdims=True))


@settings(max_examples=200, deadline=None)
@given(_distribution_rows(4), hnp.arrays(np.float64, (3, 4), elements=finite_logits),
       st.floats(-1e3, 1e3), st.floats(0.0, 1.0))
def test_cross_entropy_is_invariant_to_shifting_a_row_of_logits(t, z, shift, smoothing):
    shifted = z + shift
    before = cross_entropy(t, z, label_smoothing=smoothing, reduction="none")
    # the shift itself rounds each logit by up to ulp(|z| + |shift|)
    tolerance = 8 * np.finfo(float).eps * (100.0 + abs(shift))
    np.testing.assert_allclose(cross_entropy(t, shifted, label_smoothing=smoothing,
                                             reduction="none"), before, rtol=0, atol=tolerance)
    np.testing.assert_allclose(cross_entropy.grad(t, shifted, label_smoothing=smoothing),
                               cross_entropy.grad(t, z, label_smoothing=smoothing),
                               rtol=0, atol=tolerance)


@settings(max_examples=200, deadline=None)
@given(_distribution_rows(4), _distribution_rows(4))
def test_gibbs_inequality_and_cross_entropy_decomposition(p, q):
    """H(p, q) = H(p) + KL(p || q) >= H(p), with cross_entropy on logits log q."""
    cross = cross_entropy(p, np.log(q), reduction="none")
    own = entropy(p)
    assert np.all(cross >= own - 1e-12)
    np.testing.assert_allclose(cross, own + kl_divergence(p, q, reduction="none"), atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(_distribution_rows(5), hnp.arrays(np.float64, (3, 5), elements=finite_logits))
def test_cross_entropy_gradient_rows_sum_to_zero(t, z):
    grad = cross_entropy.grad(t, z)
    np.testing.assert_allclose(grad.sum(axis=-1), 0.0, atol=1e-14)
    assert np.all(cross_entropy(t, z, reduction="none") >= 0)


@pytest.mark.parametrize("n", [1, 5, 300])
def test_cross_entropy_class_indices_equal_one_hot_rows_bit_for_bit(n):
    """Class indices take a shortcut (no target matrix); one-hot probability rows take the
    general route. Without label smoothing the two must agree to the last bit."""
    rng = np.random.default_rng(n)
    logits = rng.normal(size=(n, 7)) * 20.0
    logits[0, :3] = 5.0  # tied maxima
    indices = rng.integers(0, 7, size=n)
    one_hot = np.eye(7)[indices]
    for targets in (indices, indices.astype(np.float64)):
        np.testing.assert_array_equal(cross_entropy(targets, logits, reduction="none"),
                                      cross_entropy(one_hot, logits, reduction="none"))
        np.testing.assert_array_equal(cross_entropy.grad(targets, logits, reduction="mean"),
                                      cross_entropy.grad(one_hot, logits, reduction="mean"))


def test_cross_entropy_made_of_tail_probabilities_at_logits_of_a_thousand():
    """The true class dominates each row, so the loss is log1p of tail probabilities e^gap
    with gaps of hundreds: rounding a gap z_j - max z would cost |gap| 2^-53 relative (up to
    ~1e-13); lossbook.logits.shifted_exp puts the rounding back."""
    rng = np.random.default_rng(2024)
    # Top logits in (256, 512) and the others in (-256, -128): each gap has a larger exponent
    # than either logit, so forming it rounds (by up to 2^-45, i.e. 6e-14 relative in e^gap).
    logits = np.column_stack([rng.uniform(300.0, 500.0, 40), rng.uniform(-250.0, -130.0, 40)])
    targets = np.zeros(40, dtype=int)
    values = cross_entropy(targets, logits, reduction="none")
    with mp.workdps(60):
        for row, value in zip(logits, values, strict=True):
            exact = mp.log1p(mp.fsum(mp.exp(mp.mpf(float(v)) - mp.mpf(float(row[0])))
                                     for v in row[1:]))
            assert abs(value - float(exact)) <= 1e-14 * float(exact), (row, value, exact)


def test_softmax_of_a_row_does_not_depend_on_the_rest_of_its_batch():
    """Where a logit gap z_j - max z is below -32, the shifted exponential puts back the
    gap's rounding error; it does so for that entry alone, so the rows of moderate logits
    get the same bits with or without a row of far-apart logits beside them (also at a
    temperature, for the distillation KL's teacher)."""
    rng = np.random.default_rng(5)
    moderate = rng.uniform(-15.0, 15.0, size=(60, 10))  # every gap >= -30
    far_apart = np.concatenate([rng.uniform(-15.0, 15.0, size=(1, 8)), [[80.0, -90.0]]], axis=1)
    batch = np.concatenate([moderate, far_apart])
    np.testing.assert_array_equal(softmax(batch)[:-1], softmax(moderate))
    for temperature in (1.0, 0.7, 3.0):
        in_batch = tempered_softmax_terms(batch, temperature)
        alone = tempered_softmax_terms(moderate, temperature)
        np.testing.assert_array_equal(in_batch[1][:-1], alone[1])
        np.testing.assert_array_equal(in_batch[2][:-1], alone[2])
