"""Test cases for the noise-model losses and scoring rules (lossbook.noise_models).

The references are the textbook / PyTorch / scikit-learn formulas written out in
mpmath, with enough extra digits that their own cancellation (a deviance of
1e-24 from terms of order 1, Stirling's term against y log y at y = 1e200) does
not matter.
"""

import mpmath as mp
import numpy as np
import sympy as sp

from ._case import LossCase

# ------------------------------------------------------------------ references


def poisson_nll_reference(y, p, params):
    """PyTorch's poisson_nll_loss, one element."""
    log_input = params.get("log_input", True)
    full = params.get("full", False)
    eps = mp.mpf(params.get("eps", 1e-8))
    with mp.extradps(450):
        if log_input:
            loss = mp.exp(p) - y * p
        else:
            loss = p - y * mp.log(p + eps)
        if full and y > 1:
            loss += y * mp.log(y) - y + mp.log(2 * mp.pi * y) / 2
        return +loss


def gaussian_nll_reference(y, p, var, params):
    """PyTorch's gaussian_nll_loss, one element (var clamped at eps)."""
    eps = mp.mpf(params.get("eps", 1e-6))
    v = max(var, eps)
    loss = (mp.log(v) + (p - y) ** 2 / v) / 2
    if params.get("full", False):
        loss += mp.log(2 * mp.pi) / 2
    return loss


def tweedie_reference(y, mu, power):
    """scikit-learn's _mean_tweedie_deviance, one element, power as an mpf."""
    p = mp.mpf(power)
    with mp.extradps(150):
        if p == 0:
            return (y - mu) ** 2
        if p == 1:
            return 2 * ((y * mp.log(y / mu) if y > 0 else 0) - y + mu)
        if p == 2:
            return 2 * (mp.log(mu / y) + y / mu - 1)
        y_plus = max(y, mp.mpf(0))
        return +(2 * (y_plus ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p)
                      + mu ** (2 - p) / (2 - p)))


def expectile_reference(y, p, params):
    u, tau = y - p, mp.mpf(params.get("tau", 0.5))
    return (1 - tau) * u**2 if u < 0 else tau * u**2


