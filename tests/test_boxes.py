"""Box overlap and the IoU losses: exact rational IoU, hand derivations, properties, bad input."""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbook import box_iou, ciou_loss, diou_loss, giou_loss, iou_loss
from lossbook.boxes import BOX_PRED_SYMBOLS, BOX_TRUE_SYMBOLS, CIOU_ALPHA
from lossbook.checks import finite_difference_grad

BOX_LOSSES = [iou_loss, giou_loss, diou_loss, ciou_loss]
EPS = 1e-7


# Dyadic coordinates (multiples of 1/8, |x| <= 64): sums, differences, integer
# shifts and power-of-two scalings of them are exact in float64.
_coordinate = st.integers(-512, 512).map(lambda k: k / 8)


def _boxes(min_eighths=1, max_eighths=256):
    side = st.integers(min_eighths, max_eighths).map(lambda k: k / 8)
    return st.tuples(_coordinate, _coordinate, side, side).map(
        lambda b: np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]]))


def _exact_iou(a, b):
    """IoU of two boxes of integers in exact rational arithmetic (0 for an empty union)."""
    a, b = [Fraction(int(v)) for v in a], [Fraction(int(v)) for v in b]
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else Fraction(0)


def _integer_boxes(rng, n, max_side):
    corner = rng.integers(-6, 7, size=(n, 2))
    side = rng.integers(0, max_side + 1, size=(n, 2))  # zero sides: segments and points
    return np.concatenate([corner, corner + side], axis=1)


# ------------------------------------------------------------- box_iou


def test_box_iou_matches_exact_rational_arithmetic():
    rng = np.random.default_rng(0)
    a, b = _integer_boxes(rng, 2000, 5), _integer_boxes(rng, 2000, 5)
    b[:50] = a[:50]  # identical pairs too
    expected = np.array([float(_exact_iou(x, y)) for x, y in zip(a, b, strict=True)])
    # The sample must contain every regime the function distinguishes.
    assert np.any(expected == 0) and np.any(expected == 1)
    assert np.any((0 < expected) & (expected < 1))
    np.testing.assert_allclose(box_iou(a, b), expected, rtol=1e-15, atol=0)


def test_box_iou_conventions_for_degenerate_and_touching_boxes():
    point, segment = [1.0, 1.0, 1.0, 1.0], [0.0, 0.5, 2.0, 0.5]
    square, neighbour = [0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]
    np.testing.assert_array_equal(
        box_iou([point, point, segment, square], [point, square, square, neighbour]),
        [0.0, 0.0, 0.0, 0.0])
    # Leading axes are kept: pairs are matched element by element.
    assert box_iou(np.zeros((2, 3, 4)) + square, np.zeros((2, 3, 4)) + square).shape == (2, 3)


# --------------------------------------------------- hand-derived values


def test_values_of_two_offset_squares_by_hand():
    # [0,2]^2 and [1,3]^2: I = 1, U = 7, enclosing 3 x 3 (C = 9, c^2 = 18),
    # centres (1,1) and (2,2) (d^2 = 2), equal aspect ratios (v = 0).
    t, p = [0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]
    iou = 1 / (7 + EPS)
    assert iou_loss(t, p) == pytest.approx(1 - iou, rel=1e-15)
    assert giou_loss(t, p) == pytest.approx(1 - iou + 2 / (9 + EPS), rel=1e-15)
    assert diou_loss(t, p) == pytest.approx(1 - iou + 2 / (18 + EPS), rel=1e-15)
    assert ciou_loss(t, p) == pytest.approx(1 - iou + 2 / (18 + EPS), rel=1e-15)


def test_ciou_aspect_term_by_hand():
    # Same centre, a 2 x 2 target and a 4 x 1 prediction: I = 2, U = 6, d = 0.
    t, p = [0.0, 0.0, 2.0, 2.0], [-1.0, 0.5, 3.0, 1.5]
    iou = 2 / (6 + EPS)
    v = 4 / math.pi**2 * (math.atan(1.0) - math.atan(4.0)) ** 2
    alpha = v / (1 - iou + v + EPS)
    assert ciou_loss(t, p) == pytest.approx(1 - iou + alpha * v, rel=1e-15)


