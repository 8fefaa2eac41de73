"""Numeric checks and the small solvers that the chapters share."""


import numpy as np

from ._validation import as_float_array, check_count, check_scalar


def finite_difference_grad(func, x, *, step=1e-6):
    r"""Central finite-difference gradient of a scalar function.

    .. math:: \frac{\partial f}{\partial x_j} \approx \frac{f(x + h e_j) - f(x - h e_j)}{2h}

    The step is scaled by ``max(1, |x_j|)`` so that large coordinates are not
    lost to rounding. One pair of calls per coordinate: meant for checks on
    small arrays, not for training.

    Parameters
    ----------
    func : callable
        Maps an array shaped like ``x`` to a scalar.
    x : array_like
        Point at which to differentiate.
    step : float, default 1e-6
        Relative step :math:`h`.

    Returns
    -------
    ndarray
        Array shaped like ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook.checks import finite_difference_grad
    >>> np.round(finite_difference_grad(lambda v: np.sum(v**3), [1.0, 2.0]), 6)
    array([ 3., 12.])
    """
    x = as_float_array(x, "x")
    grad = np.empty_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for j in range(flat_x.size):
        h = step * max(1.0, abs(flat_x[j]))
        original = flat_x[j]
        flat_x[j] = original + h
        upper = func(x)
        flat_x[j] = original - h
        lower = func(x)
        flat_x[j] = original
        flat_grad[j] = (upper - lower) / (2 * h)
    return grad


def gradient_check(loss, *arrays, step=1e-6, **params):
    """Largest relative error between ``loss.grad`` and finite differences.

    Compares the analytic gradient of the sum-reduced ``loss`` with
    :func:`finite_difference_grad` at ``arrays`` (the loss's array arguments in
    order, e.g. ``y_true, y_pred``), for every differentiable argument
    (``loss.info.differentiable``; the last argument for a plain function with a
    ``.grad``); the relative error is taken against
    ``max(1, |gradient|)`` elementwise.

    Examples
    --------
    >>> from lossbook import mse
    >>> from lossbook.checks import gradient_check
    >>> gradient_check(mse, [0.0, 1.0], [0.5, -2.0]) < 1e-8
    True
    """
    point = list(arrays)
    info = getattr(loss, "info", None)
    # A function that is not a registered loss: its last argument is the prediction.
    wrt = ([i for i, a in enumerate(info.arguments) if a.differentiable] if info
           else [len(point) - 1])
    for i in wrt:
        point[i] = as_float_array(point[i], info.arguments[i].name if info else "y_pred").copy()
    analytic = loss.grad(*point, **params)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    worst = 0.0
    for grad, i in zip(analytic, wrt, strict=True):
        def objective(v, i=i):
            return loss(*point[:i], v, *point[i + 1:], reduction="sum", **params)

        numeric = finite_difference_grad(objective, point[i], step=step)
        worst = max(worst, float(np.max(np.abs(grad - numeric) / np.maximum(1.0, np.abs(grad)))))
    return worst


def gradient_descent(grad_fn, w0, *, lr, steps):
    r"""Plain gradient descent with a fixed step: :math:`w \leftarrow w - \eta\,\nabla f(w)`.

    :func:`proximal_gradient` with the identity as proximal operator (:math:`g = 0`).

    Parameters
    ----------
    grad_fn : callable
        Maps the current iterate (float64 array shaped like ``w0``) to the gradient.
    w0 : array_like
        Starting point (not modified).
    lr : float
        Step size :math:`\eta > 0`.
    steps : int
        Number of iterations.

    Returns
    -------
    ndarray
        The last iterate, shaped like ``w0``.

    Examples
    --------
    Minimise :math:`\tfrac12\|w - c\|^2`, whose gradient is :math:`w - c`:

    >>> import numpy as np
    >>> from lossbook.checks import gradient_descent
    >>> c = np.array([1.0, -2.0])
    >>> np.round(gradient_descent(lambda w: w - c, [0.0, 0.0], lr=0.5, steps=60), 12)
    array([ 1., -2.])
    """
    return proximal_gradient(grad_fn, _identity_prox, w0, lr=lr, steps=steps)


