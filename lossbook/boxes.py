r"""Bounding-box overlap and the IoU family of losses.

A box is a row ``(x1, y1, x2, y2)`` with :math:`x_2 \ge x_1` and
:math:`y_2 \ge y_1`; arrays of boxes have shape ``(..., 4)``. The two
arguments hold *matched pairs*: box ``k`` of the target is compared with box
``k`` of the prediction, element by element (not every box against every box,
as ``torchvision.ops.box_iou`` does). Zero-width or zero-height boxes are
valid.

The losses follow ``torchvision.ops`` (``generalized_box_iou_loss``,
``distance_box_iou_loss``, ``complete_box_iou_loss``) with
:math:`\varepsilon = 10^{-7}` added to the same denominators; the only
difference of interface is the default ``reduction="mean"`` (torchvision's
default is ``"none"``).

Numerics. Every loss contains :math:`1 - \mathrm{IoU}`, which cancels
catastrophically when the boxes nearly coincide if computed as written. Here
the union minus the intersection, and the enclosing box minus the union, are
assembled from the lengths by which one interval sticks out of the other
(single differences of coordinates), so each loss is a sum of non-negative
terms and keeps full relative accuracy down to nearly coinciding boxes. Centre
distances are likewise formed from coordinate differences, not from rounded
centres.

Gradients are analytic, with respect to the predicted box, and follow the
subgradient that PyTorch's autograd takes through torchvision's code: where
``max``/``min`` tie (an edge of the prediction on an edge of the target), the
gradient is shared equally between the two arguments, which at a single tie is
the symmetric (central) derivative; where the boxes merely touch, the
intersection is zero and so is its gradient.

Symbolic definitions. ``loss.symbolic()`` returns one pair's loss in the eight
coordinates :data:`BOX_TRUE_SYMBOLS` and :data:`BOX_PRED_SYMBOLS`, with
intersection and enclosing box written with ``Max``/``Min`` and
:math:`\varepsilon` as the exact rational :math:`10^{-7}`; the CIoU weight is
the free symbol :data:`CIOU_ALPHA` (see :func:`ciou_loss`).
"""

import numpy as np
import sympy as sp

from ._box_geometry import Pairs
from ._registry import Argument, register_loss

__all__ = [
    "BOX_PRED_SYMBOLS",
    "BOX_TRUE_SYMBOLS",
    "CIOU_ALPHA",
    "box_iou",
    "ciou_loss",
    "diou_loss",
    "giou_loss",
    "iou_loss",
]


#: Target box :math:`(x_1, y_1, x_2, y_2)` as sympy symbols, for ``symbolic()``.
BOX_TRUE_SYMBOLS = tuple(sp.Symbol(name, real=True) for name in ("x_1", "y_1", "x_2", "y_2"))
#: Predicted box :math:`(\hat x_1, \hat y_1, \hat x_2, \hat y_2)` as sympy symbols.
BOX_PRED_SYMBOLS = tuple(
    sp.Symbol(rf"\hat{{{axis}}}_{corner}", real=True)
    for axis, corner in (("x", 1), ("y", 1), ("x", 2), ("y", 2))
)
_BOX_ARGS = (
    Argument("boxes_true", sp.Symbol("B"), components=BOX_TRUE_SYMBOLS,
             domain="boxes (..., 4) = (x1, y1, x2, y2), x2 >= x1, y2 >= y1"),
    Argument("boxes_pred", sp.Symbol(r"\hat{B}"), differentiable=True, components=BOX_PRED_SYMBOLS,
             domain="boxes (..., 4), matched pair by pair with boxes_true"),
)
# LaTeX of the gradients with respect to the predicted box, built from the gradients of the
# intersection I, the union U, the enclosing area C, the squared centre distance rho^2 and
# the squared enclosing diagonal c^2 (see Pairs).
_D_IOU = (r"\nabla \ell = \frac{I\,\nabla U - (U + \varepsilon)\,\nabla I}"
          r"{(U + \varepsilon)^2}")
_D_CENTRE = (r" + \frac{\nabla \rho^2}{c^2 + \varepsilon} - \frac{\rho^2\,\nabla c^2}"
             r"{(c^2 + \varepsilon)^2}")

