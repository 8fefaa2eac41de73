"""Regression losses: functions of the residual :math:`r = \\hat y - y`."""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._validation import check_scalar, residual_map

__all__ = ["mse", "mae", "smooth_l1", "huber", "quantile", "log_cosh"]

# Every regression loss takes a target and a prediction; only the prediction is differentiated.
_ARGS = (Argument("y_true", s.y, domain="real targets"),
         Argument("y_pred", s.y_hat, differentiable=True, domain="real predictions"))


# Each loss and gradient below is a function of the residual r = y_pred - y_true that
# overwrites a fresh array of residuals in place (``residual_map`` validates the pair and,
# on large inputs, applies it one cache-sized block at a time). In-place arithmetic is
# the same arithmetic: the values are those of the plain formulas, bit for bit.


def _square(r):
    return np.multiply(r, r, out=r)


def _twice(r):
    return np.multiply(r, 2.0, out=r)


def _absolute(r):
    return np.abs(r, out=r)


def _sign(r, sign):
    return np.sign(r, out=sign)  # into another array: numpy's in-place sign is slow


def _tanh(r):
    return np.tanh(r, out=r)


def _as_array(values):
    """A 0-d array for a 0-d input, as the quantile and log-cosh formulas always gave."""
    return values if type(values) is np.ndarray else np.array(values)


def _cap(x, bound, out):
    """``min(x, bound)`` into ``out`` for ``x >= 0``, the same bits either way: clipping
    to [0, bound] is the faster loop on a large block, np.minimum the cheaper call on a
    small array."""
    if x.size > 1024:
        return np.clip(x, 0.0, bound, out=out)
    return np.minimum(x, bound, out=out)


def _clip(x, low, high, out):
    """``clip(x, low, high)`` into ``out``, the same bits either way: np.clip is the faster
    loop on a large block, maximum and minimum the cheaper call on a small array."""
    if x.size > 1024:
        return np.clip(x, low, high, out=out)
    return np.minimum(np.maximum(x, low, out=out), high, out=out)


def _positive(value, name):
    return check_scalar(value, name, low=0.0, low_open=True)


def _quantile_level(q):
    return check_scalar(q, "q", low=0.0, high=1.0, low_open=True, high_open=True)


def _huber_in_place(r, delta, clipped, half):
    """Huber loss of the residuals ``r``, in place, one formula for both branches.

    With :math:`a = \\min(|r|, \\delta)`, :math:`a(|r| - a/2)` is :math:`r^2/2`
    inside the threshold and :math:`\\delta(|r| - \\delta/2)` outside, and never
    squares a residual that lies outside (no overflow for huge residuals).
    """
    abs_r = np.abs(r, out=r)
    _cap(abs_r, delta, out=clipped)
    np.subtract(abs_r, np.multiply(clipped, 0.5, out=half), out=r)
    return np.multiply(r, clipped, out=r)


# --------------------------------------------------------------------- mse


def _mse_grad(y_true, y_pred):
    """Gradient of the sum-reduced :func:`mse`: :math:`2(\\hat y - y)`."""
    return residual_map(y_true, y_pred, _twice)


def _mse_symbolic():
    """One element of :func:`mse`: :math:`(\\hat y - y)^2` in :mod:`lossbook.symbols`."""
    return (s.y_hat - s.y) ** 2


@register_loss(
    grad=_mse_grad,
    symbolic=_mse_symbolic,
    family="regression",
    estimates="conditional mean",
    bounded_gradient=False,
    chapter="regression/gaussian-mse",
    arguments=_ARGS,
    element="scalar",
    formula=r"(\hat y - y)^2",
    gradients=(r"2(\hat y - y)",),
)
def mse(y_true, y_pred):
    r"""Mean squared error.

    .. math:: \ell(y, \hat y) = (\hat y - y)^2

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    See Also
    --------
    mae : the loss of the median.

    Examples
    --------
    >>> from lossbook import mse
    >>> float(mse([0.0, 1.0], [1.0, 3.0]))
    2.5
    >>> mse.grad([0.0, 1.0], [1.0, 3.0])
    array([2., 4.])
    """
    return residual_map(y_true, y_pred, _square)


# --------------------------------------------------------------------- mae


def _mae_grad(y_true, y_pred):
    """Gradient of the sum-reduced :func:`mae`: :math:`\\operatorname{sign}(\\hat y - y)`."""
    return residual_map(y_true, y_pred, _sign, scratch=1)


def _mae_symbolic():
    """One element of :func:`mae`: :math:`|\\hat y - y|`."""
    return sp.Abs(s.y_hat - s.y)


