"""Test cases for the distribution focal and varifocal losses of the detection part.
The references are GFL's and MMDetection's definitions written literally in mpmath."""

import mpmath as mp
import numpy as np

from ._case import LossCase


def _digits(values):
    return int(float(max(values) - min(values, default=0)) / 2.3) + 30


def _dfl_reference(y, row, params):
    with mp.extradps(_digits([abs(v) for v in row])):
        normaliser = mp.fsum(mp.exp(v) for v in row)

        def log_s(j):
            return mp.log(mp.exp(row[j]) / normaliser)

        k = len(row)
        if y == k - 1:
            return -log_s(k - 1)
        i = int(mp.floor(y))
        return -((i + 1 - y) * log_s(i) + (y - i) * log_s(i + 1))


DFL_STRESS_LOGITS = np.array([
    [0.0, 1e3, -1e3, 0.0, 5.0], [1e3, 1e3 - 1.0, -1e3, 2.0, 0.0], [3.0, 3.0, 3.0, 3.0, 3.0],
    [0.0, -745.0, -30.0, -1e3, 40.0], [-1e3, -1e3, 1e3, 1e3 - 40.0, 0.5],
])
DFL_STRESS_TARGETS = [0.0, 0.5, 1.25, 3.999999999, 4.0]


def _vfl_reference(q, z, params):
    alpha, gamma = params["alpha"], params["gamma"]
    with mp.extradps(int(abs(float(z)) / 2.3) + 30):
        p = 1 / (1 + mp.exp(-z))
        weight = q if q > 0 else alpha * abs(p - q) ** gamma
        return weight * -(q * mp.log(p) + (1 - q) * mp.log(1 - p))


def _vfl_targets(rng, shape):
    return np.where(rng.uniform(size=shape) < 0.5, 0.0, rng.uniform(0.05, 1.0, size=shape))


VFL_TARGETS = [0.0, 1e-15, 0.3, 1.0]
VFL_LOGITS = [-1e3, -745.0, -100.0, -20.0, -1.5, -1e-8, 0.0, 0.5, 3.0, 20.0, 100.0, 745.0, 1e3]


def _vfl_stress():
    q, z = np.meshgrid(VFL_TARGETS, VFL_LOGITS, indexing="ij")
    return q.reshape(-1), z.reshape(-1), {"alpha": 0.75, "gamma": 2.0}


CASES = {
    "distribution_focal_loss": LossCase(
        sample=lambda rng: (rng.uniform(0, 4, size=6), rng.normal(scale=2.0, size=(6, 5)), {}),
        stress=lambda: (np.array(DFL_STRESS_TARGETS), DFL_STRESS_LOGITS, {}),
        reference=_dfl_reference,
    ),
    "varifocal_loss": LossCase(
        sample=lambda rng: (_vfl_targets(rng, (5, 3)), rng.normal(scale=2.0, size=(5, 3)),
                            {"alpha": 0.6, "gamma": 1.5}),
        stress=_vfl_stress,
        reference=_vfl_reference,
    ),
}
