r"""Losses of noise models beyond the Gaussian: counts, positive targets, a learned variance.

Counts and positive targets (:func:`poisson_nll_loss`, :func:`tweedie_deviance`,
:func:`poisson_deviance`, :func:`gamma_deviance`) and a learned variance
(:func:`gaussian_nll_loss`); what a loss elicits is in :mod:`lossbook.scoring`.
Every value and gradient keeps nearly full relative accuracy where the
textbook formula cancels: near-perfect predictions (a deviance of 1e-24
comes out as 1e-24), extreme scales, and Tweedie powers near 1 and 2.
"""

import math

import numpy as np
import sympy as sp

from . import symbols as s
from ._precise import (
    exp_minus,
    poisson_gamma_half_deviance,
    power_dd,
    tweedie_half_deviance,
    tweedie_three_halves_deviance,
    two_prod,
    two_sum,
    x_minus_log1p,
)
from ._registry import Argument, register_loss
from ._validation import (
    as_float_array,
    check_bool,
    check_pair,
    check_same_shape,
    check_scalar,
    is_plain_pair,
    largest,
    smallest,
)

__all__ = [
    "gamma_deviance",
    "gaussian_nll_loss",
    "poisson_deviance",
    "poisson_nll_loss",
    "tweedie_deviance",
]

#: predicted variance :math:`v` (a bare sigma is a noise scale in this book)
v = sp.Symbol("v", positive=True)
#: Tweedie power :math:`\xi` (scikit-learn's ``power``; the book's p is a probability)
power = sp.Symbol("xi", real=True)
#: PyTorch's ``eps`` of the Poisson NLL on rates, :math:`\epsilon`
epsilon = sp.Symbol("epsilon", positive=True)

_ARGS = (Argument("y_true", s.y, domain="targets: counts >= 0 (Poisson), as the power allows "
                  "(Tweedie), real (Gaussian)"),
         Argument("y_pred", s.y_hat, differentiable=True,
                  domain="predictions: log-rates (log_input) or means > 0, real (Gaussian)"))
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_TWO = np.array(2.0)  # a 0-d operand: numpy converts a Python float on every call


# ---------------------------------------------------------- poisson_nll_loss
def _poisson_inputs(y_true, y_pred, log_input, full, eps):
    y, y_hat = check_pair(y_true, y_pred)
    if np.minimum.reduce(y, axis=None) < 0:
        raise ValueError("y_true must contain non-negative counts")
    eps = check_scalar(eps, "eps", low=0.0)
    if not log_input:
        rate_min = np.minimum.reduce(y_hat, axis=None)
        if rate_min < 0:
            raise ValueError("y_pred must contain non-negative rates when log_input=False")
        if eps == 0.0 and rate_min == 0:
            raise ValueError("y_pred must be positive when log_input=False and eps=0")
    return y, y_hat, check_bool(log_input, "log_input"), check_bool(full, "full"), eps


def _rate_and_ratio(y, y_hat, log_input, eps):
    """(d, s_hi, s_lo): d = rate / y - 1 (accurate where y > 0), rate = s_hi + s_lo."""
    safe_y = np.where(y > 0, y, 1.0)
    if log_input:
        return exp_minus(y_hat, safe_y) / safe_y, None, None
    s_hi, s_lo = two_sum(y_hat, eps)
    return ((s_hi - safe_y) + s_lo) / safe_y, s_hi, s_lo


def _subtract_eps(deviance_part, y, y_hat, s_hi, s_lo, eps):
    """y (t - 1 - log t) - eps with t = (y_hat + eps) / y, i.e. (y_hat - y) - y log t.

    The first form cancels when eps is comparable to y (t - 1 - log t) (a large eps); the
    second when y_hat - y and y log t nearly agree (t near 1). The rounding error of the
    first is about an ulp of deviance_part + eps; of the second, with y_hat - y exact
    (two_sum), about an ulp of |y_hat - y| + y (|log t| + 1), the 1 for the rounding of
    s / y inside the log. Each element takes the form with the smaller error.
    """
    log_t = np.log(s_hi / y) + s_lo / s_hi
    diff_hi, diff_lo = two_sum(y_hat, -y)
    second = np.abs(diff_hi) + y * (np.abs(log_t) + 1.0) < deviance_part + eps
    if not np.any(second):
        return deviance_part - eps
    return np.where(second, (diff_hi - y * log_t) + diff_lo, deviance_part - eps)


