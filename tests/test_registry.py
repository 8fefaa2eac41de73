"""register_loss itself: what it rejects at import, the order of its checks, custom means."""

import numpy as np
import pytest
import sympy as sp

from lossbook import LOSSES
from lossbook._registry import Argument, register_loss
from lossbook._validation import as_float_array

Z = sp.Symbol("z", real=True)
ROW = (Argument("lengths", sp.Symbol("L"), domain="positive lengths, shape (n,)"),
       Argument("logits", Z, differentiable=True, domain="rows (n, k)"))


def _common(**overrides):
    kwargs = dict(family="sequence", chapter="sequences/none", estimates="-",
                  bounded_gradient=True, arguments=ROW, element="class axis",
                  formula=r"\sum_j z_j^2", gradients=(r"2 z_j",), symbolic=lambda: Z**2)
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def calls():
    return []


@pytest.fixture
def per_length_loss(calls):
    """Row sums of z^2, averaged CTC-style: each row divided by its length, then by n."""

    def grad(lengths, logits):
        calls.append("grad")
        return 2.0 * as_float_array(logits, "logits")

    def weights(lengths, logits):
        lengths = as_float_array(lengths, "lengths")
        return 1.0 / (lengths.size * np.maximum(lengths, 1.0))

    @register_loss(grad=grad, mean_weights=weights, **_common())
    def squares_per_length(lengths, logits):
        """Test loss."""
        calls.append("value")
        return np.sum(as_float_array(logits, "logits") ** 2, axis=-1)

    try:
        yield squares_per_length
    finally:
        del LOSSES["squares_per_length"]


def test_custom_mean_divides_value_and_gradient_alike(per_length_loss):
    lengths, z = np.array([2.0, 0.0, 5.0]), np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    rows = np.sum(z**2, axis=-1)
    expected = np.mean(rows / np.maximum(lengths, 1.0))
    assert per_length_loss(lengths, z) == pytest.approx(expected, rel=1e-15)
    assert per_length_loss(lengths, z, reduction="sum") == pytest.approx(rows.sum(), rel=1e-15)
    mean_grad = per_length_loss.grad(lengths, z, reduction="mean")
    np.testing.assert_allclose(mean_grad, 2 * z / (3 * np.maximum(lengths, 1.0))[:, None],
                               rtol=1e-15)
    np.testing.assert_array_equal(per_length_loss.grad(lengths, z), 2 * z)


def test_reduction_is_checked_before_the_body_runs(per_length_loss, calls):
    lengths, z = np.array([1.0]), np.array([[1.0, 2.0]])
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
        per_length_loss(lengths, z, reduction="batchmean")
    with pytest.raises(ValueError, match="reduction must be one of 'sum', 'mean'"):
        per_length_loss.grad(lengths, z, reduction="none")
    assert calls == []


@pytest.mark.parametrize(("overrides", "error", "match"), [
    ({"family": "segmentation"}, ValueError, "unknown family"),
    ({"element": "pixel"}, ValueError, "unknown element"),
    ({"arguments": ROW[::-1]}, TypeError, "do not match the signature"),
    ({"gradients": ("a", "b")}, ValueError, "one gradient formula per differentiable"),
    ({"arguments": (ROW[0], Argument("logits", Z))}, ValueError, "at least one argument"),
    ({"parameters": {"scale": None}}, TypeError, "parameters"),
])
def test_registration_rejects_an_inconsistent_declaration(overrides, error, match):
    with pytest.raises(error, match=match):
        @register_loss(grad=lambda lengths, logits: logits, **_common(**overrides))
        def never_registered(lengths, logits):
            return logits
    assert "never_registered" not in LOSSES


def test_a_body_may_not_take_reduction_nor_register_twice():
    with pytest.raises(TypeError, match="must not take it"):
        @register_loss(grad=lambda lengths, logits, *, reduction="mean": logits, **_common())
        def takes_reduction(lengths, logits, *, reduction="mean"):
            return logits
    with pytest.raises(RuntimeError, match="registered twice"):
        @register_loss(grad=lambda y_true, y_pred: y_pred, **_common(
            arguments=(Argument("y_true", Z, domain="-"),
                       Argument("y_pred", Z, differentiable=True, domain="-"))))
        def mse(y_true, y_pred):
            return y_pred


@pytest.mark.parametrize("returned", ["the input", "a view of the input", "twice the same"])
def test_mean_gradient_never_scales_an_array_the_caller_can_see(returned):
    """The "mean" scales a gradient in place only when the body's result is its own."""
    pair = (Argument("y_true", Z, differentiable=True, domain="-"),
            Argument("y_pred", Z, differentiable=True, domain="-"))

    def grad(y_true, y_pred):
        if returned == "the input":
            return y_true, y_pred
        if returned == "a view of the input":
            return y_true[:], y_pred.reshape(y_pred.shape)
        twice = 2.0 * y_pred
        return twice, twice

    @register_loss(grad=grad, **_common(arguments=pair, element="scalar",
                                        gradients=("1", "1")))
    def leaky_gradient(y_true, y_pred):
        """Test loss."""
        return y_pred

    try:
        y_true, y_pred = np.array([1.0, 2.0]), np.array([3.0, 5.0])
        first, second = leaky_gradient.grad(y_true, y_pred, reduction="mean")
        np.testing.assert_array_equal(y_true, [1.0, 2.0])
        np.testing.assert_array_equal(y_pred, [3.0, 5.0])
        expected = (y_pred, y_pred) if returned == "twice the same" else (y_true, y_pred)
        expected = tuple((2.0 if returned == "twice the same" else 1.0) * e / 2 for e in expected)
        np.testing.assert_array_equal(first, expected[0])
        np.testing.assert_array_equal(second, expected[1])
    finally:
        del LOSSES["leaky_gradient"]
