"""The shape of a loss test case and the sympy evaluator for elementwise losses."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from lossbook import symbols as s


@dataclass(frozen=True)
class LossCase:
    """How to test one loss.

    sample(rng) -> (y_true, y_pred, params)
        Typical valid inputs, away from kinks: used for reductions, the sympy
        comparison and finite differences.
    stress() -> (y_true, y_pred, params)
        Extreme but valid inputs for the mpmath accuracy test.
    reference(y_true_element, y_pred_element, params) -> mpf
        One element's loss evaluated in mpmath. An element is a scalar, or for
        ``element_ndim == 1`` a row of the last axis given as a list of mpf.
    symbolic(loss, y_true, y_pred, params) -> (values, grads)
        Per-element values and the gradient of the summed loss, both evaluated
        from ``loss.symbolic()`` and its sympy derivative.
    element_ndim
        0 for elementwise losses; 1 when the last axis forms one element
        (class scores, probability vectors, boxes).
    fd_objective(loss, y_true, y_pred, params) -> callable, optional
        The scalar function of the prediction whose gradient at ``y_pred`` is
        ``loss.grad``, for the finite-difference test; default (None): the
        sum-reduced loss. Only for a gradient that holds a quantity evaluated
        at the point constant (CIoU's alpha, as torchvision computes it under
        ``no_grad``).
    fd_step
        Relative step of the finite-difference test; smaller for losses whose
        inputs must stay on the simplex (rows summing to 1 within 1e-6).
    """

    sample: Callable
    stress: Callable
    reference: Callable
    symbolic: Callable
    element_ndim: int = 0
    rtol: float = 1e-14
    fd_objective: Callable | None = None
    fd_step: float = 1e-6


def elementwise_symbolic(**param_symbols):
    """Evaluator for elementwise losses whose ``symbolic()`` uses ``s.y``, ``s.y_hat``.

    ``param_symbols`` maps a keyword parameter name to its sympy symbol,
    e.g. ``elementwise_symbolic(delta=s.delta)``.
    """

    def evaluate(loss, y_true, y_pred, params):
        expr = loss.symbolic()
        args = [s.y, s.y_hat, *param_symbols.values()]
        extra = [np.full_like(y_pred, params[name]) for name in param_symbols]
        value_fn = sp.lambdify(args, expr, "numpy")
        grad_fn = sp.lambdify(args, sp.diff(expr, s.y_hat), "numpy")
        values = np.broadcast_to(value_fn(y_true, y_pred, *extra), y_pred.shape)
        grads = np.broadcast_to(grad_fn(y_true, y_pred, *extra), y_pred.shape)
        return values, grads

    return evaluate
