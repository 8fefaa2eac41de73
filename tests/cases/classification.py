"""Test cases for the classification losses.

The mpmath references are the textbook formulas written literally (sigmoid
as 1 / (1 + e^-z), softmax as e^z_j / sum e^z_i, one minus a probability by
subtraction), made exact by raising the working precision by as many digits
as the logits need: e^-z survives next to 1 only with about z / ln 10 extra
digits.
"""

import math

import mpmath as mp
import numpy as np

from ._case import LossCase

# Hard and soft targets in [0, 1], including values within 1e-15 of 0 and 1.
STRESS_TARGETS = [0.0, 1e-15, 0.3, 1.0 - 1e-15, 1.0]
# Logits over the whole range; -745 and 745 put sigmoid tails at the float64 subnormal limit.
STRESS_LOGITS = [-1e3, -745.0, -100.0, -20.0, -1.5, -1e-8, 0.0, 0.5, 3.0, 20.0, 100.0, 745.0,
                 1e3]


def _grid(targets, predictions):
    """Every target combined with every prediction, as two flat arrays."""
    y, p = np.meshgrid(np.asarray(targets, float), np.asarray(predictions, float), indexing="ij")
    return y.reshape(-1), p.reshape(-1)


def _digits_for(*logits):
    """Extra decimal digits that keep e^-|z| visible next to 1 for every logit given."""
    return int(max(abs(v) for v in logits) / math.log(10)) + 20


def _mp_sigmoid(z):
    return 1 / (1 + mp.exp(-z))


def _mp_bce(y, p, w=1):
    """Bernoulli negative log-likelihood, optionally weighting the positive term."""
    return -(w * y * mp.log(p) + (1 - y) * mp.log(1 - p))


def _bce_reference(y, p, params):
    """PyTorch: each log clamped at -100 (mpmath's log 0 is -inf)."""
    # log(1 - p) ~ -p needs about -log10(p) extra digits to keep p next to 1
    with mp.extradps(int(-mp.log10(p)) + 20 if 0 < p < 1 else 0):
        return -(y * max(mp.log(p), -100) + (1 - y) * max(mp.log(1 - p), -100))


def _bce_logits_reference(y, z, params):
    weight = params.get("pos_weight")
    with mp.extradps(_digits_for(z)):
        return _mp_bce(y, _mp_sigmoid(z), 1 if weight is None else weight)


def _focal_reference(y, z, params):
    """torchvision's sigmoid_focal_loss, line by line."""
    alpha, gamma = params.get("alpha", 0.25), params.get("gamma", 2.0)
    with mp.extradps(_digits_for(z)):
        p = _mp_sigmoid(z)
        ce = _mp_bce(y, p)
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
        return loss


def _quality_focal_reference(y, z, params):
    with mp.extradps(_digits_for(z)):
        p = _mp_sigmoid(z)
        return abs(y - p) ** params.get("beta", 2.0) * _mp_bce(y, p)


def _cross_entropy_reference(target, logits, params):
    """-sum_j t_j log softmax_j with PyTorch's smoothed target (1 - eps) y + eps / k."""
    eps, k = params.get("label_smoothing", 0.0), len(logits)
    # Softmax tails below e^-800 are far below the smallest double: no digits for them.
    with mp.extradps(_digits_for(min(max(logits) - min(logits), 800))):
        normaliser = mp.fsum(mp.exp(zi) for zi in logits)
        return -mp.fsum(((1 - eps) * t + mp.mpf(eps) / k) * mp.log(mp.exp(zi) / normaliser)
                        for t, zi in zip(target, logits, strict=True))


def _soft_targets(rng, shape):
    """Targets in [0, 1]: a third hard zeros/ones, the rest uniform."""
    y = rng.uniform(size=shape)
    hard = rng.uniform(size=shape) < 1 / 3
    return np.where(hard, np.round(y), y)


def _signed_labels(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape)


def _hinge_sample(rng):
    y = _signed_labels(rng, (5, 3))
    scores = rng.normal(scale=2.0, size=(5, 3))
    # keep clear of the kink y s = margin (finite differences straddle it otherwise)
    scores = np.where(np.abs(1.5 - y * scores) < 0.05, scores + 0.2, scores)
    return y, scores, {"margin": 1.5}


def _quality_focal_sample(rng):
    y = _soft_targets(rng, (5, 3))
    z = rng.normal(scale=2.0, size=(5, 3))
    return y, z, {"beta": 2.0}


def _cross_entropy_integers(rng):
    """Class indices and integer logits."""
    return rng.integers(0, 4, size=5), np.rint(rng.normal(scale=3.0, size=(5, 4))).astype(int), {
        "label_smoothing": 0.1}


def _cross_entropy_sample(rng):
    return rng.dirichlet(np.ones(4), size=5), rng.normal(scale=2.0, size=(5, 4)), {
        "label_smoothing": 0.1}


