r"""Metric-learning losses on embeddings (issue 15).

Embeddings are rows: the last axis holds a vector, every leading axis indexes
pairs, triplets or queries. A norm is the plain square root of the sum of squares
where that can neither overflow nor underflow (every entry below 2^440 in size, the
squared norm above 2^-900), and is computed after dividing the row by its largest
entry elsewhere (row by row), so rows with norms from 1e-150 to 1e150 get accurate
norms, and each row's result depends on that row alone. :func:`contrastive_loss`,
:func:`triplet_margin_loss` and :func:`cosine_embedding_loss` give one value per row;
:func:`hinge_embedding_loss` is elementwise on given distances (InfoNCE, a
softmax over a batch, is in :mod:`lossbook.infonce`). Losses with several
embedding inputs return one gradient per input, in argument order.
``embedding_symbols(name, k)`` gives the symbols of the ``symbolic()``
definitions.
"""

import math

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._rowwise import (
    HALF,
    ONE,
    PLAIN_ENTRY_MAX,
    TINY_0D,
    ZERO,
    checked_rows,
    euclidean_norms,
    labels_for_rows,
    p_norm_gradient,
    p_norm_parts,
    shifted_difference,
    shifted_norms,
    sides,
    signed_label_mask,
)
from ._validation import as_float_array, check_bool, check_same_shape, check_scalar

__all__ = [
    "contrastive_loss",
    "triplet_margin_loss",
    "cosine_embedding_loss",
    "hinge_embedding_loss",
]

#: PyTorch's constant added to each squared norm in :func:`cosine_embedding_loss`
COSINE_EPS = 1e-12
_COSINE_ROOT = np.array(math.sqrt(COSINE_EPS))  # a 0-d array for speed (see ZERO)
#: a given distance :math:`x` (:func:`hinge_embedding_loss`)
distance_symbol = sp.Symbol("x", real=True)

_X1, _X2 = sp.Symbol("x_1"), sp.Symbol("x_2")
_ANCHOR, _POSITIVE, _NEGATIVE = sp.Symbol("a"), sp.Symbol("x^{+}"), sp.Symbol("x^{-}")


def embedding_symbols(name, k):
    r"""Real symbols ``name_0, ..., name_{k-1}`` for the entries of one embedding row.

    Examples
    --------
    >>> from lossbook.similarity import embedding_symbols
    >>> embedding_symbols("a", 2)
    (a_0, a_1)
    """
    return tuple(sp.Symbol(f"{name}_{j}", real=True) for j in range(k))


def _components(name):
    return lambda k: embedding_symbols(name, k)


# --------------------------------------------------------------------------
# Contrastive loss (Hadsell, Chopra & LeCun, 2006)
# --------------------------------------------------------------------------


def _contrastive_parts(y_true, x1, x2, margin):
    """(similar, its count, margin, x1 - x2, its Euclidean norms (keepdims)), similar the
    mask of y = 1."""
    (x1, x2), bound = checked_rows((x1, x2), ("x1", "x2"))
    y = labels_for_rows(y_true, x1, "x1")
    similar = y == ONE
    n_similar = np.count_nonzero(similar)
    if n_similar + np.count_nonzero(y == ZERO) != y.size:  # a label other than 0 or 1
        labels_for_rows(y, x1, "x1", checked=True)
        raise ValueError("y_true must contain labels in {0, 1} (1: similar pair)")
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    diff = x1 - x2
    return similar, n_similar, margin, diff, euclidean_norms(diff, 2.0 * bound)


def _contrastive_grad(y_true, x1, x2, *, margin=1.0):
    """(d/dx1, d/dx2): x1 - x2 for a similar pair; -(m - d) (x1 - x2)/d for a
    dissimilar pair closer than m (0 at d = 0); opposite signs for x2."""
    similar, _, margin, diff, norm = _contrastive_parts(y_true, x1, x2, margin)
    direction = diff / np.maximum(norm, TINY_0D)  # 0 for a zero row
    # labels are 0 or 1: where y = 0 the push is m - d inside the margin, 0 beyond it
    push = np.where(similar, ZERO, np.maximum(margin - norm[..., 0], ZERO))[..., None]
    grad = np.where(similar[..., None], diff, -push * direction)
    return grad, -grad


