"""Symbolic negative log-likelihoods (sympy) from which the book derives losses.

Each function returns :math:`-\\log \\prod_{i=1}^n p(y_i \\mid \\mu_i)` as a
sympy ``Sum`` over :math:`i = 1, \\dots, n`, expanded so that the terms that
depend on the model are visible. By default the observations are
``y[i]`` and the model's predictions ``mu[i]`` (or probabilities ``p[i]``,
``p[i, j]``) as sympy ``IndexedBase``; pass a plain symbol as ``mu`` or ``p``
for a constant model. ``.doit()`` on the result with a concrete ``n`` gives
the explicit sum.
"""

import sympy as sp

from . import symbols as s
from .regression import quantile

#: summation index :math:`i`
i = sp.Idx("i")
#: number of observations :math:`n`
n = sp.Symbol("n", integer=True, positive=True)
#: observations :math:`y_i`
y = sp.IndexedBase("y", real=True)
#: model predictions :math:`\mu_i`
mu = sp.IndexedBase("mu", real=True)
#: Gaussian noise standard deviation :math:`\sigma` (also the asymmetric Laplace scale)
sigma = sp.Symbol("sigma", positive=True)
#: Laplace scale :math:`b`
b = sp.Symbol("b", positive=True)
#: quantile level :math:`q` of the asymmetric Laplace density (the symbol of
#: :func:`lossbook.regression.quantile`'s ``symbolic()``)
q = s.q
#: predicted probabilities :math:`p_i` (Bernoulli) or :math:`p_{i,j}` (categorical)
p = sp.IndexedBase("p", positive=True)
#: class index :math:`j`
j = sp.Idx("j")
#: number of classes :math:`k`
k = sp.Symbol("k", integer=True, positive=True)


def _iid_nll(density, n_obs):
    """Sum of ``-log density`` over i = 1..n, with logs expanded."""
    term = sp.expand_log(-sp.log(density), force=True)
    return sp.Sum(term, (i, 1, n_obs))


def _element(base):
    """``base[i]`` for an ``IndexedBase``, ``base`` itself for a plain symbol."""
    return base[i] if isinstance(base, sp.IndexedBase) else base