def test_identical_boxes_value_and_symmetric_gradient():
    # Loss eps / (A + eps) for all four. Every edge ties, so the gradient is the
    # equal-share (central) subgradient; by hand, for the box [0,w] x [0,h]:
    # dI = (-h, -w, h, w)/2, dA = (-h, -w, h, w), the GIoU and DIoU terms cancel,
    # and d(1 - IoU) = eps (h, w, -h, -w) / (2 (A + eps)^2).
    w, h = 3.0, 0.5
    box = np.array([[0.0, 0.0, w, h]])
    area = w * h
    expected_grad = EPS * np.array([[h, w, -h, -w]]) / (2 * (area + EPS) ** 2)
    for loss in BOX_LOSSES:
        assert loss(box, box) == pytest.approx(EPS / (area + EPS), rel=1e-15)
        # The gradient is a difference of two O(1) terms equal up to eps:
        # float64 leaves ~1e-16 / 1e-7 of it, hence the tolerance.
        np.testing.assert_allclose(loss.grad(box, box), expected_grad, rtol=1e-6)


def test_zero_area_boxes_follow_torchvision_eps_convention():
    point, segment, square = [1.0, 1.0, 1.0, 1.0], [0.0, 0.5, 2.0, 0.5], [0.0, 0.0, 2.0, 1.0]
    # Two coinciding points: I = U = C = d = 0, so each loss is 1 - 0 + 0 = 1.
    for loss in (iou_loss, giou_loss, diou_loss):
        assert loss([point], [point]) == 1.0
        assert np.all(np.isfinite(loss.grad([point], [point])))
    # A horizontal segment through the middle of the square (I = 0, same centre):
    # aspect angle atan(2/0) = pi/2, as torchvision's atan(inf).
    v = 4 / math.pi**2 * (math.atan(2.0) - math.pi / 2) ** 2
    assert ciou_loss(square, segment) == pytest.approx(1 + v * v / (1 + v + EPS), rel=1e-15)
    assert np.all(np.isfinite(ciou_loss.grad(square, segment)))


# ------------------------------------------------------------ gradients


def test_ciou_gradient_holds_alpha_constant():
    """CIoU's gradient is DIoU's plus alpha * dv, with alpha frozen at the point (torchvision)."""
    rng = np.random.default_rng(11)
    corner = rng.uniform(-2, 2, size=(6, 2))
    t = np.concatenate([corner, corner + rng.uniform(0.5, 2, size=(6, 2))], axis=1)
    p = t + rng.normal(0, 0.3, size=t.shape)

    def aspect(boxes):  # v's angle, written from the paper
        return np.arctan((boxes[:, 2] - boxes[:, 0]) / (boxes[:, 3] - boxes[:, 1]))

    def v_term(pred):
        return 4 / np.pi**2 * (aspect(t) - aspect(pred)) ** 2

    alpha = v_term(p) / (iou_loss(t, p, reduction="none") + v_term(p) + EPS)

    def frozen(pred):
        return diou_loss(t, pred, reduction="sum") + np.sum(alpha * v_term(pred))

    numeric = finite_difference_grad(frozen, p.copy())
    np.testing.assert_allclose(ciou_loss.grad(t, p), numeric, rtol=1e-6, atol=1e-8)
    # ... and is not the gradient of the CIoU value itself, where alpha moves too.
    full = finite_difference_grad(lambda pred: ciou_loss(t, pred, reduction="sum"), p.copy())
    assert np.max(np.abs(ciou_loss.grad(t, p) - full)) > 1e-4


def test_touching_boxes_have_zero_iou_gradient_but_a_giou_pull():
    t, p = [0.0, 0.0, 1.0, 1.0], [1.0, 0.25, 2.0, 1.5]  # edges meet at x = 1
    np.testing.assert_array_equal(iou_loss.grad(t, p), np.zeros(4))
    g = giou_loss.grad(t, p)
    assert g[0] + g[2] > 0  # translating right raises the loss