def _contrastive_symbolic(k=3):
    """One pair: y d^2 / 2 + (1 - y) max(0, m - d)^2 / 2, d the Euclidean distance."""
    x1, x2 = embedding_symbols("x1", k), embedding_symbols("x2", k)
    d = sp.sqrt(sum((u - v) ** 2 for u, v in zip(x1, x2, strict=True)))
    return s.y * d**2 / 2 + (1 - s.y) * sp.Max(0, s.margin - d) ** 2 / 2


@register_loss(
    family="similarity",
    chapter="overlap-similarity/metric-learning",
    estimates=("an embedding in which similar pairs coincide and dissimilar pairs are at "
               "least m apart"),
    bounded_gradient=False,
    arguments=(
        Argument("y_true", s.y, domain="pair labels in {0, 1} (1: similar), one per row"),
        Argument("x1", _X1, differentiable=True, components=_components("x1"),
                 domain="real embeddings, shape (..., d)"),
        Argument("x2", _X2, differentiable=True, components=_components("x2"),
                 domain="real embeddings, same shape as x1"),
    ),
    parameters={"margin": s.margin},
    element="embedding row",
    formula=(r"\tfrac12\,y\,d^2 + \tfrac12\,(1 - y)\max(0,\ m - d)^2, "
             r"\quad d = \lVert x_1 - x_2 \rVert_2"),
    gradients=(r"\nabla_{x_1}\ell = y\,(x_1 - x_2) - (1 - y)\max(0,\ m - d)\,"
               r"\frac{x_1 - x_2}{d}\ (0\ \text{at}\ d = 0)",
               r"\nabla_{x_2}\ell = -\nabla_{x_1}\ell"),
    grad=_contrastive_grad,
    symbolic=_contrastive_symbolic,
)
def contrastive_loss(y_true, x1, x2, *, margin=1.0):
    r"""Contrastive loss of Hadsell, Chopra & LeCun (2006), one value per pair of rows.

    .. math:: \ell(y, x_1, x_2) = \tfrac12\,y\,d^2 + \tfrac12\,(1 - y)\max(0,\ m - d)^2,
        \qquad d = \lVert x_1 - x_2\rVert_2

    A similar pair (:math:`y = 1`) is pulled together; a dissimilar pair
    (:math:`y = 0`) is pushed apart until it is :math:`m` apart, and then left alone.

    Parameters
    ----------
    y_true : array_like, shape (...)
        1 for a similar pair, 0 for a dissimilar one; one label per row.
    x1, x2 : array_like, shape (..., d)
        The two embeddings of each pair (never broadcast).
    margin : float, default 1.0
        Margin :math:`m > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    Notes
    -----
    ``contrastive_loss.grad`` returns ``(d/dx1, d/dx2)``. For a dissimilar pair
    at :math:`d = 0` the direction of the push is undefined; the gradient
    returned there is 0.

    Examples
    --------
    >>> from lossbook import contrastive_loss
    >>> contrastive_loss([1, 0, 0], [[3.0, 0.0], [0.3, 0.4], [2.0, 0.0]],
    ...                  [[0.0, 4.0], [0.0, 0.0], [0.0, 0.0]], reduction="none")
    array([12.5  ,  0.125,  0.   ])
    >>> g1, g2 = contrastive_loss.grad([0], [[0.3, 0.4]], [[0.0, 0.0]])
    >>> g1  # -(1 - 0.5) (0.6, 0.8)
    array([[-0.3, -0.4]])
    """
    similar, n_similar, margin, _, norm = _contrastive_parts(y_true, x1, x2, margin)
    # one square of what is squared: the distance d for a similar pair, max(0, m - d)
    # otherwise (each formula only where some pair needs it; on the norms, which keep the
    # row axis, so that one row stays an array without the cost of out= on small arrays)
    if not n_similar:
        norm = np.maximum(margin - norm, ZERO)
    elif n_similar != similar.size:
        norm = np.where(similar[..., None], norm, np.maximum(margin - norm, ZERO))
    return (HALF * norm * norm)[..., 0]


