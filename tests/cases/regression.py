"""Test cases for the regression losses."""

import numpy as np

from ._case import LossCase, elementwise_symbolic


def _normal_pairs(rng):
    return rng.normal(size=(5, 3)), rng.normal(size=(5, 3))


def _residual_grid(residuals):
    """Targets 0 and 123.25 each combined with every residual."""
    residuals = np.asarray(residuals, dtype=float)
    y_true = np.repeat([0.0, 123.25], residuals.size)
    return y_true, y_true + np.tile(residuals, 2)


# Tiny and huge residuals: exercise underflow and overflow of intermediate results.
STRESS_RESIDUALS = [1e-300, -1e-150, 1e-20, -3e-8, 0.7, -1.0, 3.5, 1e5, -1e150, 1e153]

CASES = {
    "mse": LossCase(
        sample=lambda rng: (*_normal_pairs(rng), {}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS), {}),
        reference=lambda y, p, params: (p - y) ** 2,
        symbolic=elementwise_symbolic(),
    ),
}
