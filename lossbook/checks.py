"""Numeric checks and the small solvers that the chapters share."""

import numpy as np

from ._validation import as_float_array


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


def gradient_check(loss, y_true, y_pred, *, step=1e-6, **params):
    """Largest relative error between ``loss.grad`` and finite differences.

    Compares the analytic gradient of the sum-reduced ``loss`` with
    :func:`finite_difference_grad` at ``(y_true, y_pred)``; the relative error
    is taken against ``max(1, |gradient|)`` elementwise.

    Examples
    --------
    >>> from lossbook import mse
    >>> from lossbook.checks import gradient_check
    >>> gradient_check(mse, [0.0, 1.0], [0.5, -2.0]) < 1e-8
    True
    """
    y_pred = as_float_array(y_pred, "y_pred").copy()
    analytic = loss.grad(y_true, y_pred, **params)
    numeric = finite_difference_grad(
        lambda v: loss(y_true, v, reduction="sum", **params), y_pred, step=step
    )
    return float(np.max(np.abs(analytic - numeric) / np.maximum(1.0, np.abs(analytic))))


def fit_linear(loss, X, y, *, lr=0.1, steps=1000, w0=None, **params):
    r"""Fit :math:`\hat y = Xw` by full-batch gradient descent on the mean ``loss``.

    Uses the chain rule :math:`\nabla_w \frac1n\sum_i \ell(y_i, x_i^\top w) =
    \frac1n X^\top \nabla_{\hat y}`, with :math:`\nabla_{\hat y}` from ``loss.grad``.

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
        Passed to ``loss.grad`` (e.g. ``delta`` for :func:`~lossbook.huber`).

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
    w = np.zeros(X.shape[1]) if w0 is None else as_float_array(w0, "w0").copy()
    n = X.shape[0]
    for _ in range(steps):
        w -= lr * (X.T @ loss.grad(y, X @ w, **params)) / n
    return w