#: The CIoU trade-off weight :math:`\alpha`, held constant when differentiating.
CIOU_ALPHA = sp.Symbol(r"\alpha_{\mathrm{CIoU}}", nonnegative=True)


# Symbolic definitions --------------------------------------------------------
def _symbolic_terms():
    """sympy IoU, GIoU penalty, DIoU penalty and aspect term v for one pair."""
    eps = sp.Rational(1, 10**7)
    x1, y1, x2, y2 = BOX_TRUE_SYMBOLS
    u1, v1, u2, v2 = BOX_PRED_SYMBOLS
    inter = sp.Max(0, sp.Min(x2, u2) - sp.Max(x1, u1)) * sp.Max(0, sp.Min(y2, v2) - sp.Max(y1, v1))
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    hull = (sp.Max(x2, u2) - sp.Min(x1, u1)) * (sp.Max(y2, v2) - sp.Min(y1, v1))
    diag2 = (sp.Max(x2, u2) - sp.Min(x1, u1)) ** 2 + (sp.Max(y2, v2) - sp.Min(y1, v1)) ** 2
    dist2 = ((u1 + u2) / 2 - (x1 + x2) / 2) ** 2 + ((v1 + v2) / 2 - (y1 + y2) / 2) ** 2
    aspect = 4 / sp.pi**2 * (sp.atan((x2 - x1) / (y2 - y1)) - sp.atan((u2 - u1) / (v2 - v1))) ** 2
    return {
        "iou": inter / (union + eps),
        "hull": (hull - union) / (hull + eps),
        "centre": dist2 / (diag2 + eps),
        "aspect": aspect,
    }


def _iou_loss_symbolic():
    r""":math:`1 - I/(U + \varepsilon)` in :data:`BOX_TRUE_SYMBOLS`, :data:`BOX_PRED_SYMBOLS`."""
    return 1 - _symbolic_terms()["iou"]


def _giou_loss_symbolic():
    r""":math:`1 - \mathrm{IoU} + (C - U)/(C + \varepsilon)` in the box symbols."""
    terms = _symbolic_terms()
    return 1 - terms["iou"] + terms["hull"]


def _diou_loss_symbolic():
    r""":math:`1 - \mathrm{IoU} + d^2/(c^2 + \varepsilon)` in the box symbols."""
    terms = _symbolic_terms()
    return 1 - terms["iou"] + terms["centre"]


def _ciou_loss_symbolic():
    r"""DIoU loss :math:`+\ \alpha v`, with :math:`\alpha` the free symbol :data:`CIOU_ALPHA`."""
    terms = _symbolic_terms()
    return 1 - terms["iou"] + terms["centre"] + CIOU_ALPHA * terms["aspect"]


# Gradients --------------------------------------------------------------------
def _iou_loss_grad(boxes_true, boxes_pred):
    """Gradient of the sum-reduced :func:`iou_loss` with respect to ``boxes_pred``."""
    pairs = Pairs(boxes_true, boxes_pred)
    return pairs.as_boxes(pairs.d_one_minus_iou())


def _giou_loss_grad(boxes_true, boxes_pred):
    """Gradient of the sum-reduced :func:`giou_loss` with respect to ``boxes_pred``."""
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True)
    return pairs.as_boxes(pairs.d_one_minus_iou() + pairs.d_hull_penalty())


def _diou_loss_grad(boxes_true, boxes_pred):
    """Gradient of the sum-reduced :func:`diou_loss` with respect to ``boxes_pred``."""
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True)
    return pairs.as_boxes(pairs.d_one_minus_iou() + pairs.d_centre_penalty())


def _ciou_loss_grad(boxes_true, boxes_pred):
    """Gradient of the sum-reduced :func:`ciou_loss`, with alpha held constant."""
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True, aspect=True)
    alpha, _ = pairs.ciou_alpha(pairs.one_minus_iou())
    d_aspect = alpha * pairs.d_aspect()  # the same outward for both edges of an axis
    return pairs.as_boxes(pairs.d_one_minus_iou() + pairs.d_centre_penalty()
                          + np.concatenate((d_aspect, d_aspect)))


