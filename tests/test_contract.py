"""The contract every registered loss must meet, run over ``lossbook.LOSSES``.

Everything about a loss's interface is read from ``loss.info`` (family,
arguments and which are differentiated, symbols, parameters, element shape),
never guessed from its name. Expected values come from independent routes:
the sympy definition, central finite differences, and mpmath at 50
significant digits. Every gradient of every loss is checked, whatever the
number of differentiable arguments.
"""

import inspect
import re

import numpy as np
import pytest
import sympy as sp

import lossbook
from lossbook._registry import ELEMENTS
from lossbook.checks import finite_difference_grad
from tests.cases import CASES, split, symbolic_values_and_grads
from tests.cases._case import as_tuple
from tests.mpmath_harness import assert_matches_mpmath

NAMES = sorted(lossbook.LOSSES)


def _case(name, seed=None, which="sample"):
    """The loss, its case, and (with ``seed``) the case's sample split into arrays and params."""
    loss, case = lossbook.LOSSES[name], CASES[name]
    if seed is None:
        return loss, case
    sample = case.sample(np.random.default_rng(seed)) if which == "sample" else case.stress()
    return (loss, case, *split(sample))


def _differentiable(loss):
    """Indices of the differentiable arguments, from ``loss.info``."""
    return [i for i, a in enumerate(loss.info.arguments) if a.differentiable]


def _replaced(arrays, index, value):
    return tuple(value if i == index else a for i, a in enumerate(arrays))


def _values_shape(loss, arrays):
    """The per-element values' shape implied by the element shape of ``loss.info``."""
    shape = arrays[_differentiable(loss)[0]].shape
    ndim = ELEMENTS[loss.info.element]
    return shape[:1] if ndim is None else shape[: len(shape) - ndim]