# --------------------------------------------------------------------------
# Triplet margin loss (PyTorch semantics)
# --------------------------------------------------------------------------


def _distance(a, b, eps, p, bound, want_grad):
    """||a - b + eps||_p per row and, with want_grad, its gradient with respect to a (None
    without); ``bound`` bounds every |a_j - b_j + eps| (see lossbook._rowwise.plain_norm2)."""
    if p == 2.0 and not want_grad:
        return shifted_norms(a, b, eps, bound)[..., 0], None
    v = shifted_difference(a, b, eps)
    if p == 2.0:
        norm = euclidean_norms(v, bound)
        return norm[..., 0], v / np.maximum(norm, TINY_0D)
    scale, u, root = p_norm_parts(v, p)
    return (scale * root)[..., 0], (p_norm_gradient(v, u, root, p) if want_grad else None)


def _triplet_parts(anchor, positive, negative, margin, p, eps, swap, want_grad):
    """The hinge per triplet and, with want_grad, the gradients g of the distances to x+
    and x- (as a pair: see lossbook._rowwise.pair); with swap, the mask of the triplets
    that use d(x+, x-) and that distance's gradient (both None otherwise)."""
    rows, bound = checked_rows((anchor, positive, negative), ("anchor", "positive", "negative"))
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    p = check_scalar(p, "p", low=1.0)
    eps = check_scalar(eps, "eps", low=0.0)
    swap = check_bool(swap, "swap")
    bound = 2.0 * bound + eps  # of every entry of u - v + eps
    # Both distances at once: the same ufunc calls on the pair (x+, x-).
    a = rows[0]
    (d_pos, d_neg), g = sides(lambda other: _distance(a, other, eps, p, bound, want_grad),
                              rows[1:])
    swapped = g_swap = None
    if swap:
        d_swap, g_swap = _distance(rows[1], rows[2], eps, p, bound, want_grad)
        swapped = d_swap < d_neg
        d_neg = np.where(swapped, d_swap, d_neg)
    hinge = (d_pos - d_neg) + margin  # the margin survives next to huge distances
    return hinge, g, swapped, g_swap


def _triplet_grad(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False):
    """(d/danchor, d/dpositive, d/dnegative) where the hinge is active (0 elsewhere)."""
    hinge, g, swapped, g_swap = _triplet_parts(anchor, positive, negative, margin, p, eps,
                                               swap, want_grad=True)
    active = (hinge > 0)[..., None]
    if swapped is None:  # g = (g(a - x+), g(a - x-))
        if np.count_nonzero(active) == active.size:  # every hinge active: no mask (same bits)
            return g[0] - g[1], -g[0], g[1]
        masked = sides(lambda side: np.where(active, side, ZERO), g)
        return masked[0] - masked[1], np.where(active, -g[0], ZERO), masked[1]
    g_pos, g_neg = g
    swapped = swapped[..., None]
    d_anchor = np.where(active, g_pos - np.where(swapped, 0.0, g_neg), 0.0)
    d_positive = np.where(active, -g_pos - np.where(swapped, g_swap, 0.0), 0.0)
    d_negative = np.where(active, np.where(swapped, g_swap, g_neg), 0.0)
    return d_anchor, d_positive, d_negative


