"""Test cases for the information-theoretic losses."""

import mpmath as mp
import numpy as np

from ._case import LossCase


def _kl_reference(p, q, params):
    """sum_j p_j log(p_j / q_j), with the convention 0 log(0 / q) = 0."""
    return mp.fsum(pj * mp.log(pj / qj) for pj, qj in zip(p, q, strict=True) if pj != 0)


def _kl_integers(rng):
    """One-hot rows of integers: q puts no mass on p's outcome in some rows (KL = inf)."""
    eye = np.eye(4, dtype=np.int64)
    return eye[rng.integers(0, 4, size=6)], eye[rng.integers(0, 4, size=6)], {}


def _kl_sample(rng):
    # entries of q stay below 0.9 so that finite-difference steps keep them in [0, 1]
    return rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.full(4, 5.0), size=5), {}


# Rows with zeros in p, tiny entries in p and q, and p within 1e-15 of one-hot. (An
# entry p_j much below 1e-60 would be fine for lossbook, but its gradient -p_j/q_j
# moves the total by less than mpmath's differentiation can resolve.)
KL_STRESS_P = [
    [0.5, 0.5, 0.0],
    [1.0, 0.0, 0.0],
    [1e-60, 0.3, 0.7],
    [1.0 - 1e-15, 1e-15, 0.0],
    [0.2, 0.3, 0.5],
    [0.0, 0.0, 1.0],
    [0.25, 0.25, 0.5],
]
KL_STRESS_Q = [
    [0.25, 0.25, 0.5],
    [1e-300, 0.5, 0.5],
    [0.5, 0.25, 0.25],
    [0.9, 0.05, 0.05],
    [0.5, 0.3, 0.2],
    [1e-10, 0.5, 0.5 - 1e-10],
    [0.5, 0.5 - 1e-300, 1e-300],
]

CASES = {
    "kl_divergence": LossCase(
        sample=_kl_sample,
        stress=lambda: (np.array(KL_STRESS_P), np.array(KL_STRESS_Q), {}),
        reference=_kl_reference,
        integers=_kl_integers,
        fd_step=1e-8,
    ),
}
