"""Penalties on model weights: L1, L2 and the elastic net, and their proximal operators.

The penalties are functions of the weights ``w`` alone (any shape), registered
in ``lossbook.LOSSES`` in the family "penalty": their default reduction is
"sum" (the penalty of the whole weight vector, a sum over every entry), and
``reduction="none"`` gives the penalty of each weight. Each carries
``.grad(w, ...)`` and ``.symbolic()``: the penalty of one weight, in the sympy
symbols ``w`` and ``rho`` (the elastic net's ``l1_ratio``) defined in this
module and :data:`lossbook.symbols.alpha` (the elastic net's strength).
"""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._validation import as_float_array, check_scalar, map_blocks

__all__ = [
    "l1_penalty",
    "l2_penalty",
    "elastic_net_penalty",
    "soft_threshold",
    "elastic_net_prox",
]

#: one weight :math:`w`
w = sp.Symbol("w", real=True)
#: elastic-net mixing :math:`\rho` (scikit-learn's ``l1_ratio``)
rho = sp.Symbol("rho", nonnegative=True)


_WEIGHTS = (Argument("w", w, differentiable=True, domain="real weights, any shape"),)


def _penalty(**kwargs):
    """``register_loss`` for a penalty: one argument ``w``, summed by default."""
    return register_loss(family="penalty", arguments=_WEIGHTS, element="scalar",
                         default_reduction="sum", **kwargs)


def _elastic_net_params(alpha, l1_ratio):
    alpha = check_scalar(alpha, "alpha", low=0.0)
    l1_ratio = check_scalar(l1_ratio, "l1_ratio", low=0.0, high=1.0)
    return alpha, l1_ratio


# ------------------------------------------------------------------- L1


def _l1_grad(w):
    """Subgradient of :func:`l1_penalty`: :math:`\\operatorname{sign}(w)`, 0 at 0."""
    return np.sign(as_float_array(w, "w"))


def _l1_symbolic():
    """L1 penalty of one weight: :math:`|w|`."""
    return sp.Abs(w)


@_penalty(
    grad=_l1_grad,
    symbolic=_l1_symbolic,
    estimates="added to a negative log-likelihood: the MAP estimate under a Laplace prior "
    "(the lasso); exact zeros for small effects",
    bounded_gradient=True,
    chapter="regularisation/map-priors",
    formula=r"|w|",
    gradients=(r"\operatorname{sign}(w)",),
)
def l1_penalty(w):
    r"""L1 (lasso) penalty.

    .. math:: P(w) = \|w\|_1 = \sum_j |w_j|

    ``l1_penalty.grad`` returns :math:`\operatorname{sign}(w)`, 0 where
    :math:`w_j = 0` (the minimum-norm element of the subdifferential
    :math:`[-1, 1]`).

    Parameters
    ----------
    w : array_like
        Weights, any shape.
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"none"`` returns the penalty of each weight.

    Returns
    -------
    numpy.float64 or ndarray
        The penalty of ``w`` (float64), or one value per weight for ``"none"``.

    Examples
    --------
    >>> from lossbook import l1_penalty
    >>> float(l1_penalty([3.0, -4.0, 0.0]))
    7.0
    >>> l1_penalty.grad([3.0, -4.0, 0.0])
    array([ 1., -1.,  0.])
    """
    return np.abs(as_float_array(w, "w"))


# ------------------------------------------------------------------- L2


def _l2_grad(w):
    """Gradient of :func:`l2_penalty`: :math:`w`."""
    return as_float_array(w, "w").copy()


def _l2_symbolic():
    """L2 penalty of one weight: :math:`w^2/2`."""
    return w**2 / 2


@_penalty(
    grad=_l2_grad,
    symbolic=_l2_symbolic,
    estimates="added to a negative log-likelihood: the MAP estimate under a Gaussian prior "
    "(ridge regression, weight decay)",
    bounded_gradient=False,
    chapter="regularisation/map-priors",
    formula=r"\tfrac12 w^2",
    gradients=(r"w",),
)
def l2_penalty(w):
    r"""L2 (ridge, weight-decay) penalty.

    .. math:: P(w) = \tfrac12 \|w\|_2^2 = \tfrac12 \sum_j w_j^2

    Parameters
    ----------
    w : array_like
        Weights, any shape.
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"none"`` returns the penalty of each weight.

    Returns
    -------
    numpy.float64 or ndarray
        The penalty of ``w`` (float64), or one value per weight for ``"none"``.

    Examples
    --------
    >>> from lossbook import l2_penalty
    >>> float(l2_penalty([3.0, -4.0]))
    12.5
    >>> l2_penalty.grad([3.0, -4.0])
    array([ 3., -4.])
    """
    w = as_float_array(w, "w")
    return 0.5 * (w * w)


# ----------------------------------------------------------- elastic net


def _elastic_net_grad(w, *, alpha=1.0, l1_ratio=0.5):
    """Subgradient of :func:`elastic_net_penalty` (sign(0) = 0 in the L1 part)."""
    alpha, l1_ratio = _elastic_net_params(alpha, l1_ratio)
    return map_blocks(lambda v: alpha * (l1_ratio * np.sign(v) + (1.0 - l1_ratio) * v),
                      as_float_array(w, "w"))


