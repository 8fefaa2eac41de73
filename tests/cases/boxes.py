"""Test cases for the box losses (IoU, GIoU, DIoU, CIoU).

The mpmath references are written from the papers' definitions with
torchvision's epsilon (Rezatofighi et al. 2019; Zheng et al. 2020;
``torchvision.ops``): intersection from the max/min of the edges, union
``A + A' - I``, centres as midpoints, aspect angle ``atan(w / h)``. They share
nothing with lossbook's numpy code, which assembles the same quantities from
differences of coordinates.

CIoU's weight alpha is a constant of the gradient (torchvision computes it
under ``no_grad``), so no function of the prediction alone has the CIoU
gradient. The contract test differentiates ``reference`` numerically in the
prediction; the CIoU reference therefore evaluates alpha at the stress point
that belongs to the target it is given (every stress target is distinct), and
only the DIoU terms and ``v`` at the perturbed prediction; for the same
reason its finite-difference objective holds alpha fixed (``fd_objective``).
"""

import mpmath as mp
import numpy as np
import sympy as sp

import lossbook
from lossbook.boxes import CIOU_ALPHA

from ._case import LossCase

# torchvision's eps is the double nearest 1e-7; use exactly that value.
EPS = mp.mpf(1e-7)


def _width_height(box):
    return box[2] - box[0], box[3] - box[1]


def _iou_and_union(t, p):
    overlap_x = min(t[2], p[2]) - max(t[0], p[0])
    overlap_y = min(t[3], p[3]) - max(t[1], p[1])
    inter = overlap_x * overlap_y if overlap_x > 0 and overlap_y > 0 else mp.mpf(0)
    (w_t, h_t), (w_p, h_p) = _width_height(t), _width_height(p)
    union = w_t * h_t + w_p * h_p - inter
    return inter / (union + EPS), union


def _enclosing_sides(t, p):
    return max(t[2], p[2]) - min(t[0], p[0]), max(t[3], p[3]) - min(t[1], p[1])


def _iou_reference(t, p, params):
    iou, _ = _iou_and_union(t, p)
    return 1 - iou


def _giou_reference(t, p, params):
    iou, union = _iou_and_union(t, p)
    width, height = _enclosing_sides(t, p)
    hull = width * height
    return 1 - iou + (hull - union) / (hull + EPS)


def _diou_reference(t, p, params):
    iou, _ = _iou_and_union(t, p)
    width, height = _enclosing_sides(t, p)
    centre_gap_x = (p[0] + p[2]) / 2 - (t[0] + t[2]) / 2
    centre_gap_y = (p[1] + p[3]) / 2 - (t[1] + t[3]) / 2
    return 1 - iou + (centre_gap_x**2 + centre_gap_y**2) / (width**2 + height**2 + EPS)


def _aspect_term(t, p):
    (w_t, h_t), (w_p, h_p) = _width_height(t), _width_height(p)
    return 4 / mp.pi**2 * (mp.atan(w_t / h_t) - mp.atan(w_p / h_p)) ** 2


def _ciou_alpha(t, p):
    iou, _ = _iou_and_union(t, p)
    v = _aspect_term(t, p)
    return v / (1 - iou + v + EPS)


def _ciou_reference_frozen_at(stress):
    """CIoU reference whose alpha is evaluated at the stress prediction of the target."""
    targets, predictions, _ = stress()
    anchors = {tuple(t): p for t, p in zip(targets.tolist(), predictions.tolist(), strict=True)}
    if len(anchors) != len(targets):
        raise ValueError("the CIoU stress grid needs a distinct target for every pair")

    def reference(t, p, params):
        anchor = [mp.mpf(c) for c in anchors[tuple(float(c) for c in t)]]
        return _diou_reference(t, p, params) + _ciou_alpha(t, anchor) * _aspect_term(t, p)

    return reference


def _ciou_with_alpha_frozen(loss, y_true, y_pred, params):
    """DIoU plus alpha v, alpha fixed at ``y_pred``: its gradient there is CIoU's gradient.

    v and alpha are written here from the paper's formula (numpy); the DIoU
    part is lossbook's own value, already checked against its mpmath reference.
    """

    def aspect_angle(boxes):
        return np.arctan((boxes[..., 2] - boxes[..., 0]) / (boxes[..., 3] - boxes[..., 1]))

    def v_term(boxes_pred):
        return 4 / np.pi**2 * (aspect_angle(y_true) - aspect_angle(boxes_pred)) ** 2

    v_at_point = v_term(y_pred)
    one_minus_iou = lossbook.iou_loss(y_true, y_pred, reduction="none")
    alpha = v_at_point / (one_minus_iou + v_at_point + float(EPS))

    def objective(boxes_pred):
        return lossbook.diou_loss(y_true, boxes_pred, reduction="sum") + np.sum(
            alpha * v_term(boxes_pred))

    return objective


def _sample(rng):
    """Random pairs, 3 x 4 of them: the first half overlapping, the second disjoint.

    Continuous random coordinates: ties of edges (kinks of max/min) have
    probability zero, and none lies within a finite-difference step here.
    """
    shape = (3, 4)
    corner = rng.uniform(-3.0, 3.0, size=(*shape, 2))
    size = rng.uniform(0.5, 2.0, size=(*shape, 2))
    boxes_true = np.concatenate([corner, corner + size], axis=-1)
    pred_size = size * np.exp(rng.normal(0.0, 0.3, size=size.shape))
    shift = rng.normal(0.0, 0.25, size=size.shape) * size
    # Second half: push the prediction clear of the target along one axis.
    disjoint = np.arange(np.prod(shape)).reshape(shape) >= np.prod(shape) // 2
    gap = rng.uniform(0.1, 1.0, size=shape) + size[..., 0] + pred_size[..., 0]
    shift[..., 0] = np.where(disjoint, gap * rng.choice([-1.0, 1.0], size=shape), shift[..., 0])
    pred_corner = corner + shift
    boxes_pred = np.concatenate([pred_corner, pred_corner + pred_size], axis=-1)
    return boxes_true, boxes_pred, {}