# Rows of logits (k = 3) spread up to 2e4, paired with probability targets that
# include one-hot, near-one-hot (1e-15 away) and soft rows.
CE_STRESS_LOGITS = [
    [0.0, 1e4, -1e4],
    [0.0, 1e4, -1e4],
    [1e4, 1e4 - 1.0, 1e4 - 40.0],
    [-1e4, -1e4 + 0.5, 3.0],
    [1e3, -1e3, 0.0],
    [5.0, 5.0, 5.0],
    [0.0, -745.0, -30.0],
    [0.0, -200.0, -700.0],
    [2.5, -1.5, 0.25],
]
CE_STRESS_TARGETS = [
    [0.0, 1.0, 0.0],
    [1.0, 0.0, 0.0],
    [0.5, 0.5, 0.0],
    [1e-15, 1e-15, 1.0 - 2e-15],
    [0.2, 0.3, 0.5],
    [0.6, 0.4, 0.0],
    [1.0, 0.0, 0.0],
    [1.0, 0.0, 0.0],
    [0.1, 0.7, 0.2],
]

# Probabilities within 1e-15 of 0, and below the clamp e^-100 ~ 3.7e-44. The
# contract test differentiates the reference with a step of 1e-20 |p| at about
# 112 digits, which cannot resolve the slope of a loss near 1 at p = 1e-300 or
# the singularity of log(1 - p) 2e-15 away from p: p = 1e-300, and p within
# 1e-15 of 1 with y < 1, are checked in tests/test_classification.py instead.
BCE_STRESS_PROBABILITIES = [1e-60, 1e-50, 1e-40, 2e-15, 1e-3, 0.3, 0.5, 0.7, 1 - 1e-9]
BCE_STRESS_NEAR_ONE = [1 - 2e-15, 1 - 2.0**-53]


def _bce_stress():
    y, p = _grid([0.0, 1e-15, 0.25, 1 - 1e-15, 1.0], BCE_STRESS_PROBABILITIES)
    y_one, p_one = _grid([1.0], BCE_STRESS_NEAR_ONE)
    return np.concatenate([y, y_one]), np.concatenate([p, p_one]), {}

HINGE_STRESS_SCORES = [-1e300, -1e5, -3.0, -1e-20, 0.0, 0.5, 1 - 1e-12, 1 + 1e-9, 7.0, 1e300]
EXPONENTIAL_STRESS_SCORES = [-709.0, -300.0, -1.0, -1e-60, 0.0, 1e-10, 2.5, 300.0, 709.0]

CASES = {
    "binary_cross_entropy": LossCase(
        sample=lambda rng: (_soft_targets(rng, (5, 3)), rng.uniform(0.05, 0.95, size=(5, 3)), {}),
        stress=_bce_stress,
        reference=_bce_reference,
    ),
    "binary_cross_entropy_with_logits": LossCase(
        sample=lambda rng: (_soft_targets(rng, (5, 3)), rng.normal(scale=3.0, size=(5, 3)),
                            {"pos_weight": 2.5}),
        stress=lambda: (*_grid(STRESS_TARGETS, [-1e4, *STRESS_LOGITS, 1e4]), {"pos_weight": 2.5}),
        reference=_bce_logits_reference,
        symbolic_options={"weighted": True},
    ),
    "cross_entropy": LossCase(
        sample=_cross_entropy_sample,
        stress=lambda: (np.array(CE_STRESS_TARGETS), np.array(CE_STRESS_LOGITS),
                        {"label_smoothing": 0.1}),
        reference=_cross_entropy_reference,
        symbolic_options={"smoothed": True},
        integers=_cross_entropy_integers,
    ),
    "hinge": LossCase(
        sample=_hinge_sample,
        stress=lambda: (*_grid([-1.0, 1.0], HINGE_STRESS_SCORES), {"margin": 1.0}),
        reference=lambda y, score, params: max(mp.mpf(0), params["margin"] - y * score),
    ),
    "exponential": LossCase(
        sample=lambda rng: (_signed_labels(rng, (5, 3)), rng.normal(size=(5, 3)), {}),
        stress=lambda: (*_grid([-1.0, 1.0], EXPONENTIAL_STRESS_SCORES), {}),
        reference=lambda y, score, params: mp.exp(-y * score),
    ),
    "focal": LossCase(
        sample=lambda rng: (_soft_targets(rng, (5, 3)), rng.normal(scale=2.0, size=(5, 3)),
                            {"alpha": 0.25, "gamma": 2.0}),
        stress=lambda: (*_grid(STRESS_TARGETS, STRESS_LOGITS), {"alpha": 0.25, "gamma": 2.0}),
        reference=_focal_reference,
    ),
    "quality_focal": LossCase(
        sample=_quality_focal_sample,
        stress=lambda: (*_grid(STRESS_TARGETS, STRESS_LOGITS), {"beta": 2.0}),
        reference=_quality_focal_reference,
    ),
}