def _triplet_symbolic(k=3, p=2.0, eps=1e-6, swap=False):
    """One triplet, PyTorch's definition with the numbers p and eps."""
    a = embedding_symbols("a", k)
    pos, neg = embedding_symbols("x^{+}", k), embedding_symbols("x^{-}", k)
    eps = sp.Float(eps)

    def dist(u, v):
        if p == 2:
            return sp.sqrt(sum((ui - vi + eps) ** 2 for ui, vi in zip(u, v, strict=True)))
        power = sp.nsimplify(p)
        return sum(sp.Abs(ui - vi + eps) ** power
                   for ui, vi in zip(u, v, strict=True)) ** (1 / power)

    d_neg = sp.Min(dist(a, neg), dist(pos, neg)) if swap else dist(a, neg)
    return sp.Max(dist(a, pos) - d_neg + s.margin, 0)


@register_loss(
    family="similarity",
    chapter="overlap-similarity/metric-learning",
    estimates=("an embedding in which each anchor is closer to its positive than to its "
               "negative by at least m"),
    bounded_gradient=True,
    arguments=(
        Argument("anchor", _ANCHOR, differentiable=True, components=_components("a"),
                 domain="real embeddings, shape (..., d)"),
        Argument("positive", _POSITIVE, differentiable=True, components=_components("x^{+}"),
                 domain="real embeddings of the same class, same shape"),
        Argument("negative", _NEGATIVE, differentiable=True, components=_components("x^{-}"),
                 domain="real embeddings of another class, same shape"),
    ),
    parameters={"margin": s.margin, "p": None, "eps": None, "swap": None},
    element="embedding row",
    formula=(r"\max\big(0,\ m + d(a, x^{+}) - d(a, x^{-})\big), \quad d(u, v) = "
             r"\lVert u - v + \epsilon \rVert_p\ \big(\text{swap: } d(a, x^{-}) \to "
             r"\min(d(a, x^{-}), d(x^{+}, x^{-}))\big)"),
    gradients=(r"\nabla_a \ell = g(a - x^{+}) - g(a - x^{-}),\quad g(v) = \nabla \lVert v + "
               r"\epsilon \rVert_p\ (\text{where}\ \ell > 0)",
               r"\nabla_{x^{+}} \ell = -g(a - x^{+})",
               r"\nabla_{x^{-}} \ell = g(a - x^{-})"),
    grad=_triplet_grad,
    symbolic=_triplet_symbolic,
)
def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False):
    r"""Triplet margin loss, PyTorch semantics (Schroff et al., 2015; Balntas et al., 2016).

    .. math:: \ell(a, x^+, x^-) = \max\big(0,\ m + d(a, x^+) - d(a, x^-)\big),
        \qquad d(u, v) = \lVert u - v + \epsilon\rVert_p

    with :math:`\epsilon` added to every coordinate of the difference, as
    ``torch.nn.functional.pairwise_distance`` does. With ``swap`` (Balntas et
    al.'s distance swap), :math:`d(a, x^-)` is replaced by
    :math:`\min(d(a, x^-), d(x^+, x^-))`.

    Parameters
    ----------
    anchor, positive, negative : array_like, shape (..., d)
        Embeddings, one triplet per row (never broadcast).
    margin : float, default 1.0
        Margin :math:`m > 0`.
    p : float, default 2.0
        Order of the norm, :math:`p \ge 1`.
    eps : float, default 1e-6
        :math:`\epsilon \ge 0` added inside the distance.
    swap : bool, default False
        Use the distance swap.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per triplet.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-triplet losses for ``"none"``.

    Notes
    -----
    ``triplet_margin_loss.grad`` returns three arrays (anchor, positive,
    negative). Where the hinge is inactive, or exactly at its kink, the
    gradient is 0; at a tie of the swap the anchor-negative distance is used.
    :math:`u - v + \epsilon` is evaluated with the rounding error of
    :math:`u - v` carried along (TwoSum), so it is accurate even when
    :math:`u - v \approx -\epsilon`.

    Examples
    --------
    >>> from lossbook import triplet_margin_loss
    >>> float(triplet_margin_loss([[0.0, 0.0]], [[3.0, 4.0]], [[1.0, 0.0]], eps=0.0))  # 1 + 5 - 1
    5.0
    >>> triplet_margin_loss.grad([[0.0, 0.0]], [[3.0, 4.0]], [[1.0, 0.0]], eps=0.0)[1]
    array([[0.6, 0.8]])
    """
    hinge = _triplet_parts(anchor, positive, negative, margin, p, eps, swap, want_grad=False)[0]
    return np.maximum(hinge, ZERO)