def _poisson_nll_grad(y_true, y_pred, *, log_input=True, full=False, eps=1e-8):
    """d/dy_pred: exp(y_pred) - y (log_input) or 1 - y / (y_pred + eps)."""
    y, y_hat, log_input, full, eps = _poisson_inputs(y_true, y_pred, log_input, full, eps)
    if log_input:
        return exp_minus(y_hat, y)
    s_hi, s_lo = two_sum(y_hat, eps)
    return ((s_hi - y) + s_lo) / s_hi


def _poisson_nll_symbolic(log_input=True, full=False):
    """One element; ``log_input`` and ``full`` as in the loss (``epsilon`` is ``eps``)."""
    if log_input:
        expr = sp.exp(s.y_hat) - s.y * s.y_hat
    else:
        expr = s.y_hat - s.y * sp.log(s.y_hat + epsilon)
    if full:
        stirling = s.y * sp.log(s.y) - s.y + sp.log(2 * sp.pi * s.y) / 2
        expr += sp.Piecewise((stirling, s.y > 1), (0, True))
    return expr


@register_loss(
    family="likelihood",
    chapter="noise-models/counts-and-positive-targets",
    estimates="log of the conditional mean (log_input=True) or the conditional mean",
    bounded_gradient=False,
    arguments=_ARGS,
    parameters={"log_input": None, "full": None, "eps": epsilon},
    element="scalar",
    formula=(r"e^{\hat y} - y\,\hat y \ \text{(log\_input)}, \quad "
             r"\hat y - y \log(\hat y + \epsilon) \ \text{(otherwise)}; \ "
             r"\text{full: } + \mathbb 1[y > 1]\big(y \log y - y + \tfrac12 \log(2\pi y)\big)"),
    gradients=(r"e^{\hat y} - y \ \text{(log\_input)}, \quad 1 - y / (\hat y + \epsilon)",),
    grad=_poisson_nll_grad,
    symbolic=_poisson_nll_symbolic,
)
def poisson_nll_loss(y_true, y_pred, *, log_input=True, full=False, eps=1e-8):
    r"""Poisson negative log-likelihood (PyTorch's ``poisson_nll_loss``).

    .. math::
        \ell(y, \hat y) = e^{\hat y} - y\,\hat y \quad (\texttt{log\_input}),
        \qquad \ell(y, \hat y) = \hat y - y \log(\hat y + \epsilon) \quad (\text{otherwise})

    With ``full=True`` Stirling's term :math:`y \log y - y + \tfrac12 \log(2\pi y)` is
    added where :math:`y > 1`, so that the loss approximates :math:`-\log P(y)` in
    full. Near a perfect prediction the full loss is evaluated as half the Poisson
    deviance plus :math:`\tfrac12\log(2\pi y)`, and :math:`e^{\hat y} - y` in
    double-double arithmetic, so neither loses digits to cancellation.

    Parameters
    ----------
    y_true : array_like
        Counts (non-negative; need not be integers).
    y_pred : array_like
        Log-rates (``log_input=True``) or non-negative rates; same shape as ``y_true``.
    log_input : bool, default True
        Whether ``y_pred`` is the log of the rate.
    full : bool, default False
        Add Stirling's approximation of :math:`\log y!` where :math:`y > 1`.
    eps : float, default 1e-8
        Added to the rate inside the log when ``log_input=False``; non-negative.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import poisson_nll_loss
    >>> float(poisson_nll_loss([2.0], [0.0]))
    1.0
    >>> poisson_nll_loss.grad([2.0], [np.log(2.0)])  # exact: float log 2 is 2.3e-17 low
    array([-4.63809363e-17])
    """
    y, y_hat, log_input, full, eps = _poisson_inputs(y_true, y_pred, log_input, full, eps)
    if log_input:
        with np.errstate(over="ignore"):
            out = np.exp(y_hat) - y * y_hat
    else:
        s_hi, s_lo = two_sum(y_hat, eps)
        near = np.abs(s_hi - 1.0) < 0.5
        log_rate = np.where(near, np.log1p(np.where(near, (s_hi - 1.0) + s_lo, 0.0)),
                            np.log(np.where(near, 1.0, s_hi)) + s_lo / s_hi)
        out = y_hat - y * log_rate
    if full:
        big = y > 1
        yb, pb = y[big], y_hat[big]
        d, s_hi, s_lo = _rate_and_ratio(yb, pb, log_input, eps)
        with np.errstate(over="ignore"):
            ratio = (np.exp(pb) / yb) if log_input else (s_hi / yb)
        usable = np.abs(d) >= 0.25
        usable_ratio = usable & (ratio > 1e-300) & (ratio < 1e300)
        gap = x_minus_log1p(np.where(usable, 0.0, d))  # t - 1 - log t near t = 1
        far_log = np.where(usable_ratio, np.log(np.where(usable_ratio, ratio, 1.0)),
                           (pb if log_input else np.log(s_hi)) - np.log(yb))
        gap = np.where(usable, d - far_log, gap)
        deviance_part = yb * gap
        if not log_input and eps > 0.0:
            deviance_part = _subtract_eps(deviance_part, yb, pb, s_hi, s_lo, eps)
        out[big] = deviance_part + (0.5 * np.log(yb) + _HALF_LOG_2PI)
    return out


