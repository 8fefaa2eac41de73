r"""The registry of losses: the contract every loss meets, written once.

A loss is written as a *body* that returns one value per element (or per
sample) and a *gradient body* that returns the gradient of the summed loss.
:func:`register_loss` wraps both:

* the public loss ``f(*arrays, **params, reduction="mean")`` checks
  ``reduction`` before any work, calls the body and reduces; no body reduces
  by itself;
* ``f.grad(*arrays, **params, reduction="sum")`` checks ``reduction`` ("sum"
  or "mean"), calls the gradient body and, for "mean", divides by the same
  count as the value's mean (or applies the loss's own mean weights). With
  one differentiable argument it returns an array; with several, a tuple with
  one gradient per differentiable argument, in argument order;
* ``f.symbolic(...)`` is the sympy definition of one element's loss;
* ``f.info`` is a :class:`LossInfo`: family, chapter, arguments and
  parameters with their sympy symbols, element shape, LaTeX of the formula
  and of each gradient.

Every registered function is in :data:`LOSSES`, keyed by its name.
"""

import functools
import inspect
import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import REDUCTIONS, check_reduction

#: Every registered loss (and penalty), keyed by name, in registration order.
LOSSES = {}

#: The families of losses, written once: name -> title (the catalog's headings, in order).
FAMILIES = {
    "regression": "Regression",
    "likelihood": "Noise models and proper scoring rules",
    "robust": "Robust losses",
    "classification": "Classification",
    "information": "Information theory",
    "generative": "Generative models and distillation",
    "boxes": "Bounding boxes",
    "overlap": "Overlap (segmentation)",
    "similarity": "Similarity and metric learning",
    "ranking": "Ranking",
    "sequence": "Sequences",
    "penalty": "Penalties on the weights",
}

#: Element shapes: name -> number of trailing axes that form one element
#: (``None``: every axis after the first, i.e. one value per sample).
ELEMENTS = {
    "scalar": 0,  # one number; the per-element values have the input's shape
    "class axis": 1,  # the last axis indexes classes or outcomes (a row of logits, a distribution)
    "box": 1,  # the last axis holds (x1, y1, x2, y2)
    "embedding row": 1,  # the last axis holds a vector (an embedding, latent coordinates)
    "sequence": 2,  # the last two axes are (time, class): one sequence per sample
    "sample": None,  # all axes after the first form one sample (e.g. an image mask)
}

#: Reductions accepted by ``loss.grad``.
GRAD_REDUCTIONS = ("sum", "mean")


@dataclass(frozen=True)
class Argument:
    """One array argument of a loss, in signature order.

    - ``name``: the argument's name in the signature (``y_true``, ``logits``, ``var``).
    - ``symbol``: its sympy symbol in formulas (:math:`y`, :math:`\\hat y`, :math:`z`).
    - ``differentiable``: whether ``loss.grad`` returns a gradient for it (targets never).
    - ``components``: for an element with an axis (a row, a box), the sympy symbols of its
      entries as they appear in ``loss.symbolic()``: a tuple, or a function ``k -> tuple``
      when the axis length ``k`` varies (classes), and then ``loss.symbolic(k=k)`` takes
      it. ``None`` for a scalar element, whose symbol in ``symbolic()`` is ``symbol``.
    - ``domain``: in words, the values (and label encoding) it accepts, e.g.
      "labels in {-1, +1}", "class indices (n,) or probability rows (n, k)".
    """

    name: str
    symbol: object
    differentiable: bool = False
    components: object = None
    domain: str = ""

    def component_symbols(self, k=None):
        """The symbols of one element's entries (``(symbol,)`` for a scalar element)."""
        if self.components is None:
            return (self.symbol,)
        if callable(self.components):
            return tuple(self.components(k))
        return tuple(self.components)