# --------------------------------------------------------------------------
# Cosine embedding loss (PyTorch semantics)
# --------------------------------------------------------------------------


def _cosine_parts(y_true, x1, x2, margin, want_norm):
    """Validated labels and margin, the pair (lossbook._rowwise.pair) of the rows, the pairs
    of their norms (want_norm; else None) and of R = sqrt(||x||^2 + 1e-12) (keepdims: the
    hypot of norm and sqrt(1e-12) with want_norm, else _cosine_r), and the cosines x1 . x2
    / (R1 R2) (plain products cannot overflow; those that underflow are < 2^-122 R1 R2)."""
    xs, bound = checked_rows((x1, x2), ("x1", "x2"))
    similar, n_similar = signed_label_mask(labels_for_rows(y_true, xs[0], "x1"), xs[0])
    margin = check_scalar(margin, "margin", low=-1.0, high=1.0)
    norm = sides(lambda x: euclidean_norms(x, bound), xs) if want_norm else None
    r = (sides(lambda n: np.hypot(n, _COSINE_ROOT), norm) if want_norm
         else sides(lambda x: _cosine_r(x, bound), xs))
    if bound <= PLAIN_ENTRY_MAX:
        cos = np.add.reduce(xs[0] * xs[1], axis=-1) / (r[0] * r[1])[..., 0]
        return similar, n_similar, margin, xs, norm, r, cos
    # (rare) a product x1_j x2_j may overflow: such rows take the cosine of x1 / R1 and
    # x2 / R2, row by row (the others as above, so that each row depends on itself alone)
    with np.errstate(over="ignore", invalid="ignore"):
        plain = np.add.reduce(xs[0] * xs[1], axis=-1) / (r[0] * r[1])[..., 0]
    scaled = np.add.reduce((xs[0] / r[0]) * (xs[1] / r[1]), axis=-1)
    small = sides(lambda x: np.maximum.reduce(np.abs(x), axis=-1) <= PLAIN_ENTRY_MAX, xs)
    return similar, n_similar, margin, xs, norm, r, np.where(small[0] & small[1], plain, scaled)


def _cosine_r(x, bound):
    """R = sqrt(||x||^2 + 1e-12) (keepdims) for the loss alone: the plain sum of squares
    where no square overflows (one that underflows, < 2^-1022, is nothing next to R^2 >=
    1e-12: no lower bound needed); else, row by row, the hypot of norm and sqrt(1e-12)."""
    if bound <= PLAIN_ENTRY_MAX:
        return np.sqrt(np.add.reduce(x * x, axis=-1, keepdims=True) + COSINE_EPS)
    with np.errstate(over="ignore"):  # (rare) a huge entry squares to inf
        plain = np.sqrt(np.add.reduce(x * x, axis=-1, keepdims=True) + COSINE_EPS)
    small = np.maximum.reduce(np.abs(x), axis=-1, keepdims=True) <= PLAIN_ENTRY_MAX
    return np.where(small, plain, np.hypot(euclidean_norms(x, bound), _COSINE_ROOT))


def _one_minus_cosine(xs, r):
    """1 - cos as three non-negative terms (exact algebra, see the docstring)."""
    r1, r2 = r[0][..., 0], r[1][..., 0]
    inv_gap = ONE / r1 - ONE / r2
    diff = xs[0] / r[0] - xs[1] / r[1]
    np.multiply(diff, diff, out=diff)
    return (HALF * np.add.reduce(diff, axis=-1) + 0.5 * COSINE_EPS * inv_gap * inv_gap
            + COSINE_EPS / r1 / r2)