# --------------------------------------------------------- gaussian_nll_loss
def _gaussian_nll_inputs(y_true, y_pred, var, full, eps):
    """Validated arrays, ``full``, ``eps`` and whether any variance is clamped (< eps)."""
    y, y_hat = check_pair(y_true, y_pred)
    var = as_float_array(var, "var")
    check_same_shape(y_hat, var, ("y_pred", "var"))
    var_min = np.minimum.reduce(var, axis=None)
    if var_min < 0:
        raise ValueError("var must be non-negative (it is a variance)")
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    return y, y_hat, var, check_bool(full, "full"), eps, bool(var_min < eps)


def _gaussian_nll_grad(y_true, y_pred, var, *, full=False, eps=1e-6):
    """(d/dy_pred, d/dvar) of the summed loss; d/dvar = 0 where var < eps (clamped)."""
    y, y_hat, var, full, eps, clamped = _gaussian_nll_inputs(y_true, y_pred, var, full, eps)
    vv = np.maximum(var, eps) if clamped else var
    r = y_hat - y
    ratio = r / vv
    d_var = 0.5 / vv - 0.5 * ratio * ratio
    # (v - r^2) / (2 v^2) cancels where r^2 ~ v: form r^2 exactly in double-double.
    near = np.abs(ratio * r - 1.0) < 0.5
    near &= np.abs(r) < 1e150
    if clamped:
        unclamped = var >= eps
        near &= unclamped
    if near.any():
        vn = vv[near]
        r_hi, r_lo = two_sum(y_hat[near], -y[near])
        p_hi, p_lo = two_prod(r_hi, r_hi)
        gap = (vn - p_hi) - (p_lo + (2.0 * r_hi * r_lo + r_lo * r_lo))
        d_var[near] = gap / (2.0 * vn) / vn
    return ratio, np.where(unclamped, d_var, 0.0) if clamped else d_var


def _gaussian_nll_symbolic(full=False):
    """One element, unclamped: (log v + (y_hat - y)^2 / v) / 2 (+ log(2 pi) / 2 if full)."""
    expr = (sp.log(v) + (s.y_hat - s.y) ** 2 / v) / 2
    return expr + sp.log(2 * sp.pi) / 2 if full else expr


