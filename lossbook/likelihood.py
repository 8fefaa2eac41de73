"""Symbolic negative log-likelihoods (sympy) from which the book derives losses.

Each function returns :math:`-\\log \\prod_{i=1}^n p(y_i \\mid \\mu_i)` as a
sympy ``Sum`` over :math:`i = 1, \\dots, n`, expanded so that the terms that
depend on the model are visible. By default the observations are
``y[i]`` and the model's predictions ``mu[i]`` (sympy ``IndexedBase``);
pass a plain symbol as ``mu`` for a constant model.
"""

import sympy as sp

#: summation index :math:`i`
i = sp.Idx("i")
#: number of observations :math:`n`
n = sp.Symbol("n", integer=True, positive=True)
#: observations :math:`y_i`
y = sp.IndexedBase("y", real=True)
#: model predictions :math:`\mu_i`
mu = sp.IndexedBase("mu", real=True)
#: Gaussian noise standard deviation :math:`\sigma`
sigma = sp.Symbol("sigma", positive=True)


def _iid_nll(density, n_obs):
    """Sum of ``-log density`` over i = 1..n, with logs expanded."""
    term = sp.expand_log(-sp.log(density), force=True)
    return sp.Sum(term, (i, 1, n_obs))


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
    yi = y[i] if isinstance(y, sp.IndexedBase) else y
    mui = mu[i] if isinstance(mu, sp.IndexedBase) else mu
    density = sp.exp(-((yi - mui) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    return _iid_nll(density, n)