# Public functions -------------------------------------------------------------
def box_iou(boxes_a, boxes_b):
    r"""Intersection over union of matched pairs of boxes.

    .. math:: \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|}

    Jaccard's index of the two rectangles (Jaccard, 1912), exactly, with no
    :math:`\varepsilon`. Two boxes of zero area have an empty union; their
    IoU is defined here as 0 (torchvision's ``box_iou`` returns NaN there).
    Boxes that merely touch have IoU 0.

    Parameters
    ----------
    boxes_a, boxes_b : array_like, shape (..., 4)
        Boxes ``(x1, y1, x2, y2)`` with ``x2 >= x1`` and ``y2 >= y1``; pair
        ``k`` of ``boxes_a`` is compared with pair ``k`` of ``boxes_b``.

    Returns
    -------
    ndarray, shape (...,)
        IoU of each pair, in [0, 1].

    See Also
    --------
    iou_loss : :math:`1 - \mathrm{IoU}`, with torchvision's :math:`\varepsilon`.

    Examples
    --------
    >>> from lossbook import box_iou
    >>> box_iou([[0, 0, 2, 2], [0, 0, 1, 1]], [[1, 1, 3, 3], [2, 2, 3, 3]])
    array([0.14285714, 0.        ])
    """
    pairs = Pairs(boxes_a, boxes_b, ("boxes_a", "boxes_b"))
    iou = np.divide(pairs.inter, pairs.union, out=np.zeros_like(pairs.union),
                    where=pairs.union > 0)
    return iou.reshape(pairs.shape)


@register_loss(
    grad=_iou_loss_grad,
    symbolic=_iou_loss_symbolic,
    family="boxes",
    estimates="the target box (minimal loss iff the boxes coincide)",
    bounded_gradient=True,
    chapter="detection/iou-losses",
    arguments=_BOX_ARGS,
    element="box",
    formula=r"1 - \mathrm{IoU}, \quad \mathrm{IoU} = \frac{I}{U + \varepsilon}",
    gradients=(_D_IOU,),
)
def iou_loss(boxes_true, boxes_pred):
    r"""IoU loss: one minus the intersection over union.

    .. math::
        \ell(B, \hat B) = 1 - \frac{I}{U + \varepsilon},
        \qquad I = |B \cap \hat B|,\quad U = |B| + |\hat B| - I,
        \quad \varepsilon = 10^{-7}

    Yu et al. (2016, UnitBox) proposed regressing the four box edges jointly
    through the IoU, with the loss :math:`-\ln \mathrm{IoU}`; the linear form
    :math:`1 - \mathrm{IoU}` is the one Zheng et al. (2020) simulate.
    torchvision has no plain IoU loss; the :math:`\varepsilon` is that of its
    other box losses. Boxes that do not overlap all have loss 1 and a zero
    gradient, so the loss cannot pull a disjoint prediction towards its
    target: the problem the GIoU, DIoU and CIoU losses solve. For a fixed
    target of positive area the gradient is bounded, by a multiple of one over
    the target's size. Identical boxes of area :math:`A` have loss
    :math:`\varepsilon / (A + \varepsilon)`.

    Parameters
    ----------
    boxes_true, boxes_pred : array_like, shape (..., 4)
        Target and predicted boxes ``(x1, y1, x2, y2)`` with ``x2 >= x1``,
        ``y2 >= y1``, the same shape (never broadcast), compared pair by pair.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair, shape ``(...,)``
        (torchvision's default).

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    See Also
    --------
    box_iou : the exact IoU, without :math:`\varepsilon`.
    giou_loss : adds a penalty that is non-zero for disjoint boxes.

    Examples
    --------
    >>> from lossbook import iou_loss
    >>> round(float(iou_loss([0, 0, 2, 2], [1, 1, 3, 3])), 6)   # 1 - 1/7
    0.857143
    >>> import numpy as np
    >>> bool(np.all(iou_loss.grad([0, 0, 1, 1], [2, 2, 3, 3]) == 0))   # disjoint: no signal
    True
    """
    pairs = Pairs(boxes_true, boxes_pred)
    return pairs.per_pair(pairs.one_minus_iou())