def _orthogonal_part(u, v, c):
    """v - (u . v) u for unit rows u, v (c = u . v), from the difference v -+ u, which is
    exactly 0 for parallel (or opposite) rows, so nothing is left of rounding there."""
    d = v - np.sign(c) * u
    return d - np.add.reduce(d * u, axis=-1, keepdims=True) * u


def _cosine_grad(y_true, x1, x2, *, margin=0.0):
    """(d/dx1, d/dx2). With u_i = x_i / ||x_i||, rho_i = ||x_i|| / R_i:
    grad_x1 cos = rho_2 / R_1 (u_2 - (u_1.u_2) u_1 + (eps / R_1^2)(u_1.u_2) u_1), the
    orthogonal part taken from a difference of unit rows; -that for y = 1, that for
    y = -1 with cos > m, 0 otherwise; the mirror image for x2 (both sides as one pair)."""
    similar, _, margin, xs, norm, r, cos = _cosine_parts(y_true, x1, x2, margin, True)
    units = sides(lambda x, n: x / np.maximum(n, TINY_0D), xs, norm)  # 0 for a zero row
    rho = sides(np.divide, norm, r)
    # u_1 . u_2 = cos / (rho_1 rho_2): only its sign (which difference of unit rows) and the
    # small eps term use it, so the few ulp of this route are enough
    c = cos[..., None] / np.maximum(rho[0] * rho[1], TINY_0D)

    def grad_cos(u, v, r_u, rho_v):  # grad_x1 cos from (u1, u2, R1, rho2); the mirror for x2
        return rho_v / r_u * (_orthogonal_part(u, v, c) + (COSINE_EPS / r_u / r_u) * c * u)

    sign = np.where(similar, -ONE, np.where(cos > margin, ONE, ZERO))[..., None]
    grads = sides(grad_cos, units, units[::-1], r, rho[::-1])
    if type(grads) is tuple:
        return tuple(sign * g for g in grads)
    return tuple(np.multiply(sign, grads, out=grads))  # both sides in one call


def _cosine_symbolic(k=3, eps=COSINE_EPS):
    """One pair: 1 - cos for y = 1, max(0, cos - m) for y = -1, with PyTorch's eps."""
    x1, x2 = embedding_symbols("x1", k), embedding_symbols("x2", k)
    eps = sp.Float(eps)
    cos = (sum(u * v for u, v in zip(x1, x2, strict=True))
           / sp.sqrt((sum(u**2 for u in x1) + eps) * (sum(v**2 for v in x2) + eps)))
    return sp.Piecewise((1 - cos, s.y > 0), (sp.Max(0, cos - s.margin), True))


