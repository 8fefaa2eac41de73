"""Geometry of matched pairs of boxes for :mod:`lossbook.boxes`: validation, the lengths and
areas the IoU losses are built from, and their gradients with respect to the predicted box.

A ground module of the box losses (it imports only ``lossbook._validation``); see the
numerics note of :mod:`lossbook.boxes`.

Speed. A call on a few dozen boxes costs about half a microsecond per numpy operation,
whatever the size, so the layout is chosen to need few of them: the coordinates are copied
once into contiguous rows (whose finiteness is then checked in one pass), every step works
on x and y (and often on both edges or both boxes) at once, and every operand is a
contiguous array of the same shape or a 0-d array (numpy's broadcasting, strided views and
Python-float operands each cost about as much again). On large inputs fresh memory is what
costs, so intermediate results overwrite the copy's rows where they can.
"""

from functools import cached_property

import numpy as np

from ._validation import all_finite, check_pair, is_plain_pair

# The epsilon of torchvision's box losses.
EPS = 1e-7
ASPECT_SCALE = 4.0 / np.pi**2

# Constants as 0-d arrays: an operand that is a Python float takes a slower path in numpy.
_ZERO, _HALF, _MINUS_HALF, _ONE, _TWO = (np.array(c) for c in (0.0, 0.5, -0.5, 1.0, 2.0))
_EPS = np.array(EPS)
_ASPECT_SCALE = np.array(ASPECT_SCALE)
_D_ASPECT_SCALE = np.array(-2.0 * ASPECT_SCALE)


def _check_layout(boxes, name):
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(
            f"{name} must have shape (..., 4) holding (x1, y1, x2, y2); got {boxes.shape}"
        )


def _check_edges(boxes, name):
    reversed_edges = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
    if np.any(reversed_edges):
        where = tuple(int(i) for i in np.argwhere(reversed_edges)[0])
        raise ValueError(
            f"{name} must hold boxes (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; "
            f"the box at index {where} is {boxes[where].tolist()}"
        )


def check_has_aspect(boxes, name):
    """Raise if a box is a single point: its aspect angle atan(w / h) is undefined."""
    point = (boxes[..., 2] == boxes[..., 0]) & (boxes[..., 3] == boxes[..., 1])
    if np.any(point):
        raise ValueError(
            f"{name} must have boxes of positive width or height for ciou_loss "
            "(the aspect ratio of a point is undefined)"
        )


