"""Geometry of matched pairs of boxes for :mod:`lossbook.boxes`: validation, the lengths and
areas the IoU losses are built from, and their gradients with respect to the predicted box.

A ground module of the box losses (it imports only ``lossbook._validation``); see the
numerics note of :mod:`lossbook.boxes`.
"""

from functools import cached_property

import numpy as np

from ._validation import check_pair

# The epsilon of torchvision's box losses.
EPS = 1e-7
ASPECT_SCALE = 4.0 / np.pi**2


def check_boxes(boxes_1, boxes_2, names=("boxes_true", "boxes_pred")):
    """Validate two arrays of matched boxes; return them as float64 arrays."""
    boxes_1, boxes_2 = check_pair(boxes_1, boxes_2, names)
    for boxes, name in ((boxes_1, names[0]), (boxes_2, names[1])):
        if boxes.ndim == 0 or boxes.shape[-1] != 4:
            raise ValueError(
                f"{name} must have shape (..., 4) holding (x1, y1, x2, y2); got {boxes.shape}"
            )
        reversed_edges = (boxes[..., 2] < boxes[..., 0]) | (boxes[..., 3] < boxes[..., 1])
        if np.any(reversed_edges):
            where = tuple(int(i) for i in np.argwhere(reversed_edges)[0])
            raise ValueError(
                f"{name} must hold boxes (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; "
                f"the box at index {where} is {boxes[where].tolist()}"
            )
    return boxes_1, boxes_2


def check_has_aspect(boxes, name):
    """Raise if a box is a single point: its aspect angle atan(w / h) is undefined."""
    point = (boxes[..., 2] == boxes[..., 0]) & (boxes[..., 3] == boxes[..., 1])
    if np.any(point):
        raise ValueError(
            f"{name} must have boxes of positive width or height for ciou_loss "
            "(the aspect ratio of a point is undefined)"
        )


def edge_weight(difference):
    """d max(a, b) / d a as a function of a - b: 1, 0 or, at a tie, 1/2 (PyTorch's share)."""
    return 0.5 * (np.sign(difference) + 1.0)


def _coordinates_first(boxes):
    """(..., 4) boxes as a contiguous (4, ...) array (np.moveaxis costs more on small arrays)."""
    return np.ascontiguousarray(boxes.reshape(-1, 4).T).reshape((4,) + boxes.shape[:-1])