def _identity_prox(v, eta):
    """The proximal operator of g = 0: gradient descent is proximal gradient without g."""
    return v


def proximal_gradient(grad_fn, prox_fn, w0, *, lr, steps, tol=None):
    r"""Proximal gradient descent (ISTA) for :math:`f(w) + g(w)`, :math:`f` smooth.

    .. math:: w \leftarrow \operatorname{prox}_{\eta g}\big(w - \eta\,\nabla f(w)\big)

    Parameters
    ----------
    grad_fn : callable
        Maps the current iterate to :math:`\nabla f`.
    prox_fn : callable
        ``prox_fn(v, eta)`` returns :math:`\operatorname{prox}_{\eta g}(v)`, e.g.
        ``lambda v, eta: soft_threshold(v, eta * lam)`` for :math:`g = \lambda\|w\|_1`.
    w0 : array_like
        Starting point (not modified).
    lr : float
        Step size :math:`\eta > 0` (at most :math:`1/L` for an :math:`L`-smooth :math:`f`).
    steps : int
        Number of iterations; with ``tol``, the most iterations allowed.
    tol : float, optional
        Stop when no coordinate moves by ``tol`` or more in one step; raise
        ``RuntimeError`` if that does not happen within ``steps``.

    Returns
    -------
    ndarray
        The last iterate, shaped like ``w0``.

    Examples
    --------
    The lasso in one dimension, :math:`\tfrac12(w - 3)^2 + |w|`, is minimised at 2:

    >>> from lossbook.checks import proximal_gradient
    >>> from lossbook.regularisation import soft_threshold
    >>> proximal_gradient(lambda w: w - 3.0, lambda v, eta: soft_threshold(v, eta),
    ...                   [0.0], lr=0.5, steps=100, tol=1e-12)
    array([2.])
    """
    w = as_float_array(w0, "w0").copy()
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    if tol is not None:
        tol = check_scalar(tol, "tol", low=0.0, low_open=True)
    for _ in range(check_count(steps, "steps")):
        w_next = prox_fn(w - lr * grad_fn(w), lr)
        if tol is not None and np.max(np.abs(w_next - w)) < tol:
            return w_next
        w = w_next
    if tol is not None:
        raise RuntimeError(f"proximal gradient did not converge to tol={tol:g} in {steps} steps")
    return w


def fit_linear(loss, X, y, *, lr=0.1, steps=1000, w0=None, **params):
    r"""Fit :math:`\hat y = Xw` by full-batch gradient descent on the mean ``loss``.

    Uses the chain rule :math:`\nabla_w \frac1n\sum_i \ell(y_i, x_i^\top w) =
    X^\top \nabla_{\hat y}`, with :math:`\nabla_{\hat y}` the gradient of the mean
    loss, ``loss.grad(..., reduction="mean")``.

    Parameters
    ----------
    loss : callable
        A registered loss (needs ``loss.grad``).
    X : array_like, shape (n, d)
        Design matrix (add a column of ones for an intercept).
    y : array_like, shape (n,)
        Targets.
    lr : float, default 0.1
        Step size.
    steps : int, default 1000
        Number of iterations.
    w0 : array_like, shape (d,), optional
        Starting point; zeros by default.
    **params
        Passed to ``loss.grad`` (e.g. ``delta`` for :func:`lossbook.regression.huber`).

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import mse
    >>> from lossbook.checks import fit_linear
    >>> X = np.c_[np.ones(3), [0.0, 1.0, 2.0]]
    >>> np.round(fit_linear(mse, X, [1.0, 3.0, 5.0], lr=0.2, steps=2000), 6)
    array([1., 2.])
    """
    X = as_float_array(X, "X")
    y = as_float_array(y, "y")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must have shape (n, d) and y shape (n,); got {X.shape} and {y.shape}")
    w0 = np.zeros(X.shape[1]) if w0 is None else w0
    return gradient_descent(
        lambda w: X.T @ loss.grad(y, X @ w, reduction="mean", **params), w0, lr=lr, steps=steps
    )