@register_loss(
    family="similarity",
    chapter="overlap-similarity/metric-learning",
    estimates="an embedding in which similar pairs point the same way (angles, not lengths)",
    bounded_gradient=False,
    arguments=(
        Argument("y_true", s.y, domain="pair labels in {-1, +1} (+1: similar), one per row"),
        Argument("x1", _X1, differentiable=True, components=_components("x1"),
                 domain="real embeddings, shape (..., d)"),
        Argument("x2", _X2, differentiable=True, components=_components("x2"),
                 domain="real embeddings, same shape as x1"),
    ),
    parameters={"margin": s.margin},
    element="embedding row",
    formula=(r"\begin{cases} 1 - \cos & y = 1 \\ \max(0,\ \cos - m) & y = -1 \end{cases},"
             r"\quad \cos = \frac{x_1 \cdot x_2}{\sqrt{(\lVert x_1\rVert^2 + 10^{-12})"
             r"(\lVert x_2\rVert^2 + 10^{-12})}}"),
    gradients=(r"\nabla_{x_1}\ell = \mp\frac{1}{R_1}\Big(\frac{x_2}{R_2} - \cos\,"
               r"\frac{x_1}{R_1}\Big),\quad R_i = \sqrt{\lVert x_i\rVert^2 + 10^{-12}}"
               r"\ (-\ \text{for}\ y = 1;\ +\ \text{for}\ y = -1,\ \cos > m;\ 0\ "
               r"\text{else})",
               r"\nabla_{x_2}\ell = \mp\frac{1}{R_2}\Big(\frac{x_1}{R_1} - \cos\,"
               r"\frac{x_2}{R_2}\Big)"),
    grad=_cosine_grad,
    symbolic=_cosine_symbolic,
)
def cosine_embedding_loss(y_true, x1, x2, *, margin=0.0):
    r"""Cosine embedding loss, PyTorch semantics.

    .. math:: \ell(y, x_1, x_2) = \begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\
        \max(0,\ \cos(x_1, x_2) - m) & y = -1 \end{cases}, \qquad
        \cos(x_1, x_2) = \frac{x_1 \cdot x_2}
        {\sqrt{(\lVert x_1\rVert^2 + 10^{-12})(\lVert x_2\rVert^2 + 10^{-12})}}

    The :math:`10^{-12}` added to each squared norm is PyTorch's (it makes a
    zero row have cosine 0 instead of 0/0).

    Parameters
    ----------
    y_true : array_like, shape (...)
        +1 for a similar pair, -1 for a dissimilar one; one label per row.
    x1, x2 : array_like, shape (..., d)
        The two embeddings of each pair (never broadcast).
    margin : float, default 0.0
        Margin :math:`m \in [-1, 1]` for dissimilar pairs.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per pair.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    Notes
    -----
    With :math:`R_i = \sqrt{\lVert x_i\rVert^2 + \varepsilon}`,
    :math:`a = x_1/R_1`, :math:`b = x_2/R_2`, the identity
    :math:`1 - \cos = \tfrac12\lVert a - b\rVert^2 + \tfrac12\varepsilon(1/R_1 - 1/R_2)^2
    + \varepsilon/(R_1 R_2)` gives :math:`1 - \cos` as a sum of non-negative
    terms, so a similar pair that is already aligned gets its small loss with
    full relative accuracy (for identical rows, :math:`\varepsilon / R^2`); it is
    used where :math:`\cos > 1/2` (below, :math:`1 - \cos` itself is as accurate).
    ``.grad`` returns ``(d/dx1, d/dx2)``, 0 for a dissimilar pair with
    :math:`\cos \le m`. With :math:`u_i = x_i/\lVert x_i\rVert` and
    :math:`\rho_i = \lVert x_i\rVert / R_i`, it is evaluated as
    :math:`\nabla_{x_1}\cos = \frac{\rho_2}{R_1}\big(u_2 - (u_1\cdot u_2)u_1 +
    \frac{\varepsilon}{R_1^2}(u_1\cdot u_2)u_1\big)`, the part of :math:`u_2`
    orthogonal to :math:`u_1` taken from the difference :math:`u_2 \mp u_1`,
    which is exactly 0 for parallel rows. For rows at a small angle
    :math:`\theta \ne 0` the loss and its gradient are ill-conditioned (a
    relative change of :math:`10^{-16}` in the inputs changes them by about
    :math:`10^{-16}/\theta` relatively), and so is any floating-point result.

    Examples
    --------
    >>> from lossbook import cosine_embedding_loss
    >>> cosine_embedding_loss([1, -1], [[1.0, 0.0], [1.0, 0.0]], [[0.0, 2.0], [1.0, 1.0]],
    ...                       margin=0.5, reduction="none").round(6)  # 1 - 0, cos 45° - 0.5
    array([1.      , 0.207107])
    """
    similar, n_similar, margin, xs, _, r, cos = _cosine_parts(y_true, x1, x2, margin, False)
    # One kind of pair only: skip the other's formula (one pair, 0-d: np.where keeps an array).
    if n_similar:
        # 1 - cos as it stands where cos <= 1/2: the rounding error of cos, a few ulp of
        # sum |x1_j x2_j| / (R1 R2) <= 1, is then a few ulp of 1 - cos >= 1/2. Closer
        # pairs (where the subtraction would cancel) take the three-term form, row by row.
        aligned = ONE - cos
        if np.maximum.reduce(cos, axis=None) > 0.5:
            aligned = np.where(cos > HALF, _one_minus_cosine(xs, r), aligned)
        if n_similar == similar.size and similar.ndim:
            return aligned
    hinge = np.maximum(cos - margin, ZERO)
    if n_similar == 0 and similar.ndim:
        return hinge
    return np.where(similar, aligned, hinge)