@register_loss(
    family="likelihood",
    chapter="noise-models/learning-the-variance",
    estimates="conditional mean (y_pred) and conditional variance (var)",
    bounded_gradient=False,
    arguments=(*_ARGS, Argument("var", v, differentiable=True, domain="variances >= 0")),
    parameters={"full": None, "eps": None},
    element="scalar",
    formula=(r"\tfrac12\big(\log v + (\hat y - y)^2 / v\big)"
             r" \ [+ \tfrac12 \log 2\pi \text{ if full}], \quad v = \max(\mathrm{var}, \epsilon)"),
    gradients=(r"(\hat y - y) / v",
               r"\tfrac12\big(1/v - (\hat y - y)^2 / v^2\big)\,"
               r"\mathbb 1[\mathrm{var} \ge \epsilon]"),
    grad=_gaussian_nll_grad,
    symbolic=_gaussian_nll_symbolic,
)
def gaussian_nll_loss(y_true, y_pred, var, *, full=False, eps=1e-6):
    r"""Gaussian negative log-likelihood with a predicted variance (PyTorch semantics).

    .. math::
        \ell(y, \hat y, v) = \tfrac12\Big(\log v + \frac{(\hat y - y)^2}{v}\Big)
        \;\big[+\tfrac12 \log 2\pi\big], \qquad v = \max(\mathrm{var}, \epsilon)

    As PyTorch's ``gaussian_nll_loss`` with ``var`` of the same shape as
    ``y_pred``; ``"mean"`` averages over all elements. Negative variances raise.

    **Gradient below eps.** Where ``var < eps`` the loss does not depend on
    ``var`` (it is clamped), so ``.grad`` returns 0 for ``d/dvar`` there. PyTorch
    clamps under ``no_grad`` and passes the gradient at ``eps``,
    :math:`\tfrac12(1/\epsilon - r^2/\epsilon^2)`, straight through to ``var``:
    not the derivative of the loss it returns. At ``var >= eps`` both agree.
    ``d/dvar`` vanishes at :math:`v = r^2`; it is computed in double-double there,
    so it keeps its relative accuracy right up to the minimiser.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predicted means, same shape (never broadcast).
    var : array_like
        Predicted variances, non-negative, same shape as ``y_pred``.
    full : bool, default False
        Add the constant :math:`\tfrac12 \log 2\pi`.
    eps : float, default 1e-6
        Lower clamp of the variance, positive.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> from lossbook import gaussian_nll_loss
    >>> float(gaussian_nll_loss([0.0], [1.0], [1.0]))
    0.5
    >>> gaussian_nll_loss.grad([0.0, 0.0], [1.0, 3.0], [1.0, 1e-9])
    (array([1.e+00, 3.e+06]), array([0., 0.]))
    """
    y, y_hat, var, full, eps, clamped = _gaussian_nll_inputs(y_true, y_pred, var, full, eps)
    vv = np.maximum(var, eps) if clamped else var
    r = y_hat - y
    out = 0.5 * (np.log(vv) + r * (r / vv))
    return out + _HALF_LOG_2PI if full else out


# ---------------------------------------------------------- tweedie_deviance
def _tweedie_inputs(y_true, y_pred, power):
    y, mu = check_pair(y_true, y_pred)
    p = check_scalar(power, "power")
    if 0.0 < p < 1.0:
        raise ValueError(f"power must be <= 0 or >= 1 (the Tweedie deviance is undefined "
                         f"for 0 < power < 1), got {p:g}")
    if p != 0.0 and np.minimum.reduce(mu, axis=None) <= 0:
        raise ValueError(f"y_pred must be strictly positive for power={p:g}")
    if p >= 1.0:
        y_min = np.minimum.reduce(y, axis=None)
        if p < 2.0 and y_min < 0:
            raise ValueError(f"y_true must be non-negative for power={p:g}")
        if p >= 2.0 and y_min <= 0:
            raise ValueError(f"y_true must be strictly positive for power={p:g}")
    return y, mu, p


_MODERATE = (2.0**-500, 2.0**500)  # the fast forms' range of y > 0 and mu (no overflow)
_SMALL_PAIR = 4096  # up to this size, one min and one max over a copy of both arrays


def _few_call_power(power):
    """Whether ``power`` is 1, 3/2 or 2 as a float or an int (a bool goes the general
    route, which rejects it)."""
    return type(power) in (float, int) and power in (1.0, 1.5, 2.0)


def _moderate_pair(y_true, y_pred, p):
    """(y, mu) as float64 arrays if every entry is moderate (in ``_MODERATE``, or y = 0 at
    p = 3/2; p is 1, 3/2 or 2), else None: the general route then validates and raises.
    Such a pair is finite and in the loss's domain, so the general route's checks would
    pass; here a min and a max over both arrays (at once, through one concatenation, for
    small pairs) stand in for check_pair's finiteness tests and the domain minima.
    """
    if not is_plain_pair(y_true, y_pred):  # lists, integers: the same values as their floats
        y_true, y_pred = check_pair(y_true, y_pred)
    if y_true.size <= _SMALL_PAIR:
        both = np.concatenate((y_true, y_pred), axis=None)
        low = smallest(both)  # NaN fails every comparison below
        high = largest(both)
    else:  # no 2n-element copy of a large pair (np.minimum keeps a NaN, Python's min not)
        low = np.minimum(smallest(y_true), smallest(y_pred))
        high = np.maximum(largest(y_true), largest(y_pred))
    lo, hi = _MODERATE
    if not (high <= hi and (
            lo <= low or (low == 0.0 and p == 1.5 and lo <= smallest(y_pred)))):
        return None
    return y_true, y_pred