def test_a_pairs_result_does_not_depend_on_the_rest_of_the_batch():
    # Every pair's value and gradient, bit for bit the same alone as in a batch of 60:
    # overlapping, near-identical (1e-9), nested and disjoint pairs, ties of edges.
    rng = np.random.default_rng(12)
    corner = rng.integers(-8, 8, size=(60, 2)) / 4
    size = rng.integers(1, 12, size=(60, 2)) / 4
    t = np.concatenate([corner, corner + size], axis=1)
    shift = rng.normal(0.0, 1.0, size=(60, 4))
    shift[:15] = rng.integers(-2, 3, size=(15, 4)) / 4  # ties of edges
    shift[15:30] *= 1e-9
    p = t + shift
    p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 0.125)
    for loss in BOX_LOSSES:
        values, grads = loss(t, p, reduction="none"), loss.grad(t, p)
        for k in range(len(t)):
            assert loss(t[k], p[k], reduction="none") == values[k]
            np.testing.assert_array_equal(loss.grad(t[k], p[k]), grads[k])
            np.testing.assert_array_equal(loss.grad(t[k:k + 1], p[k:k + 1]), grads[k:k + 1])


# ------------------------------------------------------------ properties


@settings(deadline=None)
@given(_boxes(min_eighths=0), _boxes(min_eighths=0))
def test_losses_stay_in_their_ranges(t, p):
    assert 0 <= iou_loss(t, p) <= 1
    giou = 1 - giou_loss(t, p)
    assert -1 <= giou <= 1
    assert 0 <= diou_loss(t, p) < 2


@settings(deadline=None)
@given(_boxes(), _boxes(), st.integers(1, 64).map(lambda k: k / 8), st.booleans())
def test_disjoint_boxes_no_iou_gradient_but_giou_gradient(t, p, gap, left):
    # Place the prediction clear of the target along x, on either side.
    shift = (t[2] + gap - p[0]) if not left else (t[0] - gap - p[2])
    p = p + np.array([shift, 0.0, shift, 0.0])
    np.testing.assert_array_equal(iou_loss.grad(t, p), np.zeros(4))
    g = giou_loss.grad(t, p)
    # Moving away from the target enlarges the enclosing box and nothing else.
    away = g[0] + g[2] if not left else -(g[0] + g[2])
    assert away > 0


@settings(deadline=None)
@given(_boxes(min_eighths=8), st.tuples(*[st.integers(0, 3)] * 4), st.booleans())
def test_nested_boxes_giou_equals_iou_but_diou_does_not(outer, margins, pred_inside):
    width, height = outer[2] - outer[0], outer[3] - outer[1]
    m = np.array(margins) / 8  # insets in units of an eighth of the side
    inner = outer + np.array([m[0] * width, m[1] * height, -m[2] * width, -m[3] * height])
    t, p = (outer, inner) if pred_inside else (inner, outer)
    assert giou_loss(t, p) == iou_loss(t, p)  # C = U exactly
    offset_centres = margins[0] != margins[2] or margins[1] != margins[3]
    assert (diou_loss(t, p) > iou_loss(t, p)) == offset_centres


@settings(deadline=None)
@given(_boxes(), _boxes(), st.integers(-3, 3))
def test_scale_invariance_up_to_eps(t, p, power):
    k = 2.0**power  # exact scaling: only the eps terms break the invariance
    # Each term a / (b + eps) with a <= b becomes a / (b + eps / k^2); with
    # b >= max area (U, C) or 2 max area (c^2) the change is at most
    # 4 |eps - eps / k^2| / max area (CIoU's alpha v moves by at most 1 - IoU's change).
    max_area = max((t[2] - t[0]) * (t[3] - t[1]), (p[2] - p[0]) * (p[3] - p[1]))
    bound = 4 * EPS * abs(1 - k**-2) / max_area + 1e-14
    for loss in BOX_LOSSES:
        assert abs(loss(k * t, k * p) - loss(t, p)) <= bound, loss.__name__


@settings(deadline=None)
@given(_boxes(min_eighths=0), _boxes(min_eighths=0), st.integers(-1000, 1000),
       st.integers(-1000, 1000))
def test_translation_invariance(t, p, dx, dy):
    shift = np.array([dx, dy, dx, dy], dtype=float)  # exact on dyadic coordinates
    assert box_iou(t + shift, p + shift) == box_iou(t, p)
    for loss in (iou_loss, giou_loss, diou_loss):
        assert loss(t + shift, p + shift) == loss(t, p)
        np.testing.assert_array_equal(loss.grad(t + shift, p + shift), loss.grad(t, p))


