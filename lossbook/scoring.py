r"""What a loss elicits: the expectile loss and the CRPS of a Gaussian forecast.

:func:`expectile` (Newey & Powell, 1987) is minimised by the conditional
:math:`\tau`-expectile; :func:`crps_gaussian` (Gneiting et al., 2005) is the
continuous ranked probability score of a Gaussian forecast, a proper scoring
rule for a whole distribution. Both keep nearly full relative accuracy where
the textbook formula cancels.
"""

import contextlib
import math

import numpy as np
import sympy as sp

from . import symbols as s
from ._precise import LN2_HI, LN2_LO, fast_two_sum, two_prod, two_square, two_sum
from ._registry import Argument, register_loss
from ._rowwise import FLOAT64
from ._validation import as_float_array, check_pair, check_same_shape, check_scalar, largest

__all__ = ["crps_gaussian", "expectile"]

#: expectile level :math:`\tau`
tau = sp.Symbol("tau", positive=True)

_ARGS = (Argument("y_true", s.y, domain="real targets"),
         Argument("y_pred", s.y_hat, differentiable=True, domain="real predictions"))
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
# The same constants as 0-d arrays: a ufunc converts a Python float operand on every call
_INV_SQRT_PI_0D, _SQRT2_0D = np.array(_INV_SQRT_PI), np.array(math.sqrt(2.0))
_HALF_0D, _HALF_LN2_0D = np.array(0.5), np.array(0.5 * LN2_HI)


def _erf_array(x):
    """math.erf of every entry (numpy has no erf). A map over a memoryview of the entries
    (which yields Python floats) beats one over x.tolist(), which beats np.frompyfunc."""
    flat = x if x.ndim == 1 else x.reshape(-1)
    values = np.fromiter(map(math.erf, memoryview(flat)), np.float64, x.size)
    return values if x.ndim == 1 else values.reshape(x.shape)


# ----------------------------------------------------------------- expectile
def _expectile_inputs(y_true, y_pred, tau):
    y, y_hat = check_pair(y_true, y_pred)
    tau = check_scalar(tau, "tau", low=0.0, high=1.0, low_open=True, high_open=True)
    return y, y_hat, tau


def _expectile_grad(y_true, y_pred, *, tau=0.5):
    """Gradient of the summed loss: 2 |tau - 1{u < 0}| (y_pred - y_true)."""
    y, y_hat, tau = _expectile_inputs(y_true, y_pred, tau)
    r = y_hat - y
    return 2.0 * np.where(r > 0, 1.0 - tau, tau) * r


def _expectile_symbolic():
    """One element: |tau - 1{u < 0}| u^2 with u = y - y_hat."""
    u = s.y - s.y_hat
    return sp.Piecewise(((1 - tau) * u**2, u < 0), (tau * u**2, True))


@register_loss(
    family="regression",
    chapter="regression/what-losses-estimate",
    estimates="conditional tau-expectile (the mean at tau = 1/2)",
    bounded_gradient=False,
    arguments=_ARGS,
    parameters={"tau": tau},
    element="scalar",
    formula=r"|\tau - \mathbb 1[r > 0]|\,r^2, \quad r = \hat y - y",
    gradients=(r"2\,|\tau - \mathbb 1[r > 0]|\,r",),
    grad=_expectile_grad,
    symbolic=_expectile_symbolic,
)
def expectile(y_true, y_pred, *, tau=0.5):
    r"""Expectile loss (Newey & Powell, 1987): asymmetric squared error.

    .. math:: \ell(y, \hat y) = |\tau - \mathbb 1[u < 0]|\,u^2, \qquad u = y - \hat y

    Under-prediction (:math:`u > 0`) costs :math:`\tau u^2`, over-prediction
    :math:`(1 - \tau) u^2`; the minimiser is the :math:`\tau`-expectile, the mean
    at :math:`\tau = 1/2` (where the loss is half the squared error). Like the
    pinball loss this is written in :math:`u = y - \hat y`.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    tau : float, default 0.5
        Expectile level, in (0, 1).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> from lossbook import expectile
    >>> float(expectile([0.0, 0.0], [1.0, -1.0], tau=0.25))
    0.5
    >>> expectile.grad([0.0, 0.0], [1.0, -1.0], tau=0.25)
    array([ 1.5, -0.5])
    """
    y, y_hat, tau = _expectile_inputs(y_true, y_pred, tau)
    u = y - y_hat
    return np.where(u < 0, 1.0 - tau, tau) * u * u


# -------------------------------------------------------------- crps_gaussian
#: Up to this many entries per input, one finiteness check of the three inputs together
#: (a concatenation) is cheaper than three.
_CONCATENATE_LIMIT = 2**15


