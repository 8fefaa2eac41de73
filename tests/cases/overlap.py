"""Test cases for the overlap losses (Dice, Tversky).

The mpmath references are the formulas as written by Milletari et al. (2016)
and Salehi et al. (2017): one minus a ratio, evaluated literally (the ratio
formed, then subtracted from 1) at a precision that keeps the tiny losses of
near-perfect masks, with TP, FP and FN summed pixel by pixel.
"""

import mpmath as mp
import numpy as np

from ._case import LossCase


def flatten(nested):
    """The mpf entries of one sample (nested lists) in order."""
    if isinstance(nested, list):
        return [x for sub in nested for x in flatten(sub)]
    return [nested]


def extra_digits(*samples):
    """Digits that keep a step of 1e-20 |x| visible next to O(1) sums for the tiniest x.

    (mpmath's ``diff`` rounds the values to its working precision, about 112 digits for
    ``dps=50``, before differencing: entries below about 1e-70 next to sums of order 1
    need a larger ``dps`` in the harness; see tests/test_overlap.py.)"""
    tiniest = min((abs(x) for sample in samples for x in flatten(sample) if x != 0),
                  default=mp.mpf(1))
    return 30 + max(0, int(-mp.log10(tiniest)))


def dice_reference(y, p, params):
    smooth = mp.mpf(params.get("smooth", 1.0))
    ys, ps = flatten(y), flatten(p)
    with mp.extradps(extra_digits(y, p)):
        overlap = mp.fsum(a * b for a, b in zip(ys, ps, strict=True))
        return 1 - (2 * overlap + smooth) / (mp.fsum(ys) + mp.fsum(ps) + smooth)


def tversky_reference(y, p, params):
    alpha, beta = mp.mpf(params.get("alpha", 0.5)), mp.mpf(params.get("beta", 0.5))
    smooth = mp.mpf(params.get("smooth", 1.0))
    ys, ps = flatten(y), flatten(p)
    with mp.extradps(extra_digits(y, p)):
        tp = mp.fsum(a * b for a, b in zip(ys, ps, strict=True))
        fp = mp.fsum((1 - a) * b for a, b in zip(ys, ps, strict=True))
        fn = mp.fsum(a * (1 - b) for a, b in zip(ys, ps, strict=True))
        return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def masks(rng, shape=(5, 6)):
    """Targets (a third hard 0/1, the rest soft) and predictions away from 0 and 1."""
    y = rng.uniform(size=shape)
    y = np.where(rng.uniform(size=shape) < 1 / 3, np.round(y), y)
    return y, rng.uniform(0.05, 0.95, size=shape)


T = 1e-13  # near-perfect: predictions within 1e-13 of the target
STRESS_Y = np.array([
    [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],      # near-perfect, overlap within ~1e-13 of perfect
    [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],      # perfect
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],      # empty target, a few predictions
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],      # empty target and prediction: only the smoothing
    [0.3, 0.7, 1e-15, 1 - 1e-15, 0.5, 0.2],  # soft targets
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],      # full target, predictions at the extremes
    [1.0, 0.0, 1.0, 0.0, 1.0, 0.0],      # tiny foreground predictions
])
STRESS_P = np.array([
    [1 - T, 1.0, 1 - 2 * T, T, 0.0, 3 * T],
    [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    [1e-60, 1e-3, 0.5, 0.0, 1e-12, 0.25],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.9, 0.1, 0.6, 0.35, 1e-15, 0.8],
    [1.0, 1 - 1e-15, 1e-15, 0.5, 0.999, 0.0],
    [1e-50, 0.0, 1e-40, 1e-60, 1e-20, 1e-15],
])


def integers(rng):
    y, p = masks(rng)
    return np.rint(y).astype(np.int64), np.rint(p).astype(np.int64), {"smooth": 1}


CASES = {
    "dice_loss": LossCase(
        sample=lambda rng: (*masks(rng), {"smooth": 1.0}),
        stress=lambda: (STRESS_Y, STRESS_P, {"smooth": 1.0}),
        reference=dice_reference,
    ),
    "tversky_loss": LossCase(
        sample=lambda rng: (*masks(rng), {"alpha": 0.3, "beta": 0.7, "smooth": 1.0}),
        stress=lambda: (STRESS_Y, STRESS_P, {"alpha": 0.3, "beta": 0.7, "smooth": 1.0}),
        reference=tversky_reference,
    ),
}