@dataclass(frozen=True)
class Parameter:
    """One keyword parameter of a loss (other than ``reduction``).

    ``symbol`` is its sympy symbol in ``loss.symbolic()`` (``None`` for a switch that has
    none, such as a boolean); ``default`` is read from the signature.
    """

    name: str
    symbol: object
    default: object = None


@dataclass(frozen=True)
class LossInfo:
    """What the catalog, the chapters and the tests know about a loss (``loss.info``).

    - ``family``: one of ``lossbook.FAMILIES``.
    - ``estimates``: what the population minimiser of the loss is (e.g. "conditional mean").
    - ``bounded_gradient``: whether the gradient with respect to the prediction is bounded.
    - ``chapter``: document name (path under ``chapters/`` without suffix) of the chapter
      that derives the loss.
    - ``element``: what one per-element value is computed from, one of ``ELEMENTS`` in
      ``lossbook._registry``: "scalar", "class axis", "box", "embedding row", "sequence"
      or "sample".
    - ``arguments``: the array arguments (:class:`Argument`), in signature order.
    - ``parameters``: the keyword parameters (:class:`Parameter`, without ``reduction``),
      in signature order.
    - ``formula``: LaTeX of one element's loss.
    - ``gradients``: LaTeX of the gradient with respect to each differentiable argument,
      in argument order.
    - ``default_reduction``: "mean" for losses, "sum" for the penalties.
    - ``mean_weights``: the loss's own weights of the "mean" reduction, or ``None`` (a plain
      mean); see ``lossbook._registry.register_loss``.
    """

    family: str
    estimates: str
    bounded_gradient: bool
    chapter: str
    element: str = "scalar"
    arguments: tuple = ()
    parameters: tuple = ()
    formula: str = ""
    gradients: tuple = ()
    default_reduction: str = "mean"
    mean_weights: object = field(default=None, repr=False, compare=False)

    @property
    def argument_names(self):
        """Names of the array arguments, in order."""
        return tuple(a.name for a in self.arguments)

    @property
    def differentiable(self):
        """The differentiable arguments, in order (``loss.grad``'s outputs)."""
        return tuple(a for a in self.arguments if a.differentiable)

    @property
    def targets(self):
        """The arguments that are never differentiated."""
        return tuple(a for a in self.arguments if not a.differentiable)

    @property
    def defaults(self):
        """``{parameter name: default}``."""
        return {p.name: p.default for p in self.parameters}

    @property
    def symbols(self):
        """``{argument or parameter name: sympy symbol}`` (parameters without one left out)."""
        out = {a.name: a.symbol for a in self.arguments}
        out.update({p.name: p.symbol for p in self.parameters if p.symbol is not None})
        return out

    @property
    def element_ndim(self):
        """Trailing axes per element (``None``: every axis after the first)."""
        return ELEMENTS[self.element]


def element_count(info, shape):
    """Number of per-element values of a loss whose differentiable argument has ``shape``."""
    ndim = info.element_ndim
    if ndim is None:
        return shape[0]
    return math.prod(shape[: len(shape) - ndim])


def _are_private(grads, args, params):
    """Whether the gradients a gradient body returned may be scaled in place.

    A gradient body returns fresh arrays (see :func:`register_loss`), so the
    "mean" of ``loss.grad`` divides them in place rather than allocating a second
    full-size array (on 1e6 elements ``g / n`` costs as much as the gradient
    itself). This guards that promise: each gradient must be a writeable float64
    array with at least one axis (``g / n`` of a 0-d array is a scalar) that owns
    its memory, so it is not a view of an input or of another gradient; none may
    be an argument or a parameter itself (those own their memory too), and no
    array may be returned twice. Otherwise every gradient is scaled out of place.
    """
    for g in grads:
        if type(g) is not np.ndarray or g.dtype != np.float64 or g.ndim == 0:
            return False
        flags = g.flags
        if not (flags.owndata and flags.writeable):
            return False
        # Plain loops: this runs on every call, and generators cost more than the test.
        for a in args:
            if g is a:
                return False
        for v in params.values():
            if g is v:
                return False
    return len(grads) == 1 or len({id(g) for g in grads}) == len(grads)