def _crps_inputs(y_true, y_pred, sigma):
    """Validated (y, mu, sigma) and whether |y - mu| and z = |y - mu| / sigma are certainly
    at most 2^1001 and 2^500 (then neither y - mu, z nor z^2 overflows, and no np.errstate
    is needed)."""
    if (type(y_true) is np.ndarray and type(y_pred) is np.ndarray
            and type(sigma) is np.ndarray and y_true.dtype is FLOAT64
            and y_pred.dtype is FLOAT64 and sigma.dtype is FLOAT64
            and y_true.shape == y_pred.shape == sigma.shape
            and 0 < y_true.size <= _CONCATENATE_LIMIT):
        # The common case of small inputs: max |entry| < inf (NaN fails) and min sigma > 0
        # certify what the checks below certify, with two reductions instead of six: one
        # maximum, and one reduceat giving the minimum of y and mu and that of sigma.
        # Once min sigma > 0, max |entry| is the larger of that maximum and -(min of y, mu).
        entries = np.concatenate((y_true, y_pred, sigma), axis=None)
        low_pair, low = np.minimum.reduceat(entries, (0, 2 * sigma.size)).tolist()
        # (Python floats: no warnings; a NaN anywhere makes the first argument NaN, and
        # max then keeps it)
        bound = max(float(largest(entries)), -low_pair)
        if bound < math.inf and low > 0:
            # (y - mu cannot overflow either: |y - mu| <= 2 bound <= 2^1001)
            return y_true, y_pred, sigma, bound <= 2.0**1000 and 2.0 * bound <= 2.0**500 * low
    y, mu = check_pair(y_true, y_pred)
    # 0 < min sigma and max sigma < inf (NaN fails both) certify what the checks below
    # certify, with two reductions instead of three.
    if (type(sigma) is np.ndarray and sigma.dtype == np.float64 and sigma.shape == mu.shape
            and np.minimum.reduce(sigma, axis=None) > 0
            and np.maximum.reduce(sigma, axis=None) < math.inf):
        return y, mu, sigma, False
    sigma = as_float_array(sigma, "sigma")
    check_same_shape(mu, sigma, ("y_pred", "sigma"))
    if np.minimum.reduce(sigma, axis=None) <= 0:
        raise ValueError("sigma must be strictly positive (a standard deviation)")
    return y, mu, sigma, False


#: The context of the common case, where z cannot overflow: np.errstate costs microseconds
_no_overflow_check = contextlib.nullcontext()


def _two_phi_minus(half_gap):
    r"""2 phi(z) - 1/sqrt(pi) = expm1(h) / sqrt(pi), given h = (log 2 - z^2) / 2: an array
    is a fresh temporary of the caller's, computed over in place."""
    out = half_gap if type(half_gap) is np.ndarray else None
    return np.multiply(np.expm1(half_gap, out=out), _INV_SQRT_PI_0D, out=out)


def _crps_grad(y_true, y_pred, sigma):
    """(d/dy_pred, d/dsigma) = (-erf(z / sqrt 2), 2 phi(z) - 1/sqrt(pi))."""
    y, mu, sigma, bounded = _crps_inputs(y_true, y_pred, sigma)
    with _no_overflow_check if bounded else np.errstate(over="ignore"):
        minus_z = (mu - y) / sigma  # (its square is z^2 to the bit)
        z_sq = minus_z * minus_z
        d_mu = _erf_array(minus_z / _SQRT2_0D)
    gap = LN2_HI - z_sq
    # d/dsigma vanishes at z^2 = log 2: form z and z^2 in double-double there.
    near = np.abs(gap) < 0.25
    d_sigma = _two_phi_minus(gap * _HALF_0D)
    if near.any():
        # Scale by a power of two (exact) so that sigma is near 1: no subnormal error terms.
        sn, e = np.frexp(sigma[near])  # sn = sigma / 2**e in [1/2, 1)
        e = -e
        r_hi, r_lo = two_sum(np.ldexp(y[near], e), -np.ldexp(mu[near], e))
        z_hi = r_hi / sn
        p_hi, p_lo = two_prod(z_hi, sn)
        z_lo = (((r_hi - p_hi) - p_lo) + r_lo) / sn
        z_hi, z_lo = fast_two_sum(z_hi, z_lo)
        q_hi, q_lo = two_square(z_hi)
        gap = (LN2_HI - q_hi) + (LN2_LO - q_lo - 2.0 * z_hi * z_lo)
        if d_sigma.ndim:
            d_sigma[near] = _two_phi_minus(gap * _HALF_0D)
        else:  # 0-d inputs: d_sigma is a numpy scalar (not writable), gap has one entry
            d_sigma = _two_phi_minus(gap * _HALF_0D)[0]
    return d_mu, d_sigma