@register_loss(
    grad=_giou_loss_grad,
    symbolic=_giou_loss_symbolic,
    family="boxes",
    estimates="the target box (minimal loss iff the boxes coincide)",
    bounded_gradient=True,
    chapter="detection/iou-losses",
    arguments=_BOX_ARGS,
    element="box",
    formula=r"1 - \mathrm{IoU} + \frac{C - U}{C + \varepsilon}",
    gradients=(_D_IOU + r" + \frac{(U + \varepsilon)\,\nabla C - (C + \varepsilon)\,\nabla U}"
               r"{(C + \varepsilon)^2}",),
)
def giou_loss(boxes_true, boxes_pred):
    r"""Generalized IoU loss (torchvision's ``generalized_box_iou_loss``).

    .. math::
        \ell(B, \hat B) = 1 - \frac{I}{U + \varepsilon}
        + \frac{C - U}{C + \varepsilon},\qquad \varepsilon = 10^{-7}

    with :math:`I` and :math:`U` the intersection and union areas and
    :math:`C` the area of the smallest box enclosing both (Rezatofighi et al.,
    2019). The GIoU :math:`\mathrm{IoU} - (C - U)/C`
    lies in :math:`[-1, 1]`, so the loss lies in :math:`[0, 2]`. For disjoint
    boxes the penalty still shrinks as the prediction moves towards the
    target, so the gradient is non-zero where the IoU loss's vanishes. When
    one box contains the other, :math:`C = U` and the loss equals
    :func:`iou_loss`. For a fixed target of positive area the gradient is
    bounded.

    Parameters
    ----------
    boxes_true, boxes_pred : array_like, shape (..., 4)
        Target and predicted boxes ``(x1, y1, x2, y2)`` with ``x2 >= x1``,
        ``y2 >= y1``, the same shape (never broadcast), compared pair by pair.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair (torchvision's default).

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    See Also
    --------
    diou_loss : penalises the distance between centres instead.

    Examples
    --------
    >>> from lossbook import giou_loss
    >>> round(float(giou_loss([0, 0, 2, 2], [1, 1, 3, 3])), 6)   # 1 - 1/7 + 2/9
    1.079365
    >>> g = giou_loss.grad([0, 0, 1, 1], [2, 0.5, 3, 1.5])   # disjoint, yet a signal
    >>> g.round(6)
    array([ 0.222222,  0.222222, -0.074074,  0.074074])
    >>> float(g[0] + g[2]) > 0   # moving right would raise the loss: pulled left
    True
    """
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True)
    return pairs.per_pair(pairs.one_minus_iou() + pairs.hull_penalty())


@register_loss(
    grad=_diou_loss_grad,
    symbolic=_diou_loss_symbolic,
    family="boxes",
    estimates="the target box (minimal loss iff the boxes coincide)",
    bounded_gradient=True,
    chapter="detection/iou-losses",
    arguments=_BOX_ARGS,
    element="box",
    formula=r"1 - \mathrm{IoU} + \frac{\rho^2}{c^2 + \varepsilon}",
    gradients=(_D_IOU + _D_CENTRE,),
)
def diou_loss(boxes_true, boxes_pred):
    r"""Distance-IoU loss (torchvision's ``distance_box_iou_loss``).

    .. math::
        \ell(B, \hat B) = 1 - \frac{I}{U + \varepsilon}
        + \frac{d^2}{c^2 + \varepsilon},\qquad \varepsilon = 10^{-7}

    with :math:`d` the distance between the centres of the two boxes and
    :math:`c` the diagonal of the smallest box enclosing both (Zheng et al.,
    2020). Unlike the GIoU penalty, the centre penalty stays
    non-zero when one box contains the other off-centre, which is why Zheng
    et al. (2020) find it converges faster. For a fixed target of positive
    area the gradient is bounded.

    Parameters
    ----------
    boxes_true, boxes_pred : array_like, shape (..., 4)
        Target and predicted boxes ``(x1, y1, x2, y2)`` with ``x2 >= x1``,
        ``y2 >= y1``, the same shape (never broadcast), compared pair by pair.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair (torchvision's default).

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    See Also
    --------
    ciou_loss : adds an aspect-ratio term.

    Examples
    --------
    >>> from lossbook import diou_loss
    >>> round(float(diou_loss([0, 0, 2, 2], [1, 1, 3, 3])), 6)   # 1 - 1/7 + 2/18
    0.968254
    """
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True)
    return pairs.per_pair(pairs.one_minus_iou() + pairs.centre_penalty())