@register_loss(
    grad=_mae_grad,
    symbolic=_mae_symbolic,
    family="regression",
    estimates="conditional median",
    bounded_gradient=True,
    chapter="regression/laplace-mae",
    arguments=_ARGS,
    element="scalar",
    formula=r"|\hat y - y|",
    gradients=(r"\operatorname{sign}(\hat y - y)",),
)
def mae(y_true, y_pred):
    r"""Mean absolute error.

    .. math:: \ell(y, \hat y) = |\hat y - y|

    The loss has a kink at :math:`\hat y = y`. ``mae.grad`` returns
    :math:`\operatorname{sign}(\hat y - y)`, which is 0 at the kink: the
    midpoint of the subdifferential :math:`[-1, 1]`, and the subgradient with
    the smallest norm.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    See Also
    --------
    mse : the loss of the mean.
    quantile : ``quantile(q=0.5)`` is half of ``mae``.

    Examples
    --------
    >>> from lossbook import mae
    >>> float(mae([0.0, 1.0, 2.0], [1.0, 3.0, 2.0]))
    1.0
    >>> mae.grad([0.0, 1.0, 2.0], [1.0, -3.0, 2.0])
    array([ 1., -1.,  0.])
    """
    return residual_map(y_true, y_pred, _absolute)


# ------------------------------------------------------------- smooth_l1


def _smooth_l1_grad(y_true, y_pred, *, beta=1.0):
    """Gradient of the sum-reduced :func:`smooth_l1`: ``clip(r / beta, -1, 1)``."""
    beta = _positive(beta, "beta")

    def clip_over_beta(r):
        _clip(r, -beta, beta, out=r)
        return r if beta == 1.0 else np.divide(r, beta, out=r)  # x / 1 is x: a pass less

    return residual_map(y_true, y_pred, clip_over_beta)


def _smooth_l1_symbolic():
    """One element of :func:`smooth_l1` as a sympy ``Piecewise`` in ``s.beta``."""
    r = s.y_hat - s.y
    return sp.Piecewise(
        (r**2 / (2 * s.beta), sp.Abs(r) < s.beta),
        (sp.Abs(r) - s.beta / 2, True),
    )


@register_loss(
    grad=_smooth_l1_grad,
    symbolic=_smooth_l1_symbolic,
    family="regression",
    estimates="conditional Huber M-estimate of location with delta = beta "
    "(centre of symmetric noise; median as beta -> 0, mean as beta -> inf)",
    bounded_gradient=True,
    chapter="regression/huber-smooth-l1",
    arguments=_ARGS,
    parameters={"beta": s.beta},
    element="scalar",
    formula=(r"\begin{cases} r^2 / (2\beta) & |r| < \beta \\ |r| - \beta / 2 & "
             r"\text{otherwise} \end{cases}, \quad r = \hat y - y"),
    gradients=(r"\operatorname{clip}(r / \beta, -1, 1)",),
)
def smooth_l1(y_true, y_pred, *, beta=1.0):
    r"""Smooth L1 loss (PyTorch's ``smooth_l1_loss``, Fast R-CNN's box loss).

    .. math::
        \ell(y, \hat y) = \begin{cases}
            \dfrac{r^2}{2\beta} & |r| < \beta \\[1ex]
            |r| - \dfrac{\beta}{2} & \text{otherwise}
        \end{cases}
        \qquad r = \hat y - y

    It equals ``huber(delta=beta) / beta``: the same minimiser, with a slope
    of 1 (rather than :math:`\delta`) in the linear tails.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    beta : float, default 1.0
        Width of the quadratic zone; must be positive (unlike PyTorch, where
        ``beta=0`` means plain L1: use :func:`mae` for that).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    See Also
    --------
    huber : the same loss scaled by :math:`\beta`.

    Examples
    --------
    >>> from lossbook import smooth_l1
    >>> smooth_l1([0.0, 0.0], [0.5, -3.0], reduction="none")
    array([0.125, 2.5  ])
    >>> smooth_l1.grad([0.0, 0.0], [0.5, -3.0], beta=2.0)
    array([ 0.25, -1.  ])
    """
    beta = _positive(beta, "beta")

    def smooth_l1_in_place(r, clipped, scratch):
        abs_r = np.abs(r, out=r)
        _cap(abs_r, beta, out=clipped)
        np.subtract(abs_r, np.multiply(clipped, 0.5, out=scratch), out=r)
        # (a / beta) * (|r| - a / 2) is huber(delta=beta) / beta; dividing the
        # factor a <= beta first keeps tiny and huge beta free of under/overflow
        # (and a / 1 is a: a pass less for the default).
        if beta != 1.0:
            clipped = np.divide(clipped, beta, out=scratch)
        return np.multiply(clipped, r, out=r)

    return residual_map(y_true, y_pred, smooth_l1_in_place, scratch=2)


# ------------------------------------------------------------------ huber