class Pairs:
    """Lengths and areas of matched box pairs, and their gradients.

    Per-axis arrays have shape (2, ...): row 0 for x and row 1 for y, so that
    ``a[::-1]`` is the same quantity along the other axis, and a per-pair
    array of shape (...) broadcasts against both rows. Gradients are with
    respect to the predicted box, stacked as (4, ...) in (x1, y1, x2, y2)
    order (the lower corner's two partials, then the upper corner's) and
    returned by :meth:`as_boxes` in the boxes' own (..., 4) layout. What only
    some losses need is computed on first use.
    """

    def __init__(self, boxes_true, boxes_pred):
        # Coordinates first: contiguous rows make every step a plain ufunc call.
        coords_t = _coordinates_first(boxes_true)
        coords_p = _coordinates_first(boxes_pred)
        self.lo_t, self.hi_t = coords_t[:2], coords_t[2:]
        self.lo_p, self.hi_p = coords_p[:2], coords_p[2:]
        self.size_t = self.hi_t - self.lo_t
        self.size_p = self.hi_p - self.lo_p
        self.inner = np.minimum(self.hi_p, self.hi_t) - np.maximum(self.lo_p, self.lo_t)
        # How far each interval sticks out of the other: single coordinate
        # differences, accurate even when the boxes nearly coincide.
        self.stick_p = (np.maximum(self.hi_p - self.hi_t, 0.0)
                        + np.maximum(self.lo_t - self.lo_p, 0.0))
        self.stick_t = (np.maximum(self.hi_t - self.hi_p, 0.0)
                        + np.maximum(self.lo_p - self.lo_t, 0.0))

        # torchvision's mask: the boxes intersect only if both overlaps are positive.
        self.overlap = (self.inner[0] > 0) & (self.inner[1] > 0)
        self.inter = np.where(self.overlap, self.inner[0] * self.inner[1], 0.0)
        # Union minus intersection, (A_p - I) + (A_t - I), as non-negative terms.
        union_excess = (
            self.stick_p[0] * self.size_p[1]
            + self.stick_t[0] * self.size_t[1]
            + self.inner[0] * (self.stick_p[1] + self.stick_t[1])
        )
        disjoint_union = self.size_p[0] * self.size_p[1] + self.size_t[0] * self.size_t[1]
        self.union_excess = np.where(self.overlap, union_excess, disjoint_union)
        self.union = self.inter + self.union_excess

    @cached_property
    def outer(self):
        return np.maximum(self.hi_p, self.hi_t) - np.minimum(self.lo_p, self.lo_t)

    @cached_property
    def hull(self):
        return self.outer[0] * self.outer[1]

    @cached_property
    def hull_excess(self):
        # Enclosing area minus union; the identity C - A_p - A_t + w_I h_I =
        # s_px s_ty + s_tx s_py holds for any pair, with w_I h_I the signed product.
        return (
            self.stick_p[0] * self.stick_t[1]
            + self.stick_t[0] * self.stick_p[1]
            - np.where(self.overlap, 0.0, self.inner[0] * self.inner[1])
        )

    @cached_property
    def offset(self):
        # Centre offset from coordinate differences, not from rounded centres.
        return 0.5 * ((self.lo_p - self.lo_t) + (self.hi_p - self.hi_t))

    @cached_property
    def dist2(self):
        return self.offset[0] ** 2 + self.offset[1] ** 2

    @cached_property
    def diag2(self):
        return self.outer[0] ** 2 + self.outer[1] ** 2

    @cached_property
    def lo_inside(self):
        """d max(lo_p, lo_t) / d lo_p (1 - it is d min(lo_p, lo_t) / d lo_p)."""
        return edge_weight(self.lo_p - self.lo_t)

    @cached_property
    def hi_inside(self):
        """d min(hi_p, hi_t) / d hi_p (1 - it is d max(hi_p, hi_t) / d hi_p)."""
        return edge_weight(self.hi_t - self.hi_p)

    @staticmethod
    def as_boxes(grad):
        """(4, ...) gradient rows to the (..., 4) layout of the boxes."""
        return np.ascontiguousarray(grad.reshape(4, -1).T).reshape(grad.shape[1:] + (4,))

    # Values -----------------------------------------------------------------
    def one_minus_iou(self):
        """1 - I / (U + eps), written as (U - I + eps) / (U + eps)."""
        return (self.union_excess + EPS) / (self.union + EPS)

    def hull_penalty(self):
        """(C - U) / (C + eps), the GIoU term."""
        return self.hull_excess / (self.hull + EPS)

    def centre_penalty(self):
        """d^2 / (c^2 + eps), the DIoU term."""
        return self.dist2 / (self.diag2 + EPS)

    def aspect_gap(self):
        """atan(w_t / h_t) - atan(w_p / h_p); arctan2 gives pi/2 at zero height."""
        return (np.arctan2(self.size_t[0], self.size_t[1])
                - np.arctan2(self.size_p[0], self.size_p[1]))

    def ciou_alpha(self):
        """alpha = v / (1 - IoU + v + eps), a constant for differentiation, and v."""
        v = ASPECT_SCALE * self.aspect_gap() ** 2
        return v / (self.one_minus_iou() + v + EPS), v

    # Gradients of the building blocks, (4, ...) ------------------------------
    def d_inter(self):
        other = self.inner[::-1] * self.overlap
        return np.concatenate([-self.lo_inside * other, self.hi_inside * other])

    def d_area_p(self):
        other = self.size_p[::-1]
        return np.concatenate([-other, other])

    def d_hull(self):
        other = self.outer[::-1]
        return np.concatenate([-(1.0 - self.lo_inside) * other, (1.0 - self.hi_inside) * other])

    def d_diag2(self):
        return 2.0 * np.concatenate([-(1.0 - self.lo_inside) * self.outer,
                                     (1.0 - self.hi_inside) * self.outer])

    def d_dist2(self):
        return np.concatenate([self.offset, self.offset])

    def d_aspect(self):
        """Gradient of v = (4/pi^2) (atan(w_t/h_t) - atan(w_p/h_p))^2."""
        width, height = self.size_p
        # d atan(w/h) / d(w, h) = (h, -w) / (w^2 + h^2)
        d_angle = np.stack([height, -width]) / (width**2 + height**2)
        d_size = -2.0 * ASPECT_SCALE * self.aspect_gap() * d_angle
        return np.concatenate([-d_size, d_size])

    # Gradients of the loss terms, (4, ...) -----------------------------------
    def d_one_minus_iou(self):
        d_inter = self.d_inter()
        d_union = self.d_area_p() - d_inter
        union_eps = self.union + EPS
        return (self.inter * d_union - union_eps * d_inter) / union_eps**2

    def d_hull_penalty(self):
        d_union = self.d_area_p() - self.d_inter()
        hull_eps = self.hull + EPS
        return (self.d_hull() * (self.union + EPS) - d_union * hull_eps) / hull_eps**2

    def d_centre_penalty(self):
        return (self.d_dist2() - self.centre_penalty() * self.d_diag2()) / (self.diag2 + EPS)