def crps_reference(y, mu, sigma, params):
    """Gneiting et al. (2005), eq. (5)."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * mp.ncdf(z) - 1) + 2 * mp.npdf(z) - 1 / mp.sqrt(mp.pi))


# --------------------------------------------------------------- stress grids


def near_perfect(y, deltas=(1e-12, -1e-12, 1e-6, 0.3, -0.7, 5.0, 1e10)):
    """Each target with predictions y (1 + delta)."""
    y = np.repeat(np.asarray(y, dtype=float), len(deltas))
    return y, y * (1.0 + np.tile(deltas, y.size // len(deltas)))


def count_stress(params):
    """Counts (incl. huge and tiny rates) with log-rates at, next to and away from log y."""
    y = np.array([0.5, 1.0, 2.0, 3.0, 17.0, 1e5, 1e200, 1e-200, 2.718281828459045])
    log_y = np.log(y)
    preds = [log_y, np.nextafter(log_y, np.inf), np.nextafter(log_y, -np.inf), log_y + 1e-9,
             log_y - 0.3, log_y + 2.0]
    y_all = np.concatenate([np.tile(y, len(preds)), [0.0, 0.0, 0.0]])
    p_all = np.concatenate([*preds, [-3.0, 0.0, 5.0]])
    if not params.get("log_input", True):
        p_all = np.exp(p_all)
    return y_all, p_all, params


def tweedie_stress(power):
    """Near-perfect to far-off predictions at scales 1e-200 .. 1e210, with y = 0 and
    negative y where the power allows them; points whose value or gradient over- or
    underflows (|log mu| |2 - p| too large) are left out."""
    y, mu = near_perfect([1.0, 3.7, 1e-200, 1e200])
    if abs(power) > 5:  # mpmath's numerical derivative cannot resolve mu^-p (mu - y) there
        y, mu = y[mu < 1e9 * y], mu[mu < 1e9 * y]
    if power < 2:
        y = np.concatenate([y, [0.0, 0.0, 0.0]])
        mu = np.concatenate([mu, [1e-200, 1.0, 1e150]])
    if power < 0:
        y = np.concatenate([y, [-2.0, -1e100]])
        mu = np.concatenate([mu, [3.0, 1e-100]])
    scale = np.maximum(np.abs(np.log10(mu)), np.abs(np.log10(np.where(y > 0, y, 1.0))))
    keep = scale * max(abs(2.0 - power), abs(1.0 - power), abs(power)) < 280
    return y[keep], mu[keep]


def _tweedie_case(power):
    def reference(y, mu, params):
        return tweedie_reference(y, mu, params.get("power", power))

    def sample(rng):
        y = rng.gamma(2.0, 1.5, size=(5, 3))
        return y, y * np.exp(rng.normal(0, 0.5, size=(5, 3))), {}

    return reference, sample


def _positive_integers(rng):
    y = rng.integers(1, 6, size=(5, 3))
    return y, y + rng.integers(1, 4, size=(5, 3))


_poisson_dev_ref, _poisson_dev_sample = _tweedie_case(1.0)
_gamma_dev_ref, _gamma_dev_sample = _tweedie_case(2.0)


def _poisson_nll_sample(rng):
    y = rng.poisson(3.0, size=(5, 3)).astype(float) + rng.integers(0, 2, size=(5, 3))
    return y, np.log(y + 0.5) + rng.normal(0, 0.5, size=(5, 3)), {"log_input": True,
                                                                  "full": True}


def _gaussian_nll_sample(rng):
    y = rng.normal(size=(5, 3))
    return (y, y + rng.normal(size=(5, 3)), rng.uniform(0.5, 2.0, size=(5, 3)),
            {"full": True, "eps": 1e-6})


def _gaussian_nll_stress():
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.5, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 1e200])
    p = np.array([1e-8, -2.0, 3.0, 1e5, 4.5, 1e100, 1e-100, 5.0, 2.0, 3.0, 1e-150, 1e200])
    var = np.array([1e-3, 0.5, 7.0, 1e20, 9.0 + 1e-9, 1e200 * (1 + 2.0**-40), 1e-200, 1e-260,
                    3.99999999999, 9.0 * (1 - 2.0**-52), 1e-240, 1e300])
    return y, p, var, {"full": False, "eps": 1e-250}


def _crps_symbolic(loss, y, mu, sigma, params):
    """Values and gradients of ``loss.symbolic()`` element by element (lambdify's numpy
    printer has no vectorised erf)."""
    symbols = [a.symbol for a in loss.info.arguments]
    expr = loss.symbolic()
    derivatives = [sp.diff(expr, a.symbol) for a in loss.info.differentiable]
    evaluate = sp.lambdify(symbols, [expr, *derivatives], "mpmath")
    rows = [evaluate(*point) for point in zip(y.ravel(), mu.ravel(), sigma.ravel(), strict=True)]
    values, *grads = (np.array([float(r[i]) for r in rows]).reshape(y.shape)
                      for i in range(1 + len(derivatives)))
    return values, tuple(grads)


def _crps_sample(rng):
    y = rng.normal(size=(5, 3))
    return y, y + rng.normal(size=(5, 3)), rng.uniform(0.5, 2.0, size=(5, 3)), {}


def _crps_stress():
    root = 0.8325546111576977  # sqrt(log 2): the zero of d/dsigma
    sigma = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1e-300, 1e-300, 1e-300, 1e200, 1e200, 2.5,
                      1e-300, 3.0])
    mu = np.array([0.0, 1e-12, -1.0, 40.0, 1e5, -root, 1e-301, 3e-300, -root * 1e-300, 1e200,
                   -root * 1e200, 2.5 * root * (1 + 1e-13), 1e-290, 3.0 * root])
    return np.zeros_like(mu), mu, sigma, {}


CASES = {
    "poisson_nll_loss": LossCase(
        sample=_poisson_nll_sample,
        stress=lambda: count_stress({"log_input": True, "full": True}),
        reference=poisson_nll_reference,
        symbolic_options={"log_input": True, "full": True},
    ),
    "gaussian_nll_loss": LossCase(
        sample=_gaussian_nll_sample,
        stress=_gaussian_nll_stress,
        reference=gaussian_nll_reference,
        symbolic_options={"full": True},
        integers=lambda rng: (np.zeros(4, dtype=int), np.arange(4), np.arange(1, 5),
                              {"full": True}),
    ),
    "tweedie_deviance": LossCase(
        sample=lambda rng: (*_poisson_dev_sample(rng)[:2], {"power": 1.5}),
        stress=lambda: (*tweedie_stress(1.5), {"power": 1.5}),
        reference=lambda y, mu, params: tweedie_reference(y, mu, params["power"]),
        integers=lambda rng: (*_positive_integers(rng), {"power": 1.5}),
    ),
    "poisson_deviance": LossCase(
        sample=_poisson_dev_sample,
        stress=lambda: (*tweedie_stress(1.0), {}),
        reference=_poisson_dev_ref,
        integers=lambda rng: (*_positive_integers(rng), {}),
    ),
    "gamma_deviance": LossCase(
        sample=_gamma_dev_sample,
        stress=lambda: (*tweedie_stress(2.0), {}),
        reference=_gamma_dev_ref,
        integers=lambda rng: (*_positive_integers(rng), {}),
    ),
    "expectile": LossCase(
        sample=lambda rng: (rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), {"tau": 0.3}),
        stress=lambda: (np.zeros(8), np.array([1e-150, -1e-20, 0.5, -3.0, 1e5, -1e150, 1e-300,
                                               7.0]), {"tau": 0.3}),
        reference=expectile_reference,
    ),
    "crps_gaussian": LossCase(
        sample=_crps_sample,
        stress=_crps_stress,
        reference=crps_reference,
        symbolic=_crps_symbolic,
        integers=lambda rng: (np.zeros(4, dtype=int), np.arange(4), np.arange(1, 5), {}),
    ),
}