@register_loss(
    grad=_ciou_loss_grad,
    symbolic=_ciou_loss_symbolic,
    family="boxes",
    estimates="the target box (minimal loss iff the boxes coincide)",
    bounded_gradient=False,
    chapter="detection/iou-losses",
    arguments=_BOX_ARGS,
    element="box",
    formula=(r"1 - \mathrm{IoU} + \frac{\rho^2}{c^2 + \varepsilon} + \alpha v, \quad "
             r"v = \frac{4}{\pi^2}\Big(\arctan\frac{w}{h} - \arctan\frac{\hat w}{\hat h}\Big)^2,"
             r"\ \alpha = \frac{v}{1 - \mathrm{IoU} + v + \varepsilon}"),
    gradients=(_D_IOU + _D_CENTRE + r" + \alpha\,\nabla v \ (\alpha\ \text{held constant}), "
               r"\quad \frac{\partial v}{\partial (\hat w, \hat h)} = -\frac{8}{\pi^2}"
               r"\Big(\arctan\frac{w}{h} - \arctan\frac{\hat w}{\hat h}\Big)"
               r"\frac{(\hat h, -\hat w)}{\hat w^2 + \hat h^2}",),
)
def ciou_loss(boxes_true, boxes_pred):
    r"""Complete-IoU loss (torchvision's ``complete_box_iou_loss``).

    .. math::
        \ell(B, \hat B) = 1 - \mathrm{IoU} + \frac{d^2}{c^2 + \varepsilon} + \alpha v,
        \qquad v = \frac{4}{\pi^2}\Big(\arctan\frac{w}{h}
        - \arctan\frac{\hat w}{\hat h}\Big)^2,
        \qquad \alpha = \frac{v}{1 - \mathrm{IoU} + v + \varepsilon}

    with :math:`\mathrm{IoU} = I/(U + \varepsilon)`, :math:`\varepsilon =
    10^{-7}`, the DIoU terms of :func:`diou_loss`, and :math:`(w, h)`,
    :math:`(\hat w, \hat h)` the widths and heights of the target and the
    prediction (Zheng et al., 2020). As in the paper and in torchvision
    (which computes :math:`\alpha` under ``torch.no_grad()``), :math:`\alpha`
    is a weight evaluated at the current boxes and *held constant* in the
    gradient, which is therefore that of the DIoU loss plus
    :math:`\alpha\,\partial v`; ``ciou_loss.symbolic()`` accordingly keeps
    :math:`\alpha` as the free symbol :data:`CIOU_ALPHA`, to be substituted
    after differentiating. A box of zero height has aspect angle
    :math:`\pi/2` (torchvision's :math:`\arctan(w/0)`); a box of zero width
    *and* height has no aspect ratio and is rejected. The gradient is not
    bounded: :math:`\partial v` grows like one over the size of the predicted
    box as it shrinks.

    Parameters
    ----------
    boxes_true, boxes_pred : array_like, shape (..., 4)
        Target and predicted boxes ``(x1, y1, x2, y2)`` with ``x2 >= x1``,
        ``y2 >= y1``, not both equal, the same shape (never broadcast),
        compared pair by pair.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair (torchvision's default).

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    Examples
    --------
    Same centre and area, different shape: only the aspect term is left.

    >>> from lossbook import ciou_loss, diou_loss
    >>> target, wide = [0, 0, 2, 2], [-1, 0.5, 3, 1.5]
    >>> round(float(ciou_loss(target, wide) - diou_loss(target, wide)), 6)
    0.017847
    """
    pairs = Pairs(boxes_true, boxes_pred, enclosing=True, aspect=True)
    one_minus_iou = pairs.one_minus_iou()
    alpha, v = pairs.ciou_alpha(one_minus_iou)
    return pairs.per_pair(one_minus_iou + pairs.centre_penalty() + alpha * v)
