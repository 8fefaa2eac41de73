"""The shape of a loss test case, and the sympy evaluator that reads ``loss.info``."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class LossCase:
    """How to test one loss. A *sample* is a tuple ``(*arrays, params)``: the
    loss's array arguments in signature order (``loss.info.arguments``), then a
    dict of keyword parameters.

    sample(rng) -> sample
        Typical valid inputs, away from kinks: used for reductions, the sympy
        comparison and finite differences.
    stress() -> sample
        Extreme but valid inputs for the mpmath accuracy test.
    reference(*elements, params) -> mpf
        One element's loss evaluated in mpmath, written from the textbook
        formula. Each element is an mpf (scalar element) or nested lists of
        mpf (an element with axes: a row, a box), one per array argument.
    symbolic(loss, *arrays, params) -> (values, grads), optional
        Override of the generic evaluator :func:`symbolic_values_and_grads`
        (which reads the symbols from ``loss.info``); only for a definition
        that needs more than a substitution of the inputs (CIoU's alpha).
    symbolic_options
        Keyword arguments for ``loss.symbolic()`` (``{"weighted": True}``).
    integers(rng) -> sample, optional
        Valid inputs whose arrays all hold integers (an integer dtype); by
        default the sample rounded to the nearest integers.
    fd_objective(loss, *arrays, params) -> callable, optional
        The scalar function of the differentiable arrays (in order) whose
        gradient at the sample is ``loss.grad``, for the finite-difference
        test; default (None): the sum-reduced loss. Only for a gradient that
        holds a quantity evaluated at the point constant (CIoU's alpha, as
        torchvision computes it under ``no_grad``).
    fd_step
        Relative step of the finite-difference test; smaller for losses whose
        inputs must stay on the simplex (rows summing to 1 within 1e-6).
    """

    sample: Callable
    stress: Callable
    reference: Callable
    symbolic: Callable | None = None
    symbolic_options: dict = field(default_factory=dict)
    integers: Callable | None = None
    rtol: float = 1e-14
    fd_objective: Callable | None = None
    fd_step: float = 1e-6


def split(sample):
    """``(*arrays, params)`` -> ``(arrays, params)``."""
    *arrays, params = sample
    return tuple(arrays), params


def as_tuple(grads):
    """``loss.grad``'s result as a tuple, whatever the number of differentiable arguments."""
    return grads if isinstance(grads, tuple) else (grads,)


def symbolic_values_and_grads(loss, *arrays, params, options=None):
    """Per-element values and the gradients of the summed loss, from ``loss.symbolic()``.

    Every symbol comes from ``loss.info``: a scalar argument is its ``symbol``;
    an argument with an axis (a row, a box) is its ``components`` along the
    last axis (``components(k)`` and ``loss.symbolic(k=k)`` when the axis
    length varies); a parameter is its ``symbol``, filled with the value in
    ``params`` or the default. Returns ``(values, grads)`` with one gradient
    per differentiable argument, as ``loss.grad`` does.
    """
    info = loss.info
    options = dict(options or {})
    varying = [(a, x) for a, x in zip(info.arguments, arrays, strict=True)
               if callable(a.components)]
    k = varying[0][1].shape[-1] if varying else None
    if k is not None:
        options["k"] = k
    expr = loss.symbolic(**options)
    values_shape = loss(*arrays, reduction="none", **params).shape
    symbols, columns, wrt = [], [], []
    for argument, array in zip(info.arguments, arrays, strict=True):
        components = argument.component_symbols(k)
        symbols.extend(components)
        if argument.components is None:
            columns.append(array)
        else:
            columns.extend(np.moveaxis(array, -1, 0))
        if argument.differentiable:
            wrt.append((argument, components))
    for parameter in info.parameters:
        if parameter.symbol is not None and parameter.symbol in expr.free_symbols:
            symbols.append(parameter.symbol)
            columns.append(np.full(values_shape, params.get(parameter.name, parameter.default),
                                   dtype=float))
    derivatives = [sp.diff(expr, c) for _, components in wrt for c in components]
    evaluate = sp.lambdify(symbols, [expr, *derivatives], "numpy", cse=True)
    values, *flat = (np.broadcast_to(r, values_shape) for r in evaluate(*columns))
    grads, start = [], 0
    for argument, components in wrt:
        part = flat[start:start + len(components)]
        start += len(components)
        grads.append(part[0] if argument.components is None else np.stack(part, axis=-1))
    return values, tuple(grads)