def _fast_deviance(y_true, y_pred, p):
    """The deviance of a moderate pair (:func:`_moderate_pair`) at p = 1, 3/2 or 2 by the
    forms that need few numpy calls; None for anything else."""
    pair = _moderate_pair(y_true, y_pred, p)
    if pair is None:
        return None
    if p == 1.5:
        return tweedie_three_halves_deviance(*pair)
    y, mu = pair
    if y.ndim == 0:  # the forms write into their arrays: one element as a 1-d array
        return 2.0 * poisson_gamma_half_deviance(y.reshape(1), mu.reshape(1), p)[0]
    values = poisson_gamma_half_deviance(y, mu, p)  # a fresh array: doubled in place
    values *= _TWO
    return values


def _tweedie_values(y, mu, p):
    if p == 0.0:
        return (y - mu) ** 2
    if y.ndim == 0:  # the forms write into their arrays: one element as a 1-d array
        return _tweedie_values(y.reshape(1), mu.reshape(1), p)[0]
    pos = y > 0
    if np.count_nonzero(pos) == pos.size:  # every target positive (always for p >= 2)
        return 2.0 * tweedie_half_deviance(y, mu, p)
    a_dd, b_dd = two_sum(1.0, -p), two_sum(2.0, -p)
    a, b = a_dd[0], b_dd[0]
    out = np.empty_like(y)
    if pos.any():
        out[pos] = 2.0 * tweedie_half_deviance(y[pos], mu[pos], p)
    # y <= 0 (p < 0) or y = 0 (1 <= p < 2): max(y, 0)^(2-p) = 0
    yn, mn = y[~pos], mu[~pos]
    linear = yn * power_dd(mn, a_dd) / a if a != 0.0 else 0.0  # p = 1: y log y = 0 at y = 0
    out[~pos] = 2.0 * (power_dd(mn, b_dd) / b - linear)
    return out


def _tweedie_grad_values(y, mu, p):
    if p == 0.0:
        return 2.0 * (mu - y)
    half = np.power(mu, -0.5 * p)
    return 2.0 * ((half * (mu - y)) * half)


def _tweedie_symbolic():
    """One element (scikit-learn's unit deviance), with the cases xi = 1 and xi = 2."""
    y, m, p = s.y, s.y_hat, power
    general = 2 * (y ** (2 - p) / ((1 - p) * (2 - p)) - y * m ** (1 - p) / (1 - p)
                   + m ** (2 - p) / (2 - p))
    return sp.Piecewise((_poisson_symbolic(), sp.Eq(p, 1)), (_gamma_symbolic(), sp.Eq(p, 2)),
                        (general, True))


def _tweedie_grad(y_true, y_pred, *, power=0.0):
    """d/dy_pred = 2 mu^(-power) (mu - y)."""
    pair = _moderate_pair(y_true, y_pred, float(power)) if _few_call_power(power) else None
    if pair is None:
        return _tweedie_grad_values(*_tweedie_inputs(y_true, y_pred, power))
    return _tweedie_grad_values(*pair, float(power))


@register_loss(
    family="likelihood",
    chapter="noise-models/counts-and-positive-targets",
    estimates="conditional mean",
    bounded_gradient=False,
    arguments=_ARGS,
    parameters={"power": power},
    element="scalar",
    formula=(r"2\Big(\frac{\max(y, 0)^{2-\xi}}{(1-\xi)(2-\xi)} - \frac{y\,\hat y^{1-\xi}}{1-\xi}"
             r" + \frac{\hat y^{2-\xi}}{2-\xi}\Big)"),
    gradients=(r"2\,\hat y^{-\xi}\,(\hat y - y)",),
    grad=_tweedie_grad,
    symbolic=_tweedie_symbolic,
)
def tweedie_deviance(y_true, y_pred, *, power=0.0):
    r"""Unit Tweedie deviance (scikit-learn's ``mean_tweedie_deviance`` with ``"mean"``).

    .. math::
        \ell(y, \hat y) = 2\Big(\frac{\max(y, 0)^{2-\xi}}{(1-\xi)(2-\xi)}
        - \frac{y\,\hat y^{1-\xi}}{1-\xi} + \frac{\hat y^{2-\xi}}{2-\xi}\Big)

    with the power :math:`\xi` (``power``) and the limits :math:`(y - \hat y)^2` at
    :math:`\xi = 0` (normal), :math:`2(y \log(y/\hat y) - y + \hat y)` at :math:`\xi = 1`
    (Poisson) and :math:`2(\log(\hat y / y) + y/\hat y - 1)` at :math:`\xi = 2` (gamma). It is
    twice the log-likelihood gap between the saturated model and the prediction;
    the prediction is the mean :math:`\mu = \hat y`. It is evaluated in forms that
    do not cancel (a power series in :math:`\log(y/\hat y)` near a perfect
    prediction), so it stays accurate for powers near 1 and 2 and for
    deviances down to the underflow threshold.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predicted means, same shape. Domains as scikit-learn:
        ``power < 0``: ``y_pred > 0``; ``power = 0``: any; ``1 <= power < 2``:
        ``y_true >= 0``, ``y_pred > 0``; ``power >= 2``: both positive.
    power : float, default 0.0
        Tweedie power :math:`\xi`; ``0 < power < 1`` raises.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> from lossbook import tweedie_deviance
    >>> float(tweedie_deviance([1.0, 3.0], [2.0, 2.0], power=0))
    1.0
    >>> f"{tweedie_deviance([1.0], [1.0 + 1e-12], power=1.5):.4e}"  # (1e-12)^2, not 0
    '1.0002e-24'
    >>> tweedie_deviance.grad([1.0], [4.0], power=1.5)
    array([0.75])
    """
    if _few_call_power(power):
        values = _fast_deviance(y_true, y_pred, float(power))
        if values is not None:
            return values
    return _tweedie_values(*_tweedie_inputs(y_true, y_pred, power))