def _weighted(g, weights, private):
    """Gradient ``g`` of the summed loss times the loss's own mean ``weights`` (one per
    per-element value, broadcast over ``g``'s remaining axes); in place when ``private``
    (see :func:`_are_private`) and the product has ``g``'s shape."""
    own_shape = weights.shape == g.shape[: weights.ndim]
    weights = weights.reshape(weights.shape + (1,) * (g.ndim - weights.ndim))
    return np.multiply(g, weights, out=g) if private and own_shape else g * weights


def _raise_grad_reduction(reduction):
    allowed = ", ".join(repr(r) for r in GRAD_REDUCTIONS)
    raise ValueError(f"grad reduction must be one of {allowed}; got {reduction!r}")


def _split_signature(func, what):
    """(array argument names, keyword-only parameters) of a body's signature."""
    positional, keywords = [], []
    for p in inspect.signature(func).parameters.values():
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty:
            positional.append(p.name)
        elif p.kind is p.KEYWORD_ONLY:
            keywords.append(p)
        else:
            raise TypeError(
                f"{what}: arrays must be positional without default, parameters keyword-only "
                f"with a default; got {p}"
            )
    if any(p.name == "reduction" for p in keywords):
        raise TypeError(f"{what}: the registry adds 'reduction'; the body must not take it")
    return positional, keywords


def _with_reduction(signature, default):
    params = list(signature.parameters.values())
    params.append(inspect.Parameter("reduction", inspect.Parameter.KEYWORD_ONLY, default=default))
    return signature.replace(parameters=params)