def gaussian_nll(y=y, mu=mu, sigma=sigma, n=n):
    r"""Negative log-likelihood of i.i.d. Gaussian noise :math:`y_i = \mu_i + \varepsilon_i`.

    .. math::
        -\log \prod_{i=1}^n \frac{1}{\sqrt{2\pi\sigma^2}}
        \exp\!\Big(-\frac{(y_i-\mu_i)^2}{2\sigma^2}\Big)
        = \sum_{i=1}^n \Big[\frac{(y_i-\mu_i)^2}{2\sigma^2} + \log\sigma + \tfrac12\log 2\pi\Big]

    Parameters
    ----------
    y, mu : sympy.IndexedBase or sympy.Symbol
        Observations and predictions; a plain symbol for ``mu`` is a constant model.
    sigma : sympy.Symbol
        Noise standard deviation (positive).
    n : sympy.Symbol or int
        Number of observations.

    Returns
    -------
    sympy.Sum

    Examples
    --------
    >>> import sympy as sp
    >>> from lossbook.likelihood import gaussian_nll, y, sigma
    >>> m = sp.Symbol("m", real=True)
    >>> sp.diff(gaussian_nll(mu=m, n=2).doit(), m).simplify() == sp.simplify(
    ...     (2 * m - y[1] - y[2]) / sigma**2)
    True
    """
    yi, mui = _element(y), _element(mu)
    density = sp.exp(-((yi - mui) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    return _iid_nll(density, n)


def laplace_nll(y=y, mu=mu, b=b, n=n):
    r"""Negative log-likelihood of i.i.d. Laplace noise with scale :math:`b`.

    .. math::
        -\log \prod_{i=1}^n \frac{1}{2b} \exp\!\Big(-\frac{|y_i-\mu_i|}{b}\Big)
        = \sum_{i=1}^n \Big[\frac{|y_i-\mu_i|}{b} + \log b + \log 2\Big]

    For fixed :math:`b` the model enters only through :math:`\sum_i |y_i - \mu_i|`:
    maximum likelihood under Laplace noise is least absolute error.

    Parameters
    ----------
    y, mu : sympy.IndexedBase or sympy.Symbol
        Observations and predictions; a plain symbol for ``mu`` is a constant model.
    b : sympy.Symbol
        Scale (positive); the noise variance is :math:`2b^2`.
    n : sympy.Symbol or int
        Number of observations.

    Returns
    -------
    sympy.Sum

    Examples
    --------
    >>> import sympy as sp
    >>> from lossbook.likelihood import laplace_nll, y, b
    >>> m = sp.Symbol("m", real=True)
    >>> sp.diff(laplace_nll(mu=m, n=2).doit(), m).simplify() == sp.simplify(
    ...     -(sp.sign(y[1] - m) + sp.sign(y[2] - m)) / b)
    True
    """
    density = sp.exp(-sp.Abs(_element(y) - _element(mu)) / b) / (2 * b)
    return _iid_nll(density, n)


def asymmetric_laplace_nll(y=y, mu=mu, q=q, sigma=sigma, n=n):
    r"""Negative log-likelihood of i.i.d. asymmetric Laplace noise (quantile level :math:`q`).

    The density of Yu & Moyeed (2001), with location :math:`\mu`, scale
    :math:`\sigma` and :math:`0 < q < 1`, is

    .. math::
        f(y \mid \mu, \sigma, q) = \frac{q(1-q)}{\sigma}
        \exp\!\Big(-\rho_q\Big(\frac{y - \mu}{\sigma}\Big)\Big),
        \qquad \rho_q(u) = \max\big(q u,\ (q-1) u\big),

    whose :math:`q`-quantile is :math:`\mu`. Since :math:`\rho_q` is positively
    homogeneous, :math:`\rho_q(u/\sigma) = \rho_q(u)/\sigma`, and

    .. math::
        -\log \prod_{i=1}^n f(y_i \mid \mu_i, \sigma, q)
        = \sum_{i=1}^n \Big[\frac{\rho_q(y_i - \mu_i)}{\sigma}
          + \log\sigma - \log q - \log(1-q)\Big]:

    the pinball loss :func:`lossbook.regression.quantile` divided by the
    scale, plus a term that does not depend on the model. :math:`\rho_q` is
    built from ``quantile.symbolic()``, so the two cannot drift apart.

    Parameters
    ----------
    y, mu : sympy.IndexedBase or sympy.Symbol
        Observations and predictions; a plain symbol for ``mu`` is a constant model.
    q : sympy.Symbol or sympy.Rational
        Quantile level in (0, 1); by default :data:`lossbook.symbols.q`.
    sigma : sympy.Symbol
        Scale (positive).
    n : sympy.Symbol or int
        Number of observations.

    Returns
    -------
    sympy.Sum

    Examples
    --------
    >>> import sympy as sp
    >>> from lossbook.likelihood import asymmetric_laplace_nll, sigma
    >>> u = sp.Symbol("u", positive=True)
    >>> nll = asymmetric_laplace_nll(y=u, mu=0, q=sp.Rational(1, 4), n=1).doit()
    >>> sp.simplify(nll - (u / 4 / sigma + sp.log(sigma) - sp.log(sp.Rational(3, 16)))) == 0
    True
    """
    pinball = quantile.symbolic().subs(
        {s.y: _element(y), s.y_hat: _element(mu), s.q: q}, simultaneous=True
    )
    density = q * (1 - q) / sigma * sp.exp(-pinball / sigma)
    return _iid_nll(density, n)


def bernoulli_nll(y=y, p=p, n=n):
    r"""Negative log-likelihood of i.i.d. Bernoulli labels :math:`y_i \in \{0, 1\}`.

    .. math::
        -\log \prod_{i=1}^n p_i^{y_i} (1 - p_i)^{1 - y_i}
        = -\sum_{i=1}^n \big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big]

    the binary cross-entropy of the predicted probabilities :math:`p_i`.

    Parameters
    ----------
    y : sympy.IndexedBase or sympy.Symbol
        Labels (0 or 1).
    p : sympy.IndexedBase or sympy.Symbol
        Predicted probabilities of label 1; a plain symbol is a constant model.
    n : sympy.Symbol or int
        Number of observations.

    Returns
    -------
    sympy.Sum

    Examples
    --------
    >>> import sympy as sp
    >>> from lossbook.likelihood import bernoulli_nll, y
    >>> c = sp.Symbol("c", positive=True)
    >>> nll = bernoulli_nll(p=c, n=3).doit()
    >>> sp.solve(sp.diff(nll, c), c) == [(y[1] + y[2] + y[3]) / 3]
    True
    """
    yi, pi = _element(y), _element(p)
    return _iid_nll(pi**yi * (1 - pi) ** (1 - yi), n)


def categorical_nll(y=y, p=p, n=n, k=k):
    r"""Negative log-likelihood of i.i.d. categorical labels, one-hot encoded.

    With :math:`y_{i,j} = 1` if observation :math:`i` is in class :math:`j`
    (and 0 otherwise) and predicted class probabilities :math:`p_{i,j}`,

    .. math::
        -\log \prod_{i=1}^n \prod_{j=1}^k p_{i,j}^{\,y_{i,j}}
        = -\sum_{i=1}^n \sum_{j=1}^k y_{i,j} \log p_{i,j}

    the cross-entropy between the one-hot labels and the predictions.

    Parameters
    ----------
    y : sympy.IndexedBase
        One-hot labels ``y[i, j]``.
    p : sympy.IndexedBase
        Predicted probabilities ``p[i, j]`` (each row sums to 1).
    n, k : sympy.Symbol or int
        Number of observations and of classes.

    Returns
    -------
    sympy.Sum

    Examples
    --------
    >>> from lossbook.likelihood import categorical_nll, y
    >>> one_hot = {y[1, 1]: 0, y[1, 2]: 1, y[2, 1]: 1, y[2, 2]: 0}
    >>> categorical_nll(n=2, k=2).doit().subs(one_hot)
    -log(p[1, 2]) - log(p[2, 1])
    """
    return _iid_nll(sp.Product(p[i, j] ** y[i, j], (j, 1, k)), n)
