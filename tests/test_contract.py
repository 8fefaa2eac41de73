"""The contract every registered loss must meet, run over ``lossbook.LOSSES``.

Expected values come from independent routes: the sympy definition, central
finite differences, and mpmath at 50 significant digits.
"""

import inspect
import re

import mpmath as mp
import numpy as np
import pytest

import lossbook
from lossbook.checks import finite_difference_grad
from tests.cases import CASES

NAMES = sorted(lossbook.LOSSES)


def _case(name):
    return lossbook.LOSSES[name], CASES[name]


def _elements(array, element_ndim):
    """Iterate over the elements of an array: scalars, or rows of the last axis."""
    if element_ndim == 0:
        return [mp.mpf(float(v)) for v in array.reshape(-1)]
    return [[mp.mpf(float(v)) for v in row] for row in array.reshape(-1, array.shape[-1])]


def _derivative(func, x):
    """mpmath derivative with a step relative to |x|, so tiny and huge x keep full accuracy."""
    if x == 0:
        return mp.diff(func, x)
    return mp.diff(func, x, h=abs(x) * mp.mpf("1e-20"))


def _close(actual, expected, rtol):
    """Elementwise |a - e| <= rtol |e|, with an absolute floor at the smallest normal double."""
    return np.abs(actual - expected) <= rtol * np.abs(expected) + 1e-300


def test_every_loss_has_a_case():
    assert set(NAMES) == set(CASES), "each loss in LOSSES needs a case in tests/cases"


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    loss = lossbook.LOSSES[name]
    assert loss.__name__ == name
    assert loss.__doc__ and ".. math::" in loss.__doc__ and "Examples" in loss.__doc__
    assert loss.info.family in {"regression", "classification", "information", "boxes"}


@pytest.mark.parametrize("name", NAMES)
def test_reductions_agree(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(0))
    per_element = loss(y_true, y_pred, reduction="none", **params)
    expected_shape = y_pred.shape[: y_pred.ndim - case.element_ndim]
    assert per_element.shape == expected_shape and per_element.dtype == np.float64
    total = loss(y_true, y_pred, reduction="sum", **params)
    mean = loss(y_true, y_pred, **params)
    assert np.isclose(total, np.sum(per_element), rtol=1e-13)
    assert np.isclose(mean, np.mean(per_element), rtol=1e-13)
    assert loss.grad(y_true, y_pred, **params).shape == y_pred.shape


@pytest.mark.parametrize("name", NAMES)
def test_matches_sympy_definition(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(1))
    values, grads = case.symbolic(loss, y_true, y_pred, params)
    np.testing.assert_allclose(loss(y_true, y_pred, reduction="none", **params), values,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss.grad(y_true, y_pred, **params), grads, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_finite_differences(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(2))
    objective = (case.fd_objective(loss, y_true, y_pred, params) if case.fd_objective
                 else lambda v: loss(y_true, v, reduction="sum", **params))
    numeric = finite_difference_grad(objective, y_pred.copy(), step=case.fd_step)
    np.testing.assert_allclose(loss.grad(y_true, y_pred, **params), numeric,
                               rtol=1e-6, atol=1e-7)


def _reference_grad(case, y_true_element, y_pred_element, params):
    """Gradient of one element's mpmath reference with respect to the prediction."""
    if case.element_ndim == 0:
        return float(_derivative(lambda v: case.reference(y_true_element, v, params),
                                 y_pred_element))

    def partial(j):
        def along_j(v):
            row = list(y_pred_element)
            row[j] = v
            return case.reference(y_true_element, row, params)

        return float(_derivative(along_j, y_pred_element[j]))

    return np.array([partial(j) for j in range(len(y_pred_element))])


@pytest.mark.parametrize("name", NAMES)
def test_accuracy_against_mpmath(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.stress()
    values = loss(y_true, y_pred, reduction="none", **params).reshape(-1)
    grads = loss.grad(y_true, y_pred, **params)
    grads = grads.reshape(-1, grads.shape[-1]) if case.element_ndim else grads.reshape(-1)
    targets = _elements(y_true, case.element_ndim)
    predictions = _elements(y_pred, case.element_ndim)
    assert len(targets) == len(predictions) == len(values)
    with mp.workdps(50):
        for k, (t, p) in enumerate(zip(targets, predictions, strict=True)):
            ref = float(case.reference(t, p, params))
            assert _close(values[k], ref, case.rtol), (k, t, p, values[k], ref)
            ref_grad = _reference_grad(case, t, p, params)
            assert np.all(_close(grads[k], ref_grad, case.rtol)), (k, t, p, grads[k], ref_grad)


@pytest.mark.parametrize("name", NAMES)
def test_accepts_integers_and_lists(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(3))
    from_lists = loss(y_true.tolist(), y_pred.tolist(), reduction="none", **params)
    np.testing.assert_array_equal(from_lists, loss(y_true, y_pred, reduction="none", **params))


@pytest.mark.parametrize("name", NAMES)
def test_rejects_unknown_reduction(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(4))
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'"):
        loss(y_true, y_pred, reduction="batchmean", **params)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_shape_mismatch_without_broadcasting(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(5))
    # The message must name the loss's own prediction argument (y_pred, p, logits, ...).
    prediction_arg = list(inspect.signature(loss).parameters)[1]
    with pytest.raises(ValueError, match=rf"\b{re.escape(prediction_arg)}\b"):
        loss(y_true, y_pred[..., None], **params)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_non_finite_predictions(name, bad):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(6))
    y_pred = y_pred.copy()
    y_pred.flat[0] = bad
    with pytest.raises(ValueError, match="finite"):
        loss(y_true, y_pred, **params)
    with pytest.raises(ValueError, match="finite"):
        loss.grad(y_true, y_pred, **params)


@pytest.mark.parametrize("name", NAMES)
def test_rejects_empty_and_non_numeric(name):
    loss, case = _case(name)
    y_true, y_pred, params = case.sample(np.random.default_rng(7))
    with pytest.raises(ValueError, match="empty"):
        loss(y_true[:0], y_pred[:0], **params)
    with pytest.raises(TypeError, match="real numbers"):
        loss(y_true, np.full(y_pred.shape, "a"), **params)
