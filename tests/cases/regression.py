"""Test cases for the regression losses."""

import mpmath as mp
import numpy as np

from ._case import LossCase


def _normal_pairs(rng):
    return rng.normal(size=(5, 3)), rng.normal(size=(5, 3))


def _pairs_away_from_kink(rng):
    """Residuals with |r| in [0.05, 4]: clear of the kink at r = 0 and on both
    sides of every threshold used below."""
    y_true = rng.normal(size=(5, 3))
    residual = rng.choice([-1.0, 1.0], size=y_true.shape) * rng.uniform(0.05, 4.0, y_true.shape)
    return y_true, y_true + residual


def _residual_grid(residuals):
    """Targets 0 and 123.25 each combined with every residual."""
    residuals = np.asarray(residuals, dtype=float)
    y_true = np.repeat([0.0, 123.25], residuals.size)
    return y_true, y_true + np.tile(residuals, 2)


def _around(threshold):
    """Residuals on, just inside and just outside +-threshold."""
    factors = (1.0, 1.0 - 1e-9, 1.0 + 1e-9)
    return [sign * threshold * factor for sign in (1.0, -1.0) for factor in factors]


# Tiny and huge residuals: exercise underflow and overflow of intermediate results.
STRESS_RESIDUALS = [1e-300, -1e-150, 1e-20, -3e-8, 0.7, -1.0, 3.5, 1e5, -1e150, 1e153]


def _huber_reference(y, p, params):
    r, delta = p - y, mp.mpf(params["delta"])
    return r**2 / 2 if abs(r) <= delta else delta * (abs(r) - delta / 2)


def _smooth_l1_reference(y, p, params):
    r, beta = p - y, mp.mpf(params["beta"])
    return r**2 / (2 * beta) if abs(r) < beta else abs(r) - beta / 2


def _quantile_reference(y, p, params):
    u, q = y - p, mp.mpf(params["q"])
    return max(q * u, (q - 1) * u)


def _log_cosh_reference(y, p, params):
    r = p - y
    if r == 0:
        return mp.mpf(0)
    # cosh(r) = 1 + r^2/2 + ...: carry enough extra bits that the r^2/2 term
    # survives the rounding of cosh before the log sees it.
    with mp.extraprec(max(0, -2 * int(mp.mag(r)))):
        return mp.log(mp.cosh(r))


CASES = {
    "mse": LossCase(
        sample=lambda rng: (*_normal_pairs(rng), {}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS), {}),
        reference=lambda y, p, params: (p - y) ** 2,
    ),
    "mae": LossCase(
        sample=lambda rng: (*_pairs_away_from_kink(rng), {}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS), {}),
        reference=lambda y, p, params: abs(p - y),
    ),
    "smooth_l1": LossCase(
        sample=lambda rng: (*_pairs_away_from_kink(rng), {"beta": 0.8}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS + _around(2.5)), {"beta": 2.5}),
        reference=_smooth_l1_reference,
    ),
    "huber": LossCase(
        sample=lambda rng: (*_pairs_away_from_kink(rng), {"delta": 1.3}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS + _around(0.5)), {"delta": 0.5}),
        reference=_huber_reference,
    ),
    "quantile": LossCase(
        sample=lambda rng: (*_pairs_away_from_kink(rng), {"q": 0.3}),
        stress=lambda: (*_residual_grid(STRESS_RESIDUALS), {"q": 0.9}),
        reference=_quantile_reference,
    ),
    "log_cosh": LossCase(
        sample=lambda rng: (*_normal_pairs(rng), {}),
        stress=lambda: (
            *_residual_grid(STRESS_RESIDUALS + _around(1.0) + [0.3, 20.0, 709.0, 711.0, -5e3]),
            {},
        ),
        reference=_log_cosh_reference,
    ),
}