def _poisson_deviance_grad(y_true, y_pred):
    """d/dy_pred = 2 (y_pred - y) / y_pred."""
    return _tweedie_grad(y_true, y_pred, power=1.0)


def _gamma_deviance_grad(y_true, y_pred):
    """d/dy_pred = 2 (y_pred - y) / y_pred^2."""
    return _tweedie_grad(y_true, y_pred, power=2.0)


def _poisson_symbolic():
    """One element: 2 (y log(y / y_hat) - y + y_hat)."""
    return 2 * (s.y * sp.log(s.y / s.y_hat) - s.y + s.y_hat)


def _gamma_symbolic():
    """One element: 2 (log(y_hat / y) + y / y_hat - 1)."""
    return 2 * (sp.log(s.y_hat / s.y) + s.y / s.y_hat - 1)


@register_loss(
    family="likelihood",
    chapter="noise-models/counts-and-positive-targets",
    estimates="conditional mean",
    bounded_gradient=False,
    arguments=_ARGS,
    element="scalar",
    formula=r"2\big(y \log(y / \hat y) - y + \hat y\big)",
    gradients=(r"2\,(1 - y / \hat y)",),
    grad=_poisson_deviance_grad,
    symbolic=_poisson_symbolic,
)
def poisson_deviance(y_true, y_pred):
    r"""Unit Poisson deviance: :func:`tweedie_deviance` with ``power=1``.

    .. math:: \ell(y, \hat y) = 2\big(y \log(y / \hat y) - y + \hat y\big), \qquad 0 \log 0 = 0

    Its ``"mean"`` is scikit-learn's ``mean_poisson_deviance``. ``y_true >= 0``,
    ``y_pred > 0``; other parameters as in :func:`tweedie_deviance`.

    Examples
    --------
    >>> from lossbook import poisson_deviance
    >>> float(poisson_deviance([0.0], [2.0]))
    4.0
    """
    values = _fast_deviance(y_true, y_pred, 1.0)
    return _tweedie_values(*_tweedie_inputs(y_true, y_pred, 1.0)) if values is None else values


@register_loss(
    family="likelihood",
    chapter="noise-models/counts-and-positive-targets",
    estimates="conditional mean",
    bounded_gradient=False,
    arguments=_ARGS,
    element="scalar",
    formula=r"2\big(\log(\hat y / y) + y / \hat y - 1\big)",
    gradients=(r"2\,(\hat y - y) / \hat y^2",),
    grad=_gamma_deviance_grad,
    symbolic=_gamma_symbolic,
)
def gamma_deviance(y_true, y_pred):
    r"""Unit gamma deviance: :func:`tweedie_deviance` with ``power=2``.

    .. math:: \ell(y, \hat y) = 2\big(\log(\hat y / y) + y / \hat y - 1\big)

    Its ``"mean"`` is scikit-learn's ``mean_gamma_deviance``. Both arguments
    strictly positive; other parameters as in :func:`tweedie_deviance`.

    Examples
    --------
    >>> from lossbook import gamma_deviance
    >>> float(gamma_deviance([2.0], [2.0]))
    0.0
    """
    values = _fast_deviance(y_true, y_pred, 2.0)
    return _tweedie_values(*_tweedie_inputs(y_true, y_pred, 2.0)) if values is None else values
