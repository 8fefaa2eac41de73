"""Test cases for the robust losses (Tukey's biweight, Barron's general loss,
generalized cross-entropy). The references are the papers' formulas written
literally in mpmath; deeper grids (the exact Tukey cutoff, saturated Barron
losses, alpha = -1000) are in tests/test_robust.py."""

import mpmath as mp
import numpy as np

from ._case import LossCase


def _residual_grid(residuals, target=0.0):
    residuals = np.asarray(residuals, dtype=float)
    y = np.full(residuals.size, target)
    return y, y + residuals


def _tukey_reference(y, p, params):
    r, c = p - y, mp.mpf(params["c"])
    if abs(r) > c:
        return c**2 / 6
    with mp.extradps(max(0, int(-2 * mp.log10(abs(r) / c))) + 10 if r != 0 else 0):
        return c**2 / 6 * (1 - (1 - (r / c) ** 2) ** 3)


def _tukey_sample(rng):
    y = rng.normal(size=(5, 3))
    r = rng.choice([-1.0, 1.0], size=y.shape) * rng.uniform(0.1, 6.0, size=y.shape)
    r = np.where(np.abs(np.abs(r) - 3.0) < 0.05, 1.2 * r, r)  # clear of the cutoff c = 3
    return y, y + r, {"c": 3.0}


C = 4.685
# tiny, moderate and huge residuals, and residuals 1e-9 and 1e-12 (relative) inside and
# outside the cutoff (the exact cutoff, a kink of psi', is in tests/test_robust.py)
TUKEY_STRESS = [0.0, 1e-300, -1e-150, 1e-20, -3e-8, 0.5, -1.0, 3.0, 1e5, -1e300,
                C * (1 - 1e-9), -C * (1 - 1e-12), C * (1 + 1e-9), -C * (1 + 1e-12)]


def _barron_reference(y, p, params):
    a, x = params["alpha"], (p - y) / mp.mpf(params["scale"])
    with mp.extradps(max(0, int(-2 * mp.log10(abs(x)))) + 20 if x != 0 else 0):
        if a == 2:
            return x**2 / 2
        if a == 0:
            return mp.log(x**2 / 2 + 1)
        if a == -np.inf:
            return 1 - mp.exp(-(x**2) / 2)
        a = mp.mpf(a)
        b = abs(a - 2)
        return b / a * ((x**2 / b + 1) ** (a / 2) - 1)


# alpha within 1e-8 of 2 (and 0 below), residuals from 1e-300 to 1e150
BARRON_STRESS = [0.0, 1e-300, -1e-150, 1e-20, -1e-8, 0.5, -1.0, 3.0, 30.0, -1e5, 1e140]


def _gce_reference(label, row, params):
    q = mp.mpf(params["q"])
    with mp.extradps(int(float(max(row) - min(row)) / 2.3) + 30):
        p_y = mp.exp(row[int(label)]) / mp.fsum(mp.exp(v) for v in row)
        return (1 - p_y**q) / q


GCE_STRESS_LOGITS = np.array([
    [0.0, 1e3, -1e3], [1e3, -1e3, 0.0], [3.0, 3.0, 3.0], [0.0, -745.0, -30.0],
    [40.0, 0.0, -1.0], [2.5, -1.5, 0.25], [-1e3, 1e3 - 1.0, 1e3],
])


def _gce_stress():
    """Every row with every label whose probability is above e^-50: mpmath's derivative
    at 50 digits cannot see a slope of p_y^q ~ e^-500 next to a loss of 1/q (those
    labels are checked at higher precision in tests/test_robust.py)."""
    rows, labels = [], []
    for row in GCE_STRESS_LOGITS:
        log_p = row - row.max() - np.log(np.exp(row - row.max()).sum())
        for label in np.flatnonzero(log_p > -50):
            rows.append(row)
            labels.append(label)
    return np.array(labels), np.array(rows), {"q": 0.7}


CASES = {
    "tukey_biweight": LossCase(
        sample=_tukey_sample,
        stress=lambda: (*_residual_grid(TUKEY_STRESS), {"c": C}),
        reference=_tukey_reference,
    ),
    "general_robust_loss": LossCase(
        sample=lambda rng: (rng.normal(size=(5, 3)), rng.normal(scale=3.0, size=(5, 3)),
                            {"alpha": -0.7, "scale": 1.3}),
        stress=lambda: (*_residual_grid(BARRON_STRESS), {"alpha": 2.0 - 1e-8, "scale": 1.0}),
        reference=_barron_reference,
    ),
    "generalized_cross_entropy": LossCase(
        sample=lambda rng: (rng.integers(0, 4, size=6), rng.normal(scale=2.0, size=(6, 4)),
                            {"q": 0.4}),
        stress=_gce_stress,
        reference=_gce_reference,
    ),
}