def monte_carlo_mean(samples, axis=0):
    r"""Monte-Carlo estimate of an expectation and its standard error.

    .. math::
        \bar x = \frac1m \sum_{k=1}^m x_k, \qquad
        \operatorname{se} = \frac{s}{\sqrt m}, \quad
        s^2 = \frac{1}{m-1}\sum_{k=1}^m (x_k - \bar x)^2

    Parameters
    ----------
    samples : array_like
        Draws :math:`x_k` along ``axis`` (at least two).
    axis : int, default 0
        Axis that indexes the draws.

    Returns
    -------
    mean, standard_error : numpy.float64 or ndarray
        Scalars for 1-D ``samples``, otherwise arrays without ``axis``.

    Examples
    --------
    >>> from lossbook.checks import monte_carlo_mean
    >>> mean, se = monte_carlo_mean([1.0, 2.0, 3.0, 4.0])
    >>> float(mean), round(float(se), 6)
    (2.5, 0.645497)
    """
    samples = as_float_array(samples, "samples")
    count = samples.shape[axis]
    if count < 2:
        raise ValueError(f"samples needs at least 2 draws along axis {axis}, got {count}")
    mean = samples.mean(axis=axis)
    standard_error = samples.std(axis=axis, ddof=1) / np.sqrt(count)
    return mean, standard_error


def minimise_on_grid(loss, samples, grid, **params):
    r"""Minimise the empirical expected loss of a constant prediction over a grid.

    For each candidate :math:`c` in ``grid`` the risk is
    :math:`R(c) = \frac1m \sum_{k=1}^m \ell(y_k, c)`, averaged over the
    draws :math:`y_k` in ``samples``; all candidates are evaluated in one
    vectorised call (memory grows as ``grid.size * samples.size``).

    Parameters
    ----------
    loss : callable
        An elementwise loss ``loss(y_true, y_pred, reduction="none", **params)``.
    samples : array_like, shape (m,)
        Draws of the target.
    grid : array_like, shape (g,)
        Candidate predictions.
    **params
        Passed to ``loss`` (e.g. ``q`` for :func:`lossbook.regression.quantile`).

    Returns
    -------
    best : numpy.float64
        The grid point with the smallest risk (the first one on ties).
    risk : ndarray, shape (g,)
        :math:`R(c)` for every grid point.

    Examples
    --------
    The absolute error is minimised by the median, the squared error by the mean:

    >>> import numpy as np
    >>> from lossbook import mae, mse
    >>> from lossbook.checks import minimise_on_grid
    >>> draws, grid = [0.0, 1.0, 2.0, 3.0, 14.0], np.linspace(0.0, 14.0, 141)
    >>> best, risk = minimise_on_grid(mae, draws, grid)
    >>> float(best), float(risk.min())
    (2.0, 3.2)
    >>> float(minimise_on_grid(mse, draws, grid)[0])
    4.0
    """
    samples = as_float_array(samples, "samples")
    grid = as_float_array(grid, "grid")
    if samples.ndim != 1 or grid.ndim != 1:
        raise ValueError(
            f"samples and grid must be 1-D, got shapes {samples.shape} and {grid.shape}"
        )
    shape = (grid.size, samples.size)
    targets = np.broadcast_to(samples, shape)
    candidates = np.broadcast_to(grid[:, None], shape)
    risk = loss(targets, candidates, reduction="none", **params).mean(axis=1)
    best = int(np.argmin(risk))
    return grid[best], risk