def register_loss(
    *,
    family,
    chapter,
    estimates,
    bounded_gradient,
    arguments,
    formula,
    gradients,
    grad,
    symbolic,
    element="scalar",
    parameters=None,
    mean_weights=None,
    default_reduction="mean",
):
    """Register a loss body; return the public loss (see the module docstring).

    Parameters
    ----------
    family, chapter, estimates, bounded_gradient, element
        As in :class:`LossInfo`; ``family`` and ``element`` are validated.
    arguments : sequence of Argument
        One per positional argument of the body, same names, same order.
    formula : str
        LaTeX of one element's loss.
    gradients : sequence of str
        LaTeX of each differentiable argument's gradient, in order.
    grad : callable
        ``grad(*arrays, **params)``: the gradient of the *summed* loss, an
        array (one differentiable argument) or a tuple of arrays. Each must be
        a fresh array that nothing else refers to (not an input, a view of
        one, or a cached array): ``.grad(..., reduction="mean")`` scales it
        in place. The registry still checks what it can (an array that owns
        its memory and is none of the arguments) before doing so.
    symbolic : callable
        Returns the sympy expression of one element's loss.
    parameters : dict, optional
        ``{keyword parameter: sympy symbol or None}``; must list every
        keyword parameter of the body (defaults are read from the body).
    mean_weights : callable, optional
        ``mean_weights(*arrays, **params)`` returns the weight of each
        per-element value in the "mean" (an array of the values' shape);
        ``loss(..., reduction="mean")`` is then ``sum(weights * values)`` and
        ``loss.grad(..., reduction="mean")`` scales each element's gradient by
        its weight. Default: ``1 / count`` for every value, a plain mean. A
        CTC loss, say, gives ``1 / (n * max(target length, 1))``.
    default_reduction : {"mean", "sum"}
        "sum" for the penalties (their value is a sum over the weights).
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; the families are {sorted(FAMILIES)}")
    if element not in ELEMENTS:
        raise ValueError(f"unknown element {element!r}; the elements are {sorted(ELEMENTS)}")
    check_reduction(default_reduction)
    arguments = tuple(arguments)
    gradients = tuple(gradients)
    parameters = dict(parameters or {})

    def decorate(body):
        name = body.__name__
        positional, keywords = _split_signature(body, name)
        if positional != [a.name for a in arguments]:
            raise TypeError(f"{name}: arguments {[a.name for a in arguments]} do not match "
                            f"the signature's {positional}")
        if [p.name for p in keywords] != list(parameters):
            raise TypeError(f"{name}: parameters {list(parameters)} do not match the "
                            f"signature's {[p.name for p in keywords]}")
        grad_positional, grad_keywords = _split_signature(grad, f"{name}.grad")
        if grad_positional != positional or [p.name for p in grad_keywords] != list(parameters):
            raise TypeError(f"{name}.grad must take the same arguments and parameters as {name}")
        n_differentiable = sum(a.differentiable for a in arguments)
        if n_differentiable == 0:
            raise ValueError(f"{name}: at least one argument must be differentiable")
        if len(gradients) != n_differentiable:
            raise ValueError(f"{name}: one gradient formula per differentiable argument")
        if name in LOSSES:
            raise RuntimeError(f"loss {name!r} registered twice")
        info = LossInfo(
            family=family,
            estimates=estimates,
            bounded_gradient=bounded_gradient,
            chapter=chapter,
            element=element,
            arguments=arguments,
            parameters=tuple(Parameter(p.name, parameters[p.name], p.default) for p in keywords),
            formula=formula,
            gradients=gradients,
            default_reduction=default_reduction,
            mean_weights=mean_weights,
        )
        single = n_differentiable == 1
        scalar_elements = info.element_ndim == 0  # one value per entry: the count is the size

        @functools.wraps(body)
        def loss(*args, reduction=default_reduction, **params):
            if reduction not in REDUCTIONS:
                check_reduction(reduction)
            values = body(*args, **params)
            if reduction == "none":
                return values
            # np.add.reduce is what ndarray.sum and ndarray.mean use (the same pairwise sum),
            # without their Python-level overhead.
            if reduction == "sum":
                return np.float64(np.add.reduce(values, axis=None))
            if mean_weights is None:
                total, count = np.add.reduce(values, axis=None), values.size
                # Python's float division is IEEE's, as numpy's is, and cheaper on a scalar
                # (an empty array keeps numpy's NaN and warning)
                return np.float64(float(total) / count if count else total / count)
            return np.float64(np.add.reduce(mean_weights(*args, **params) * values, axis=None))

        @functools.wraps(grad)
        def loss_grad(*args, reduction="sum", **params):
            if reduction not in GRAD_REDUCTIONS:
                _raise_grad_reduction(reduction)
            result = grad(*args, **params)
            if reduction == "sum":
                return result
            grads = (result,) if single else result
            private = _are_private(grads, args, params)
            if mean_weights is None:
                # float: exact (count < 2**53), and numpy divides by a float faster
                count = float(grads[0].size if scalar_elements
                              else element_count(info, grads[0].shape))
                if single:
                    return np.divide(result, count, out=result) if private else result / count
                return tuple(np.divide(g, count, out=g) if private else g / count
                             for g in grads)
            weights = np.asarray(mean_weights(*args, **params), dtype=np.float64)
            scaled = tuple(_weighted(g, weights, private) for g in grads)
            return scaled[0] if single else scaled

        loss.__signature__ = _with_reduction(inspect.signature(body), default_reduction)
        loss_grad.__signature__ = _with_reduction(inspect.signature(grad), "sum")
        loss_grad.__name__ = loss_grad.__qualname__ = f"{name}.grad"
        loss.grad = loss_grad
        loss.symbolic = symbolic
        loss.info = info
        LOSSES[name] = loss
        return loss

    return decorate


__all__ = [
    "ELEMENTS",
    "FAMILIES",
    "GRAD_REDUCTIONS",
    "LOSSES",
    "Argument",
    "LossInfo",
    "Parameter",
    "element_count",
    "register_loss",
]