def _huber_grad(y_true, y_pred, *, delta=1.0):
    """Gradient of the sum-reduced :func:`huber`: ``clip(r, -delta, delta)``."""
    delta = _positive(delta, "delta")
    return residual_map(y_true, y_pred, lambda r: _clip(r, -delta, delta, out=r))


def _huber_symbolic():
    """One element of :func:`huber` as a sympy ``Piecewise`` in ``s.delta``."""
    r = s.y_hat - s.y
    return sp.Piecewise(
        (r**2 / 2, sp.Abs(r) <= s.delta),
        (s.delta * (sp.Abs(r) - s.delta / 2), True),
    )


@register_loss(
    grad=_huber_grad,
    symbolic=_huber_symbolic,
    family="regression",
    estimates="conditional Huber M-estimate of location "
    "(centre of symmetric noise; median as delta -> 0, mean as delta -> inf)",
    bounded_gradient=True,
    chapter="regression/huber-smooth-l1",
    arguments=_ARGS,
    parameters={"delta": s.delta},
    element="scalar",
    formula=(r"\begin{cases} \tfrac12 r^2 & |r| \le \delta \\ \delta\,(|r| - \tfrac12\delta) & "
             r"\text{otherwise} \end{cases}, \quad r = \hat y - y"),
    gradients=(r"\operatorname{clip}(r, -\delta, \delta)",),
)
def huber(y_true, y_pred, *, delta=1.0):
    r"""Huber loss (PyTorch's ``huber_loss``, scipy's ``special.huber``).

    .. math::
        \ell(y, \hat y) = \begin{cases}
            \tfrac12 r^2 & |r| \le \delta \\[1ex]
            \delta\left(|r| - \tfrac12\delta\right) & \text{otherwise}
        \end{cases}
        \qquad r = \hat y - y

    Quadratic near zero, linear in the tails, continuously differentiable;
    the gradient :math:`\operatorname{clip}(r, -\delta, \delta)` caps the pull
    of any one outlier at :math:`\delta`.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    delta : float, default 1.0
        Threshold between the quadratic and the linear zone; must be positive.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    See Also
    --------
    smooth_l1 : ``huber(delta=beta) / beta``.

    Examples
    --------
    >>> from lossbook import huber
    >>> huber([0.0, 0.0], [0.5, -3.0], reduction="none")
    array([0.125, 2.5  ])
    >>> huber.grad([0.0, 0.0], [0.5, -3.0], delta=2.0)
    array([ 0.5, -2. ])
    """
    delta = _positive(delta, "delta")
    return residual_map(y_true, y_pred,
                        lambda r, clipped, half: _huber_in_place(r, delta, clipped, half),
                        scratch=2)


# --------------------------------------------------------------- quantile


def _quantile_grad(y_true, y_pred, *, q=0.5):
    """Gradient of the sum-reduced :func:`quantile` (midpoint subgradient at the kink)."""
    q = _quantile_level(q)

    return _as_array(residual_map(
        y_true, y_pred, lambda r: np.where(r > 0, 1.0 - q, np.where(r < 0, -q, 0.5 - q))))


def _quantile_symbolic():
    """One element of :func:`quantile`: :math:`\\max(q u, (q-1) u)`, :math:`u = y - \\hat y`."""
    u = s.y - s.y_hat
    return sp.Max(s.q * u, (s.q - 1) * u)


@register_loss(
    grad=_quantile_grad,
    symbolic=_quantile_symbolic,
    family="regression",
    estimates="conditional q-quantile",
    bounded_gradient=True,
    chapter="regression/quantile",
    arguments=_ARGS,
    parameters={"q": s.q},
    element="scalar",
    formula=r"\max\big((1 - q)\,r,\ -q\,r\big), \quad r = \hat y - y",
    gradients=(r"\begin{cases} 1 - q & \hat y > y \\ -q & \hat y < y \\ \tfrac12 - q & "
               r"\hat y = y \end{cases}",),
)
def quantile(y_true, y_pred, *, q=0.5):
    r"""Quantile (pinball) loss, as scikit-learn's ``mean_pinball_loss(alpha=q)``.

    .. math::
        \ell(y, \hat y) = \max\big(q\,u,\ (q - 1)\,u\big)
        = \begin{cases} q\,u & u \ge 0 \\ (q-1)\,u & u < 0 \end{cases}
        \qquad u = y - \hat y

    Under-prediction costs :math:`q` per unit, over-prediction :math:`1 - q`,
    so the minimiser is the :math:`q`-quantile. At the kink :math:`\hat y = y`
    ``quantile.grad`` returns :math:`\tfrac12 - q`, the midpoint of the
    subdifferential :math:`[-q, 1 - q]`; with ``q=0.5`` this is 0, as for
    :func:`mae`.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    q : float, default 0.5
        Quantile level, in the open interval (0, 1).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    See Also
    --------
    mae : twice ``quantile(q=0.5)``.

    Examples
    --------
    >>> from lossbook import quantile
    >>> quantile([0.0, 0.0], [-2.0, 2.0], q=0.75, reduction="none")
    array([1.5, 0.5])
    >>> quantile.grad([0.0, 0.0, 0.0], [-2.0, 2.0, 0.0], q=0.75)
    array([-0.75,  0.25, -0.25])
    """
    q = _quantile_level(q)

    def pinball(r, slope):
        u = np.negative(r, out=r)
        # u times q where u >= 0, else times q - 1: the slope is q - [u < 0], exactly q or
        # the same rounding of q - 1 as the formula's
        np.subtract(q, np.less(u, 0.0, out=slope), out=slope)
        return np.multiply(u, slope, out=r)

    return _as_array(residual_map(y_true, y_pred, pinball, scratch=1))


