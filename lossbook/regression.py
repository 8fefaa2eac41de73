"""Regression losses: functions of the residual :math:`r = \\hat y - y`."""

from . import symbols as s
from ._registry import register_loss
from ._validation import check_pair, reduce

__all__ = ["mse"]


def _mse_grad(y_true, y_pred):
    """Gradient of the sum-reduced :func:`mse`: :math:`2(\\hat y - y)`."""
    y_true, y_pred = check_pair(y_true, y_pred)
    return 2.0 * (y_pred - y_true)


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
)
def mse(y_true, y_pred, *, reduction="mean"):
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
    y_true, y_pred = check_pair(y_true, y_pred)
    return reduce((y_pred - y_true) ** 2, reduction)