def _edge_rows(boxes_true, boxes_pred):
    """(8, m) C-ordered copy of the coordinates: rows (lo_t, hi_t, lo_p, hi_p), each (x, y)."""
    edges = np.empty((8, boxes_true.size // 4))
    edges[:4] = boxes_true.reshape(-1, 4).T
    edges[4:] = boxes_pred.reshape(-1, 4).T
    return edges


class Pairs:
    """Validated matched box pairs: lengths and areas, and their gradients.

    ``Pairs(boxes_true, boxes_pred)`` validates both arrays (float64, same
    shape ``(..., 4)``, ``x2 >= x1`` and ``y2 >= y1``; with ``aspect=True``
    also no single points) and flattens the pairs to ``m = prod(shape[:-1])``;
    ``enclosing=True`` also computes the sides of the enclosing box (GIoU, DIoU).
    Per-axis arrays have shape (2, m): row 0 for x and row 1 for y; per-edge
    arrays (4, m), the lower edges' two rows and then the upper edges'; per-box
    arrays (4, m), the prediction's two rows and then the target's.
    Per-pair values have shape (m,); :meth:`per_pair` and :meth:`as_boxes`
    restore the boxes' own shape.

    Gradients are assembled *outward*: row ``k`` holds the derivative with
    respect to moving edge ``k`` of the prediction away from its centre
    (``-d/d x1``, ``-d/d y1``, ``d/d x2``, ``d/d y2``), so that the lower and
    the upper edges follow the same formulas; :meth:`as_boxes` turns them
    into the gradient. What only some losses need is computed on first use.
    """

    def __init__(self, boxes_true, boxes_pred, names=("boxes_true", "boxes_pred"), *,
                 enclosing=False, aspect=False):
        if is_plain_pair(boxes_true, boxes_pred) and boxes_true.shape[-1:] == (4,):
            edges = _edge_rows(boxes_true, boxes_pred)
            # One finiteness pass over the copy of both arrays; check_pair then raises,
            # naming the argument that holds a NaN or an infinity.
            if not all_finite(edges):
                check_pair(boxes_true, boxes_pred, names)
        else:
            boxes_true, boxes_pred = check_pair(boxes_true, boxes_pred, names)
            _check_layout(boxes_true, names[0])  # same shape, so one check covers both
            edges = _edge_rows(boxes_true, boxes_pred)
        self.shape = boxes_true.shape[:-1]
        count = edges.shape[1]
        sides = np.empty((4, count))  # (w_p, h_p, w_t, h_t)
        np.subtract(edges[6:], edges[4:6], out=sides[:2])
        np.subtract(edges[2:4], edges[:2], out=sides[2:])
        # One count checks both arrays (cheaper than a ufunc reduction on small arrays);
        # the slow checks only name the culprit.
        if np.count_nonzero(np.less(sides, _ZERO)):
            _check_edges(boxes_true, names[0])
            _check_edges(boxes_pred, names[1])
        # A point is the only box whose width plus height is 0 (the sides are >= 0 now).
        if aspect and np.count_nonzero(sides[::2] + sides[1::2]) < 2 * count:
            check_has_aspect(boxes_true, names[0])
            check_has_aspect(boxes_pred, names[1])
        self.sides = sides
        # Per axis, the overlap: the lowest upper edge minus the highest lower edge,
        # negative for disjoint intervals; and (GIoU, DIoU) the side of the enclosing box.
        inner = np.minimum(edges[2:4], edges[6:])
        inner -= np.maximum(edges[:2], edges[4:6])
        if enclosing:
            # Rows 2-3 of a buffer whose rows 0-1 take the centre offset (DIoU), so that
            # both square in one operation.
            self._centre_rows = np.empty((4, count))
            outer = np.maximum(edges[2:4], edges[6:], out=self._centre_rows[2:])
            outer -= np.minimum(edges[:2], edges[4:6])
            self.outer = outer
            self.signed_overlap = inner  # negative for disjoint intervals (GIoU)
        # Per edge, how far the target's edge lies above the prediction's, (lo_t - lo_p,
        # hi_t - hi_p), over the coordinates (the copy is ours, and on large inputs fresh
        # memory is what costs): single coordinate differences, accurate even when the
        # boxes nearly coincide. Its positive part is how far the prediction sticks out
        # below and the target above; what that exceeds it by, how far the target sticks
        # out below and the prediction above.
        self.gap = gap = np.subtract(edges[:4], edges[4:], out=edges[:4])
        above = np.maximum(gap, _ZERO, out=edges[4:])
        below = above - gap
        # In all, along each axis (lower plus upper edge), per box, over the rows of
        # `above` (each row is read before it is overwritten).
        np.add(below[:2], above[2:], out=above[2:])  # the target beyond the prediction
        np.add(above[:2], below[2:], out=above[:2])  # the prediction beyond the target
        self.stick = stick = above  # (s_px, s_py, s_tx, s_ty)
        # As torchvision's clamp: the boxes intersect only if both overlaps are positive
        # (in place unless the GIoU term needs the signed overlap).
        overlap = np.maximum(inner, _ZERO, out=None if enclosing else inner)
        self.overlap_sides = overlap
        inter = self.inter = overlap[0] * overlap[1]
        # Union minus intersection, (A_p - I) + (A_t - I), as non-negative terms: with the
        # sticking-out lengths clipped to the sides, which also covers disjoint boxes
        # (a clipped overlap of 0 leaves A_p + A_t).
        clip = np.minimum(stick, sides, out=below)  # (e_px, e_py, e_tx, e_ty)
        union_excess = clip[0] * sides[1]
        union_excess += clip[2] * sides[3]
        tail = clip[1] + clip[3]
        tail *= overlap[0]
        union_excess += tail
        self.union_excess = union_excess
        union_eps = self.union_eps = inter + union_excess
        union_eps += _EPS

    @property
    def union(self):
        return self.inter + self.union_excess

    @cached_property
    def hull(self):
        return self.outer[0] * self.outer[1]

    @cached_property
    def offset(self):
        # Centre offset from coordinate differences, not from rounded centres:
        # ((lo_p - lo_t) + (hi_p - hi_t)) / 2 = -((lo_t - lo_p) + (hi_t - hi_p)) / 2.
        offset = np.add(self.gap[:2], self.gap[2:], out=self._centre_rows[:2])
        offset *= _MINUS_HALF
        return offset

    @cached_property
    def centre_terms(self):
        """The DIoU term d^2 / (c^2 + eps), and c^2 + eps."""
        # Computing the offset fills rows 0-1 of the buffer; rows 2-3 hold the enclosing sides.
        self.offset  # noqa: B018
        squares = self._centre_rows * self._centre_rows
        diag2_eps = squares[2] + squares[3]
        diag2_eps += _EPS
        return (squares[0] + squares[1]) / diag2_eps, diag2_eps

    @cached_property
    def inside(self):
        """Per edge, d(overlap edge) / d(predicted edge) (1 - it is that of the enclosing edge).

        1 where the target's edge lies beyond the prediction's, 0 where it lies within,
        and, at a tie, 1/2 (PyTorch's share of the gradient of max and min).
        """
        # (1 + sign) / 2 rather than np.heaviside, which is several times slower on large
        # arrays; the sign is that of the gap at upper edges, of its negative at lower ones.
        weight = np.sign(self.gap)
        np.negative(weight[:2], out=weight[:2])
        weight += _ONE
        weight *= _HALF
        return weight

    def per_pair(self, values):
        """(m,) values in the shape of the pairs (a numpy scalar for a single pair)."""
        if len(self.shape) == 1:
            return values
        return values.reshape(self.shape) if self.shape else values[0]

    def as_boxes(self, outward):
        """(4, m) outward derivatives to the gradient, in the (..., 4) layout of the boxes."""
        np.negative(outward[:2], out=outward[:2])
        return outward.T.copy().reshape(self.shape + (4,))

    # Values -----------------------------------------------------------------
    def one_minus_iou(self):
        """1 - I / (U + eps), written as (U - I + eps) / (U + eps)."""
        ratio = self.union_excess + _EPS
        ratio /= self.union_eps
        return ratio

    def hull_penalty(self):
        """(C - U) / (C + eps), the GIoU term."""
        # Enclosing area minus union; the identity C - A_p - A_t + w_I h_I =
        # s_px s_ty + s_tx s_py holds for any pair, with w_I h_I the signed product,
        # which is the intersection where the boxes overlap (the bracket is then 0).
        stick = self.stick  # (s_px, s_py, s_tx, s_ty)
        hull_excess = stick[0] * stick[3]
        hull_excess += stick[2] * stick[1]
        inner_product = self.signed_overlap[0] * self.signed_overlap[1]
        hull_excess -= inner_product - self.inter
        return hull_excess / (self.hull + _EPS)

    def centre_penalty(self):
        """d^2 / (c^2 + eps), the DIoU term."""
        return self.centre_terms[0]

    @cached_property
    def aspect_gap(self):
        """atan(w_t / h_t) - atan(w_p / h_p); arctan2 gives pi/2 at zero height."""
        angles = np.arctan2(self.sides[::2], self.sides[1::2])  # prediction, target
        return angles[1] - angles[0]

    def ciou_alpha(self, one_minus_iou):
        """alpha = v / (1 - IoU + v + eps), a constant for differentiation, and v."""
        v = _ASPECT_SCALE * (self.aspect_gap * self.aspect_gap)
        return v / (one_minus_iou + v + _EPS), v

    # Outward derivatives of the building blocks, (4, m) -----------------------
    def _per_edge(self, weights, per_axis):
        """weights (4, m) times the (2, m) per-axis values, repeated for both edges."""
        return (weights.reshape(2, 2, -1) * per_axis).reshape(4, -1)

    @cached_property
    def d_inter(self):
        # Moving an edge changes the overlap along its axis times the other side.
        overlap_other = self.overlap_sides[::-1] * (self.overlap_sides > 0)
        return self._per_edge(self.inside, overlap_other)

    @cached_property
    def d_union(self):
        # d A_p - d I, with d A_p the prediction's other side for both edges of an axis.
        return (self.sides[1::-1] - self.d_inter.reshape(2, 2, -1)).reshape(4, -1)

    def d_hull(self):
        return self._per_edge(_ONE - self.inside, self.outer[::-1])

    def d_diag2(self):
        return self._per_edge(_ONE - self.inside, _TWO * self.outer)

    def d_dist2(self):
        return np.concatenate((-self.offset, self.offset))

    def d_aspect(self):
        """Gradient of v = (4/pi^2) (atan(w_t/h_t) - atan(w_p/h_p))^2 in (w_p, h_p), (2, m)."""
        size_p = self.sides[:2]
        squares = size_p * size_p
        # d atan(w/h) / d(w, h) = (h, -w) / (w^2 + h^2)
        d_angle = np.empty_like(size_p)
        d_angle[0] = size_p[1]
        np.negative(size_p[0], out=d_angle[1])
        d_angle /= squares[0] + squares[1]
        return _D_ASPECT_SCALE * self.aspect_gap * d_angle

    # Outward derivatives of the loss terms, (4, m) -----------------------------
    def d_one_minus_iou(self):
        union_eps = self.union_eps
        return (self.inter * self.d_union - union_eps * self.d_inter) / (union_eps * union_eps)

    def d_hull_penalty(self):
        hull_eps = self.hull + _EPS
        # U + eps, with the union of boxes that do not overlap summed as A_p + A_t: the
        # clipped form of __init__ rounds differently when only the y-overlap is empty, and
        # this gradient, a difference of two products, would pass such last bits on.
        overlap = np.minimum(self.overlap_sides[0], self.overlap_sides[1]) > 0
        sides = self.sides  # (w_p, h_p, w_t, h_t)
        areas = sides[0] * sides[1]
        areas += sides[2] * sides[3]
        union_eps = np.where(overlap, self.union_eps, areas + _EPS)
        return ((self.d_hull() * union_eps - self.d_union * hull_eps)
                / (hull_eps * hull_eps))

    def d_centre_penalty(self):
        penalty, diag2_eps = self.centre_terms
        return (self.d_dist2() - penalty * self.d_diag2()) / diag2_eps
