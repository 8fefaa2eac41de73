"""Test cases for the penalties on the weights (family "penalty", summed by default)."""

import mpmath as mp
import numpy as np

from ._case import LossCase

# Tiny and huge weights of both signs; 0, the kink of |w|, is left to test_regularisation.py.
STRESS_WEIGHTS = [1e-300, -1e-150, 1e-20, -3e-8, 0.7, -1.0, 3.5, 1e5, -1e150, 1e153]


def _weights_away_from_zero(rng):
    """Weights with |w| in [0.05, 4], clear of the kink of |w| at 0."""
    return rng.choice([-1.0, 1.0], size=(5, 3)) * rng.uniform(0.05, 4.0, size=(5, 3))


def _elastic_net_reference(w, params):
    alpha, rho = mp.mpf(params["alpha"]), mp.mpf(params["l1_ratio"])
    return alpha * (rho * abs(w) + (1 - rho) * w**2 / 2)


CASES = {
    "l1_penalty": LossCase(
        sample=lambda rng: (_weights_away_from_zero(rng), {}),
        stress=lambda: (np.array(STRESS_WEIGHTS), {}),
        reference=lambda w, params: abs(w),
    ),
    "l2_penalty": LossCase(
        sample=lambda rng: (rng.normal(size=(5, 3)), {}),
        stress=lambda: (np.array(STRESS_WEIGHTS), {}),
        reference=lambda w, params: w**2 / 2,
    ),
    "elastic_net_penalty": LossCase(
        sample=lambda rng: (_weights_away_from_zero(rng), {"alpha": 0.8, "l1_ratio": 0.3}),
        stress=lambda: (np.array(STRESS_WEIGHTS), {"alpha": 0.8, "l1_ratio": 0.3}),
        reference=_elastic_net_reference,
    ),
}