def test_every_loss_has_a_case():
    assert set(NAMES) == set(CASES), "each loss in LOSSES needs a case in tests/cases"


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    loss = lossbook.LOSSES[name]
    info = loss.info
    assert loss.__name__ == name
    assert loss.__doc__ and ".. math::" in loss.__doc__ and "Examples" in loss.__doc__
    assert info.family in lossbook.FAMILIES
    assert info.element in ELEMENTS
    assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", info.chapter), "chapter: part/name"
    # Arguments and parameters, in signature order, as the signature states them.
    signature = inspect.signature(loss).parameters.values()
    positional = [p.name for p in signature if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = {p.name: p.default for p in signature if p.kind is p.KEYWORD_ONLY}
    assert list(info.argument_names) == positional
    assert keywords.pop("reduction") == info.default_reduction
    assert keywords == info.defaults
    assert list(inspect.signature(loss.grad).parameters) == [*positional, *keywords, "reduction"]
    # Symbols: one sympy symbol per argument, and every symbol of the definition is known.
    assert all(isinstance(a.symbol, sp.Symbol) for a in info.arguments)
    # What each argument accepts (the label encoding), for the catalog.
    assert all(a.domain for a in info.arguments), "Argument(..., domain=...) for every argument"
    assert len(info.gradients) == len(info.differentiable) >= 1
    assert info.formula and all(info.gradients)


@pytest.mark.parametrize("name", NAMES)
def test_reductions_agree(name):
    loss, case, arrays, params = _case(name, 0)
    per_element = loss(*arrays, reduction="none", **params)
    assert per_element.shape == _values_shape(loss, arrays) and per_element.dtype == np.float64
    total = loss(*arrays, reduction="sum", **params)
    mean = loss(*arrays, reduction="mean", **params)
    assert np.isclose(total, np.sum(per_element), rtol=1e-13)
    if loss.info.mean_weights is None:
        assert np.isclose(mean, np.mean(per_element), rtol=1e-13)
    assert loss(*arrays, **params) == (mean if loss.info.default_reduction == "mean" else total)
    grads = as_tuple(loss.grad(*arrays, **params))
    assert len(grads) == len(loss.info.differentiable)
    for grad, i in zip(grads, _differentiable(loss), strict=True):
        assert grad.shape == arrays[i].shape and grad.dtype == np.float64
    # "mean" divides each gradient by the count the value's mean divides by.
    mean_grads = as_tuple(loss.grad(*arrays, reduction="mean", **params))
    if loss.info.mean_weights is None:
        for grad, mean_grad in zip(grads, mean_grads, strict=True):
            np.testing.assert_allclose(mean_grad, grad / per_element.size, rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_mean_gradient_changes_neither_inputs_nor_earlier_results(name):
    """``.grad(..., reduction="mean")`` scales the gradient body's result in place: that
    result must be a fresh array, never an input, a view of one, or a cached array."""
    loss, case, arrays, params = _case(name, 8)
    arrays = tuple(np.asarray(a, dtype=np.float64) for a in arrays)
    params = {k: np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else v
              for k, v in params.items()}
    inputs = [a.copy() for a in (*arrays, *params.values()) if isinstance(a, np.ndarray)]
    earlier = as_tuple(loss.grad(*arrays, **params))
    kept = [g.copy() for g in earlier]
    mean_grads = as_tuple(loss.grad(*arrays, reduction="mean", **params))
    loss.grad(*arrays, reduction="mean", **params)
    for before, now in zip(inputs, [a for a in (*arrays, *params.values())
                                    if isinstance(a, np.ndarray)], strict=True):
        np.testing.assert_array_equal(now, before)
    for before, now in zip(kept, earlier, strict=True):
        np.testing.assert_array_equal(now, before)
    if loss.info.mean_weights is None:
        count = loss(*arrays, reduction="none", **params).size
        for grad, mean_grad in zip(kept, mean_grads, strict=True):
            np.testing.assert_array_equal(mean_grad, grad / count)


@pytest.mark.parametrize("name", NAMES)
def test_matches_sympy_definition(name):
    loss, case, arrays, params = _case(name, 1)
    if case.symbolic is not None:
        values, grads = case.symbolic(loss, *arrays, params)
    else:
        values, grads = symbolic_values_and_grads(loss, *arrays, params=params,
                                                  options=case.symbolic_options)
    np.testing.assert_allclose(loss(*arrays, reduction="none", **params), values,
                               rtol=1e-12, atol=1e-14)
    actual = as_tuple(loss.grad(*arrays, **params))
    for grad, expected in zip(actual, as_tuple(grads), strict=True):
        np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_grad_matches_finite_differences(name, reduction):
    loss, case, arrays, params = _case(name, 2)
    differentiable = _differentiable(loss)
    if case.fd_objective is not None:
        if reduction == "mean":
            pytest.skip("a frozen-weight objective is checked for the summed loss only")
        frozen = case.fd_objective(loss, *arrays, params)

        def objective_of(i):
            return lambda v: frozen(*(v if j == i else arrays[j] for j in differentiable))
    else:
        def objective_of(i):
            return lambda v: loss(*_replaced(arrays, i, v), reduction=reduction, **params)

    grads = as_tuple(loss.grad(*arrays, reduction=reduction, **params))
    scale = 1.0 if reduction == "sum" else 1.0 / loss(*arrays, reduction="none", **params).size
    for grad, i in zip(grads, differentiable, strict=True):
        numeric = finite_difference_grad(objective_of(i), arrays[i].copy(), step=case.fd_step)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7 * scale,
                                   err_msg=loss.info.arguments[i].name)


@pytest.mark.parametrize("name", NAMES)
def test_accuracy_against_mpmath(name):
    loss, case, arrays, params = _case(name, 0, which="stress")
    assert_matches_mpmath(loss, arrays, params, rtol=case.rtol, dps=50, step=1e-20)


@pytest.mark.parametrize("name", NAMES)
def test_accepts_integers_and_lists(name):
    loss, case = _case(name)
    rng = np.random.default_rng(3)
    if case.integers is not None:
        arrays, params = split(case.integers(rng))
    else:
        sample_arrays, params = split(case.sample(rng))
        arrays = tuple(np.rint(a).astype(np.int64) for a in sample_arrays)
    assert all(np.issubdtype(np.asarray(a).dtype, np.integer) for a in arrays)
    as_floats = tuple(np.asarray(a, dtype=np.float64) for a in arrays)
    expected = loss(*as_floats, reduction="none", **params)
    np.testing.assert_array_equal(loss(*arrays, reduction="none", **params), expected)
    lists = tuple(np.asarray(a).tolist() for a in arrays)
    np.testing.assert_array_equal(loss(*lists, reduction="none", **params), expected)
    for from_ints, from_floats in zip(as_tuple(loss.grad(*arrays, **params)),
                                      as_tuple(loss.grad(*as_floats, **params)), strict=True):
        np.testing.assert_array_equal(from_ints, from_floats)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_unknown_reduction(name):
    loss, case, arrays, params = _case(name, 4)
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'"):
        loss(*arrays, reduction="batchmean", **params)
    with pytest.raises(ValueError, match=r"reduction must be one of 'sum', 'mean'"):
        loss.grad(*arrays, reduction="none", **params)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_reduction_raises_before_any_work(name):
    """Inputs that would fail validation: the reduction error comes first."""
    loss, case, arrays, params = _case(name, 4)
    broken = tuple(np.full(np.shape(a), "a") for a in arrays)
    with pytest.raises(ValueError, match=r"reduction must be one of"):
        loss(*broken, reduction="batchmean", **params)
    with pytest.raises(ValueError, match=r"reduction must be one of"):
        loss.grad(*broken, reduction="batchmean", **params)


@pytest.mark.parametrize("name", [n for n in NAMES if len(lossbook.LOSSES[n].info.arguments) > 1])
def test_rejects_shape_mismatch_without_broadcasting(name):
    loss, case, arrays, params = _case(name, 5)
    # The message must name the argument whose shape is off (y_pred, p, logits, ...).
    for i in _differentiable(loss):
        argument = loss.info.arguments[i].name
        with pytest.raises(ValueError, match=rf"\b{re.escape(argument)}\b"):
            loss(*_replaced(arrays, i, arrays[i][..., None]), **params)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_non_finite_predictions(name, bad):
    loss, case, arrays, params = _case(name, 6)
    for i in _differentiable(loss):
        broken = arrays[i].copy()
        broken.flat[0] = bad
        with pytest.raises(ValueError, match="finite"):
            loss(*_replaced(arrays, i, broken), **params)
        with pytest.raises(ValueError, match="finite"):
            loss.grad(*_replaced(arrays, i, broken), **params)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_empty_and_non_numeric(name):
    loss, case, arrays, params = _case(name, 7)
    with pytest.raises(ValueError, match="empty"):
        loss(*(a[:0] for a in arrays), **params)
    for i in _differentiable(loss):
        with pytest.raises(TypeError, match="real numbers"):
            loss(*_replaced(arrays, i, np.full(arrays[i].shape, "a")), **params)