# --------------------------------------------------------------------------
# Hinge embedding loss (PyTorch semantics)
# --------------------------------------------------------------------------


def _hinge_embedding_inputs(y_true, distances, margin):
    y = as_float_array(y_true, "y_true")
    x = as_float_array(distances, "distances")
    check_same_shape(y, x, ("y_true", "distances"))
    similar, _ = signed_label_mask(y)
    return similar, x, check_scalar(margin, "margin", low=0.0)


def _hinge_embedding_grad(y_true, distances, *, margin=1.0):
    """1 where y = 1; -1 where y = -1 and x < m; 0 elsewhere (also at the kink)."""
    similar, x, margin = _hinge_embedding_inputs(y_true, distances, margin)
    return np.where(similar, 1.0, np.where(margin - x > 0, -1.0, 0.0))


def _hinge_embedding_symbolic():
    """One element: x for y = 1, max(0, m - x) for y = -1."""
    return sp.Piecewise((distance_symbol, s.y > 0), (sp.Max(0, s.margin - distance_symbol), True))


@register_loss(
    family="similarity",
    chapter="overlap-similarity/metric-learning",
    estimates=("distances that are small for similar pairs and at least m for "
               "dissimilar ones"),
    bounded_gradient=True,
    arguments=(
        Argument("y_true", s.y, domain="labels in {-1, +1} (+1: similar pair)"),
        Argument("distances", distance_symbol, differentiable=True,
                 domain="real inputs x (usually distances), same shape"),
    ),
    parameters={"margin": s.margin},
    element="scalar",
    formula=r"\begin{cases} x & y = 1 \\ \max(0,\ m - x) & y = -1 \end{cases}",
    gradients=(r"1\ (y = 1);\ -1\ (y = -1,\ x < m);\ 0\ \text{else}",),
    grad=_hinge_embedding_grad,
    symbolic=_hinge_embedding_symbolic,
)
def hinge_embedding_loss(y_true, distances, *, margin=1.0):
    r"""Hinge embedding loss, PyTorch semantics.

    .. math:: \ell(y, x) = \begin{cases} x & y = 1 \\ \max(0,\ m - x) & y = -1 \end{cases}

    Parameters
    ----------
    y_true : array_like
        Labels, each -1 or +1.
    distances : array_like
        The inputs :math:`x` (usually distances between two embeddings; any real
        values are accepted, as in PyTorch), same shape.
    margin : float, default 1.0
        Margin :math:`m \ge 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Examples
    --------
    >>> from lossbook import hinge_embedding_loss
    >>> hinge_embedding_loss([1, -1, -1], [0.5, 0.25, 2.0], reduction="none")
    array([0.5 , 0.75, 0.  ])
    >>> hinge_embedding_loss.grad([1, -1, -1], [0.5, 0.25, 2.0])
    array([ 1., -1.,  0.])
    """
    similar, x, margin = _hinge_embedding_inputs(y_true, distances, margin)
    return np.where(similar, x, np.maximum(margin - x, 0.0))