# --------------------------------------------------------------- log_cosh

_LOG2 = float(np.log(2.0))
# Below the crossover log1p(2 sinh^2(r/2)) keeps full relative accuracy (no
# cancellation as r -> 0); above it |r| - log 2 + log1p(exp(-2|r|)) never
# overflows. Both are within about 2 ulp of mpmath on either side of 1.
_LOG_COSH_CROSSOVER = 1.0


def _log_cosh_in_place(r, small, large):
    """log cosh of the residuals ``r``: both formulas on every entry, then a choice
    (cheaper than masking on small arrays). The small-residual formula gets ``|r|``
    capped at the crossover, so that its sinh cannot overflow where it is not used."""
    abs_r = np.abs(r, out=r)
    # log1p(2 sinh(|r| / 2)^2)
    np.minimum(abs_r, _LOG_COSH_CROSSOVER, out=small)
    np.sinh(np.multiply(small, 0.5, out=small), out=small)
    np.log1p(np.multiply(np.square(small, out=small), 2.0, out=small), out=small)
    # (|r| - log 2) + log1p(exp(-2 |r|))
    np.log1p(np.exp(np.multiply(abs_r, -2.0, out=large), out=large), out=large)
    use_small = abs_r <= _LOG_COSH_CROSSOVER
    np.add(np.subtract(abs_r, _LOG2, out=r), large, out=large)
    return np.where(use_small, small, large)


def _log_cosh_grad(y_true, y_pred):
    """Gradient of the sum-reduced :func:`log_cosh`: :math:`\\tanh(\\hat y - y)`."""
    return residual_map(y_true, y_pred, _tanh)


def _log_cosh_symbolic():
    """One element of :func:`log_cosh`: :math:`\\log\\cosh(\\hat y - y)`."""
    return sp.log(sp.cosh(s.y_hat - s.y))


@register_loss(
    grad=_log_cosh_grad,
    symbolic=_log_cosh_symbolic,
    family="regression",
    estimates="conditional M-estimate of location m solving E tanh(Y - m) = 0 "
    "(centre of symmetric noise; in general neither mean nor median)",
    bounded_gradient=True,
    chapter="regression/what-losses-estimate",
    arguments=_ARGS,
    element="scalar",
    formula=r"\log\cosh(\hat y - y)",
    gradients=(r"\tanh(\hat y - y)",),
)
def log_cosh(y_true, y_pred):
    r"""Log-cosh loss.

    .. math:: \ell(y, \hat y) = \log\cosh(\hat y - y)

    Behaves like :math:`r^2/2` for small residuals and like
    :math:`|r| - \log 2` for large ones, with gradient :math:`\tanh r`. It is
    evaluated without overflow and to full relative accuracy for tiny and
    huge residuals (``np.log(np.cosh(r))`` overflows beyond :math:`|r| \approx 710`
    and loses every digit below :math:`|r| \approx 10^{-8}`).

    Its population minimiser is the M-estimate of location :math:`m` that
    solves :math:`\mathbb E \tanh(Y - m) = 0`. It is the centre of the noise
    when the noise is symmetric. Otherwise it is in general neither the mean
    nor the median: it moves towards the mean when the spread of :math:`Y` is
    small compared to 1 and towards the median when it is large, but for
    skewed noise it need not lie between the two.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import log_cosh
    >>> log_cosh([0.0, 0.0, 0.0], [1e-10, 1.0, 1000.0], reduction="none")
    array([5.00000000e-21, 4.33780830e-01, 9.99306853e+02])
    >>> np.round(log_cosh.grad([0.0, 0.0], [0.5, -1000.0]), 6)
    array([ 0.462117, -1.      ])
    """
    return _as_array(residual_map(y_true, y_pred, _log_cosh_in_place, scratch=2))