@settings(deadline=None)
@given(_boxes(), _boxes())
def test_losses_are_symmetric_in_the_two_boxes(t, p):
    assert box_iou(t, p) == box_iou(p, t)
    for loss in BOX_LOSSES:
        assert loss(t, p) == pytest.approx(loss(p, t), rel=1e-14, abs=1e-15)


def test_symbolic_definitions_use_the_exported_symbols():
    coordinates = {*BOX_TRUE_SYMBOLS, *BOX_PRED_SYMBOLS}
    for loss in (iou_loss, giou_loss, diou_loss):
        assert loss.symbolic().free_symbols == coordinates
    assert ciou_loss.symbolic().free_symbols == coordinates | {CIOU_ALPHA}
    # At alpha = 0 the CIoU definition is the DIoU one.
    assert sp.simplify(ciou_loss.symbolic().subs(CIOU_ALPHA, 0) - diou_loss.symbolic()) == 0


# ------------------------------------------------------------ bad input


def _entry_points():
    for loss in BOX_LOSSES:
        yield loss
        yield loss.grad


ENTRY_POINTS = list(_entry_points())
GOOD = np.array([[0.0, 0.0, 2.0, 1.0], [1.0, 1.0, 3.0, 4.0]])


@pytest.mark.parametrize("func", ENTRY_POINTS)
@pytest.mark.parametrize("argument", [0, 1])
@pytest.mark.parametrize("column", [0, 1])
def test_rejects_reversed_edges_naming_the_argument(func, argument, column):
    bad = GOOD.copy()
    bad[1, column] = bad[1, column + 2] + 0.5  # x1 > x2 (column 0) or y1 > y2 (column 1)
    args = [GOOD, GOOD]
    args[argument] = bad
    name = ("boxes_true", "boxes_pred")[argument]
    with pytest.raises(ValueError, match=rf"{name} must hold boxes .* x2 >= x1 and y2 >= y1"):
        func(*args)


@pytest.mark.parametrize("func", [*ENTRY_POINTS, box_iou])
@pytest.mark.parametrize(
    ("first", "second", "error", "message"),
    [
        (np.zeros((2, 3)), np.zeros((2, 3)), ValueError, r"shape \(\.\.\., 4\)"),
        (np.zeros(5), np.zeros(5), ValueError, r"shape \(\.\.\., 4\)"),
        (1.0, 1.0, ValueError, r"shape \(\.\.\., 4\)"),
        (GOOD, GOOD[:1], ValueError, "same shape"),
        (GOOD, GOOD.T, ValueError, "same shape"),
        (GOOD, GOOD + [np.nan, 0, 0, 0], ValueError, "finite"),
        (GOOD, GOOD + [0, 0, np.inf, 0], ValueError, "finite"),
        (np.zeros((0, 4)), np.zeros((0, 4)), ValueError, "empty"),
        (GOOD, np.full(GOOD.shape, "a"), TypeError, "real numbers"),
        (GOOD, GOOD + 1j, TypeError, "real numbers"),
    ],
)
def test_rejects_bad_arrays(func, first, second, error, message):
    with pytest.raises(error, match=message):
        func(first, second)


@pytest.mark.parametrize("func", [*ENTRY_POINTS, box_iou])
@pytest.mark.parametrize("argument", [0, 1])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_coordinates_naming_the_argument_without_warnings(func, argument, bad):
    args = [GOOD.copy(), GOOD.copy()]
    args[argument][1, 2] = bad
    name = ("boxes_a", "boxes_b") if func is box_iou else ("boxes_true", "boxes_pred")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=f"{name[argument]} must contain only finite"):
            func(*args)


def test_box_iou_names_its_own_arguments():
    with pytest.raises(ValueError, match="boxes_b must hold boxes"):
        box_iou(GOOD, GOOD[:, ::-1])


@pytest.mark.parametrize("func", [ciou_loss, ciou_loss.grad])
def test_ciou_rejects_points_that_have_no_aspect_ratio(func):
    point = GOOD.copy()
    point[0] = [1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="boxes_pred .* positive width or height"):
        func(GOOD, point)
    with pytest.raises(ValueError, match="boxes_true .* positive width or height"):
        func(point, GOOD)