def _crps_symbolic():
    """One element: sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)], z = (y - y_hat)/sigma."""
    z = (s.y - s.y_hat) / s.sigma
    pdf = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    return s.sigma * (z * sp.erf(z / sp.sqrt(2)) + 2 * pdf - 1 / sp.sqrt(sp.pi))


@register_loss(
    family="likelihood",
    chapter="regression/what-losses-estimate",
    estimates="the whole conditional distribution (a proper scoring rule): "
    "the mean (y_pred) and standard deviation (sigma) of Gaussian noise",
    bounded_gradient=True,
    arguments=(*_ARGS, Argument("sigma", s.sigma, differentiable=True,
                                domain="standard deviations > 0")),
    element="scalar",
    formula=(r"\sigma\Big[z\big(2\Phi(z) - 1\big) + 2\varphi(z) - \tfrac{1}{\sqrt\pi}\Big], "
             r"\quad z = (y - \hat y)/\sigma"),
    gradients=(r"1 - 2\Phi(z)", r"2\varphi(z) - 1/\sqrt\pi"),
    grad=_crps_grad,
    symbolic=_crps_symbolic,
)
def crps_gaussian(y_true, y_pred, sigma):
    r"""Continuous ranked probability score of :math:`N(\hat y, \sigma^2)` at :math:`y`.

    .. math::
        \ell(y, \hat y, \sigma) = \sigma\Big[z\big(2\Phi(z) - 1\big) + 2\varphi(z)
        - \frac{1}{\sqrt\pi}\Big], \qquad z = \frac{y - \hat y}{\sigma}

    The closed form of :math:`\int (F(x) - \mathbb 1[x \ge y])^2\,dx` for a Gaussian
    forecast :math:`F` (Gneiting et al., 2005); :math:`\Phi`, :math:`\varphi` are the
    standard normal cdf and density. It is evaluated as
    :math:`|y - \hat y|\,\operatorname{erf}(|z|/\sqrt2) + \sigma\,(2\varphi(z) - 1/\sqrt\pi)`,
    which neither overflows for tiny :math:`\sigma` nor cancels; the gradient in
    :math:`\sigma`, :math:`2\varphi(z) - 1/\sqrt\pi`, is formed in double-double
    arithmetic near its zero :math:`z^2 = \log 2`.

    Parameters
    ----------
    y_true, y_pred : array_like
        Observations and forecast means, same shape (never broadcast).
    sigma : array_like
        Forecast standard deviations, strictly positive, same shape as ``y_pred``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element scores.

    Returns
    -------
    float or ndarray
        The reduced score (float64), or per-element scores for ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import crps_gaussian
    >>> bool(np.isclose(crps_gaussian([0.0], [0.0], [1.0]), (np.sqrt(2) - 1) / np.sqrt(np.pi)))
    True
    >>> d_mu, d_sigma = crps_gaussian.grad([0.0], [0.0], [1.0])
    >>> float(d_mu[0]), round(float(d_sigma[0]), 6)
    (0.0, 0.233695)
    """
    y, mu, sigma, bounded = _crps_inputs(y_true, y_pred, sigma)
    if bounded:  # (not even a null context: entering one costs a few tenths of a µs)
        return _crps_values(y, mu, sigma)
    with np.errstate(over="ignore"):
        return _crps_values(y, mu, sigma)


def _crps_values(y, mu, sigma):
    """The scores, |y - mu| erf(|z| / sqrt 2) + sigma (2 phi(z) - 1/sqrt(pi)), in place on
    fresh temporaries, from w = z / sqrt 2: the argument of erf, and w^2 = z^2 / 2 in the
    density. The first term is formed as (y - mu) erf(w): the same bits, as math.erf is
    odd to the bit (it works on |x| and copies the sign), and so are the divisions."""
    if y.ndim == 0:  # the in-place steps need arrays: one element as a 1-d array
        return _crps_values(y.reshape(1), mu.reshape(1), sigma.reshape(1))[0]
    r = np.subtract(y, mu)
    w = r / sigma
    w /= _SQRT2_0D
    scores = _erf_array(w)
    scores *= r
    w_sq = np.multiply(w, w, out=w)  # w is not needed any more
    density = _two_phi_minus(np.subtract(_HALF_LN2_0D, w_sq, out=w_sq))
    density *= sigma  # sigma * (2 phi(z) - 1/sqrt(pi))
    scores += density
    return scores