def _stress_pairs():
    """Extreme but tie-free pairs; every target distinct (see the CIoU reference).

    Left out on purpose: identical boxes and edges that coincide. There the
    loss has a kink, the gradient is a convention (tests/test_boxes.py checks
    it), and the IoU-loss gradient of identical boxes is -eps*h/(2(A+eps)^2),
    a difference of two O(1) terms that float64 only gets to an absolute
    accuracy. Zero-width boxes sit on a kink of the intersection as well.
    """
    pairs = [
        # overlapping, generic
        ([0.1, 0.2, 2.3, 1.7], [0.6, -0.35, 2.9, 1.45]),
        # prediction inside the target, off-centre; and the target inside the prediction
        ([-1.5, -2.5, 3.25, 1.75], [-0.7, -1.1, 1.9, 0.3]),
        ([10.2, 5.1, 10.9, 5.6], [9.7, 4.8, 12.3, 6.4]),
        # disjoint: side by side, diagonal, 1e4 apart, and a 1e-9 gap
        ([0.0, 0.0, 1.0, 1.3], [1.7, 0.4, 2.9, 2.2]),
        ([-3.1, -2.2, -1.4, -0.9], [0.8, 1.3, 2.1, 3.7]),
        ([0.3, 0.1, 1.2, 0.9], [1.0e4 + 0.3, -7.5e3, 1.0e4 + 2.1, -7.5e3 + 1.7]),
        ([2.0, 3.0, 3.0, 4.5], [3.0 + 1e-9, 3.4, 4.1, 5.0]),
        # tiny boxes (1e-3) near the origin, and 1e4 away from it
        ([1e-4, 2e-4, 1.3e-3, 1.1e-3], [4e-4, -3e-4, 1.6e-3, 9e-4]),
        ([1e4 + 1e-4, 2e4 + 2e-4, 1e4 + 1.3e-3, 2e4 + 1.1e-3],
         [1e4 + 4e-4, 2e4 - 3e-4, 1e4 + 1.6e-3, 2e4 + 9e-4]),
        # large boxes at large coordinates
        ([1.2e4, -3.4e4, 2.7e4, -1.1e4], [1.5e4, -3.9e4, 3.3e4, -2.2e4]),
        # a tiny prediction inside a large target
        ([0.0, 0.0, 100.0, 50.0], [30.1, 20.2, 30.101, 20.202]),
        # nearly identical boxes: 1 - IoU ~ 1e-7 needs the cancellation-free form
        ([0.25, 0.5, 1.75, 2.5], [0.25 + 1e-7, 0.5 - 2e-7, 1.75 + 3e-7, 2.5 + 1.5e-7]),
    ]
    targets, predictions = zip(*pairs, strict=True)
    return np.array(targets), np.array(predictions), {}


def _ciou_symbolic(loss, y_true, y_pred, params):
    """Values and gradients from ``ciou_loss.symbolic()``, alpha substituted after diff."""
    expr = loss.symbolic()
    true_symbols, pred_symbols = (a.component_symbols() for a in loss.info.arguments)
    symbols = [*true_symbols, *pred_symbols]
    columns = [*np.moveaxis(y_true, -1, 0), *np.moveaxis(y_pred, -1, 0)]
    if CIOU_ALPHA in expr.free_symbols:
        v = sp.diff(expr, CIOU_ALPHA)  # the loss is linear in alpha
        one_minus_iou = lossbook.iou_loss.symbolic()
        alpha = v / (one_minus_iou + v + sp.Rational(1, 10**7))
        columns.append(sp.lambdify(symbols, alpha, "numpy", cse=True)(*columns))
        symbols.append(CIOU_ALPHA)
    # One lambdify with common subexpressions: printing Max/Min derivatives term by term is slow.
    evaluate = sp.lambdify(symbols, [expr, *(sp.diff(expr, s) for s in pred_symbols)],
                           "numpy", cse=True)
    values, *grads = (np.broadcast_to(r, y_pred.shape[:-1]) for r in evaluate(*columns))
    return values, np.stack(grads, axis=-1)


def _integer_pairs(rng):
    """The sample scaled by 10 and rounded: integer corners, positive sizes (>= 5)."""
    boxes_true, boxes_pred, params = _sample(rng)
    return np.rint(10 * boxes_true).astype(np.int64), np.rint(10 * boxes_pred).astype(np.int64), {}


def _case(reference, fd_objective=None, symbolic=None):
    return LossCase(
        sample=_sample,
        stress=_stress_pairs,
        reference=reference,
        symbolic=symbolic,
        integers=_integer_pairs,
        fd_objective=fd_objective,
    )


CASES = {
    "iou_loss": _case(_iou_reference),
    "giou_loss": _case(_giou_reference),
    "diou_loss": _case(_diou_reference),
    "ciou_loss": _case(_ciou_reference_frozen_at(_stress_pairs), _ciou_with_alpha_frozen,
                       _ciou_symbolic),
}