def _elastic_net_symbolic():
    """Elastic-net penalty of one weight in ``w``, ``rho`` and ``lossbook.symbols.alpha``."""
    return s.alpha * (rho * sp.Abs(w) + (1 - rho) * w**2 / 2)


@_penalty(
    grad=_elastic_net_grad,
    symbolic=_elastic_net_symbolic,
    parameters={"alpha": s.alpha, "l1_ratio": rho},
    estimates="added to a negative log-likelihood: the MAP estimate under a prior "
    "proportional to exp(-P(w)), between the lasso and ridge",
    bounded_gradient=False,
    chapter="regularisation/elastic-net",
    formula=r"\alpha\Big(\rho\,|w| + \frac{1 - \rho}{2}\,w^2\Big)",
    gradients=(r"\alpha\big(\rho\operatorname{sign}(w) + (1 - \rho)\,w\big)",),
)
def elastic_net_penalty(w, *, alpha=1.0, l1_ratio=0.5):
    r"""Elastic-net penalty in scikit-learn's parameterisation (``ElasticNet``).

    .. math::
        P(w) = \alpha\Big(\rho\,\|w\|_1 + \frac{1-\rho}{2}\,\|w\|_2^2\Big),
        \qquad \rho = \texttt{l1\_ratio}

    ``l1_ratio=1`` is the lasso penalty ``alpha * l1_penalty(w)``,
    ``l1_ratio=0`` the ridge penalty ``alpha * l2_penalty(w)``.
    scikit-learn's ``ElasticNet`` minimises
    :math:`\frac{1}{2n}\|y - Xw\|_2^2 + P(w)`.

    Parameters
    ----------
    w : array_like
        Weights, any shape.
    alpha : float, default 1.0
        Overall strength, :math:`\alpha \ge 0`.
    l1_ratio : float, default 0.5
        Share :math:`\rho \in [0, 1]` of the L1 term.
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"none"`` returns the penalty of each weight.

    Returns
    -------
    numpy.float64 or ndarray
        The penalty of ``w`` (float64), or one value per weight for ``"none"``.

    Examples
    --------
    >>> from lossbook import elastic_net_penalty
    >>> float(elastic_net_penalty([3.0, -4.0], alpha=2.0, l1_ratio=0.5))
    19.5
    >>> elastic_net_penalty.grad([3.0, -4.0, 0.0], alpha=2.0, l1_ratio=0.5)
    array([ 4., -5.,  0.])
    """
    alpha, l1_ratio = _elastic_net_params(alpha, l1_ratio)
    # elementwise: blocked on large inputs, so that its temporaries stay in the cache
    return map_blocks(lambda v: alpha * (l1_ratio * np.abs(v) + (1.0 - l1_ratio) * 0.5 * (v * v)),
                      as_float_array(w, "w"))


# ------------------------------------------------------ proximal operators


def soft_threshold(x, threshold):
    r"""Soft thresholding: the proximal operator of :math:`t\,|\cdot|`.

    .. math::
        \operatorname{prox}_{t|\cdot|}(x) = \arg\min_v \tfrac12 (v - x)^2 + t|v|
        = \operatorname{sign}(x)\,\max(|x| - t, 0)

    Applied elementwise; it is the step that makes proximal gradient descent
    (ISTA) produce exact zeros for the lasso.

    Parameters
    ----------
    x : array_like
        Points, any shape.
    threshold : float
        :math:`t \ge 0`.

    Returns
    -------
    ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> from lossbook import soft_threshold
    >>> soft_threshold([3.0, -0.5, -2.0], 1.0)
    array([ 2.,  0., -1.])
    """
    x = as_float_array(x, "x")
    threshold = check_scalar(threshold, "threshold", low=0.0)
    # x - clip(x) equals sign(x) max(|x| - t, 0) and gives +0.0, not -0.0, inside [-t, t]
    return x - np.clip(x, -threshold, threshold)


def elastic_net_prox(x, step, *, alpha=1.0, l1_ratio=0.5):
    r"""Proximal operator of ``step * elastic_net_penalty``.

    .. math::
        \operatorname{prox}(x) = \arg\min_v \tfrac12 \|v - x\|_2^2 + \eta\,P(v)
        = \frac{\operatorname{soft}(x,\ \eta\alpha\rho)}{1 + \eta\alpha(1-\rho)}

    with :math:`\eta` = ``step`` and :math:`P` the :func:`elastic_net_penalty`:
    soft thresholding by the L1 part, then shrinkage by the L2 part.

    Parameters
    ----------
    x : array_like
        Points, any shape.
    step : float
        Step size :math:`\eta > 0`.
    alpha, l1_ratio : float
        As in :func:`elastic_net_penalty`.

    Returns
    -------
    ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> from lossbook import elastic_net_prox
    >>> elastic_net_prox([3.0, -0.5], 1.0, alpha=2.0, l1_ratio=0.5)
    array([1., 0.])
    """
    step = check_scalar(step, "step", low=0.0, low_open=True)
    alpha, l1_ratio = _elastic_net_params(alpha, l1_ratio)
    shrunk = soft_threshold(x, step * alpha * l1_ratio)
    return shrunk / (1.0 + step * alpha * (1.0 - l1_ratio))
