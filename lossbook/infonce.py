r"""InfoNCE (issue 15): softmax cross-entropy over a batch of candidates.

One query per row of ``queries``; row i of ``keys`` is its positive and the
other rows of the batch its negatives. Rows are normalised by their Euclidean
norm (a plain sum of squares where every entry and norm allow it, else computed
after dividing by the largest entry: no overflow or underflow for norms from
1e-150 to 1e150). The log-softmax is taken with the largest logit factored out
(:mod:`lossbook.logits`), or, for unit rows at T >= 1/16, with the positive's logit
factored out (every gap is then at most 2/T in size), so a confident row keeps its
tiny loss. Below ``DOUBLE_DOUBLE_BELOW`` (normalize=True) the cosines are double-doubles
(``lossbook._precise.unit_rows_dd`` and ``unit_dots_dd``), so
that their float64 rounding, divided by a small temperature, does not reach the loss.
``info_nce_symbols(n, d)`` gives the symbol matrices of
``info_nce.symbolic``.
"""

import math

import numpy as np
import sympy as sp

from ._precise import two_prod, two_sum, unit_dots_dd, unit_rows_dd
from ._registry import Argument, register_loss
from ._rowwise import (
    FLOAT64,
    HALF,
    ONE,
    STACK_LIMIT,
    ZERO,
    finite_bound,
    norm_and_direction,
    pair,
    plain_norm2,
    sides,
)
from ._validation import as_float_array, check_bool, check_same_shape, check_scalar
from .logits import row_argmax_mask, softmax_parts

__all__ = ["info_nce"]

#: softmax temperature :math:`T` of :func:`info_nce`
temperature_symbol = sp.Symbol("T", positive=True)


# --------------------------------------------------------------------------
# InfoNCE (Oord et al., 2018), the SimCLR / CLIP form
# --------------------------------------------------------------------------


def info_nce_symbols(n, d):
    r"""Symbol matrices :math:`Q = (q_{i,j})` and :math:`K = (k_{i,j})` of shape (n, d).

    Examples
    --------
    >>> from lossbook.infonce import info_nce_symbols
    >>> info_nce_symbols(1, 2)[1]
    Matrix([[k_{0,0}, k_{0,1}]])
    """
    return tuple(sp.Matrix(n, d, lambda i, j, c=c: sp.Symbol(f"{c}_{{{i},{j}}}", real=True))
                 for c in ("q", "k"))


#: Below this temperature (normalize=True) the logits are formed in double-double: the
#: cosine of two float64 unit rows is off by a few 1e-16, which becomes that / T in every
#: logit, hence in a confident row's loss (made of tail probabilities e^(s_ij - s_ii))
#: and its gradient: 5e-15 relative at T = 1/16, 1e-13 at T = 1e-3. At and above it (the
#: default T = 0.1) float64 is within about 3e-15.
DOUBLE_DOUBLE_BELOW = 0.0625


def _unit_pair(queries, keys, temperature, normalize):
    """queries and keys stacked (see lossbook._rowwise.pair) and their unit rows, or None
    where this fast path does not apply. It applies to small (n, d) arrays of one shape,
    normalize=True and T >= DOUBLE_DOUBLE_BELOW (the float64 logits), whose entries and row
    norms allow plain sums of squares (lossbook._rowwise.plain_norm2): that test also
    certifies what _info_nce_parts checks (finite entries, no zero row). Which path an
    input takes depends on its values only (a list or an integer array is converted
    first)."""
    if not (normalize is True and type(temperature) in (float, int)
            and DOUBLE_DOUBLE_BELOW <= temperature < math.inf):
        return None
    if not (type(queries) is np.ndarray and type(keys) is np.ndarray
            and queries.dtype is FLOAT64 and keys.dtype is FLOAT64):
        queries, keys = as_float_array(queries, "queries"), as_float_array(keys, "keys")
    if not (queries.ndim == 2 and queries.shape == keys.shape
            and 0 < queries.size <= STACK_LIMIT):
        return None
    both = np.array((queries, keys))  # a stacked pair (one shape: one float64 array)
    norm2 = plain_norm2(both, finite_bound(both))
    if norm2 is None:
        return None
    return both, np.divide(both, np.sqrt(norm2, out=norm2))


def _tails(units, temperature):
    """e^(s_ij - s_ii) off the diagonal, 0 on it, for the unit rows of _unit_pair. Every gap
    s_ij - s_ii lies in [-2/T, 2/T] with 2/T <= 32: e^gap cannot overflow, and the loss is
    log(sum_j e^(s_ij - s_ii)) = log1p(sum_{j != i} e^(s_ij - s_ii)), a sum of positive
    terms (where s_ii is the row's largest logit this is the max-shifted form of
    lossbook.logits; elsewhere the sum is >= 1), with no max to find and no margin to add."""
    logits = np.dot(units[0], units[1].T)  # (the bits of @, with less overhead)
    logits /= temperature
    tails = np.subtract(logits, logits.diagonal()[:, None])
    np.exp(tails, out=tails)
    tails.reshape(-1)[:: tails.shape[0] + 1] = 0.0
    return tails


def _info_nce_parts(queries, keys, temperature, normalize, value=False):
    """Validated (queries, keys) as a pair (see lossbook._rowwise.pair), their unit rows
    (or the rows themselves without normalize), the temperature, and of the softmax of
    each row of the logits: e = exp(s - max s), rest (the sum of e off the row's top
    entry) and, with value, the margin max s - s_ii. Both inputs go through the
    normalisation (and its gradient) together."""
    q, k = as_float_array(queries, "queries"), as_float_array(keys, "keys")
    for x, name in ((q, "queries"), (k, "keys")):
        if x.ndim != 2:
            raise ValueError(f"{name} must have shape (n, d), got {x.shape}")
    check_same_shape(q, k, ("queries", "keys"))
    temperature = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    normalize = check_bool(normalize, "normalize")
    both = pair(q, k)
    if normalize:
        norms, units = sides(norm_and_direction, both)
        for norm, name in zip(norms, ("queries", "keys"), strict=True):
            if np.count_nonzero(norm) != norm.size:
                raise ValueError(f"{name} row {int(np.argmin(norm))} is zero: it has no "
                                 "direction to normalise (normalize=True)")
        if 1e-280 < temperature < DOUBLE_DOUBLE_BELOW and q.size:
            units, low = sides(unit_rows_dd, both)
            return (both, units, temperature,
                    *_softmax_dd(*unit_dots_dd(units[0], low[0], units[1], low[1]),
                                 temperature))
    else:
        units = both
    logits = (units[0] @ units[1].T) / temperature
    _, top_value, e, rest = softmax_parts(logits)
    margin = (top_value[:, 0] - logits.diagonal()) if value else None
    return both, units, temperature, e, rest, margin


def _softmax_dd(c_hi, c_lo, temperature):
    """e, rest and margin of _info_nce_parts from the cosines c_hi + c_lo (double-double):
    the logits c / T with the remainder of the division (TwoProd), the gaps s - max s with
    theirs (TwoSum), and e = e^(gap + lo) = e^gap (1 + lo)."""
    s_hi = c_hi / temperature
    p, p_lo = two_prod(s_hi, temperature)
    s_lo = (((c_hi - p) - p_lo) + c_lo) / temperature  # c_hi - p is exact (Sterbenz)
    rows = np.arange(s_hi.shape[0])
    top = s_hi.argmax(axis=1)
    top_hi, top_lo = s_hi[rows, top][:, None], s_lo[rows, top][:, None]
    gap, gap_lo = two_sum(s_hi, -top_hi)
    e = np.exp(gap)
    e += e * (gap_lo + (s_lo - top_lo))  # 0 at each top entry
    e[rows, top] = 0.0
    rest = np.add.reduce(e, axis=-1, keepdims=True)
    e[rows, top] = 1.0
    margin, margin_lo = two_sum(top_hi[:, 0], -s_hi.diagonal())
    return e, rest, margin + (margin_lo + (top_lo[:, 0] - s_lo.diagonal()))


def _info_nce_grad(queries, keys, *, temperature=0.1, normalize=True):
    """(d/dqueries, d/dkeys) of the summed loss, through the normalisation."""
    fast = _unit_pair(queries, keys, temperature, normalize)
    if fast is not None:  # unit rows at T >= DOUBLE_DOUBLE_BELOW (see _tails)
        both, units = fast
        p_off = _tails(units, temperature)
        rest = np.add.reduce(p_off, axis=-1, keepdims=True)
        total = ONE + rest  # sum of e over the row
        miss = rest / (total * temperature)  # (1 - softmax_ii) / T, no subtraction
        np.divide(p_off, total * temperature, out=p_off)  # softmax off the diagonal, / T
        grads = np.empty_like(units)
        np.matmul(p_off, units[1], out=grads[0])
        np.matmul(p_off.T, units[0], out=grads[1])
        grads -= miss * units[::-1]
        return tuple(_through_normalisation(both, grads))
    both, (q, k), temperature, e, rest, _ = _info_nce_parts(queries, keys, temperature,
                                                            normalize)
    off = e.copy()
    np.fill_diagonal(off, 0.0)
    total = 1.0 + rest  # sum of e over the row
    p_off = off / total  # softmax off the diagonal
    miss = (np.add.reduce(off, axis=-1) / total[:, 0])[:, None]  # 1 - softmax_ii, no subtraction
    # row i: sum_{j != i} P_ij k_j - (1 - P_ii) k_i;
    # column j: sum_{i != j} P_ij q_i - (1 - P_jj) q_j
    grad_q = (p_off @ k - miss * k) / temperature
    grad_k = (p_off.T @ q - miss * q) / temperature
    if not normalize:
        return grad_q, grad_k
    return tuple(sides(_through_normalisation, both, pair(grad_q, grad_k)))


def _through_normalisation(x, g):
    """(g - (u . g) u) / ||x|| for u = x / ||x|| (rows), without cancelling.

    With w = x / 2^e (exact), component j is
    (g_j sum_{k != j} w_k^2 - w_j sum_{k != j} w_k g_k) / (||w||^2 ||x||);
    for the largest |w_j| both sums over the other entries are summed directly, so the
    component along the row's dominant axis (small when g is nearly tangent) is not the
    difference of two large numbers."""
    # 2^(e - 1) for max |x_j| = m 2^e, m in [1/2, 1): a power of two, so w is exact (any
    # power of two near max |x_j| gives the same bits below)
    scale = np.ldexp(HALF, np.frexp(np.maximum.reduce(np.abs(x), axis=-1, keepdims=True))[1])
    w = x / scale
    # w^2 and w g as one array, so that each sum below is one call for both
    parts = np.empty((2,) + w.shape)
    np.multiply(w, g, out=parts[1])
    top = row_argmax_mask(np.multiply(w, w, out=parts[0]))
    sums = np.add.reduce(parts, axis=-1, keepdims=True)
    # sums over the other entries: for the top entry summed directly, elsewhere sum - own
    others = np.where(top, np.add.reduce(np.where(top, ZERO, parts), axis=-1, keepdims=True),
                      sums - parts)
    norm2 = sums[0]
    return (g * others[0] - w * others[1]) / (norm2 * (scale * np.sqrt(norm2)))


def _info_nce_symbolic(n=3, d=2, row=0, normalize=True):
    """Loss of query ``row`` in a batch of ``n`` queries and keys of dimension ``d``."""
    q, k = info_nce_symbols(n, d)
    if normalize:
        q = sp.Matrix.vstack(*(q.row(i) / q.row(i).norm() for i in range(n)))
        k = sp.Matrix.vstack(*(k.row(i) / k.row(i).norm() for i in range(n)))
    s_row = [q.row(row).dot(k.row(j)) / temperature_symbol for j in range(n)]
    return sp.log(sum(sp.exp(v) for v in s_row)) - s_row[row]


@register_loss(
    family="similarity",
    chapter="overlap-similarity/info-nce",
    estimates=("a critic whose softmax picks each query's own key (Oord et al.: optimal "
               "exp(s) proportional to p(k|q)/p(k)); log n - E[loss] lower-bounds the mutual "
               "information of query and key"),
    bounded_gradient=False,
    arguments=(
        Argument("queries", sp.Symbol("q"), differentiable=True,
                 domain="real embeddings, shape (n, d); row i is query i (non-zero rows)"),
        Argument("keys", sp.Symbol("k"), differentiable=True,
                 domain="real embeddings, shape (n, d); row i is the positive of query i"),
    ),
    parameters={"temperature": temperature_symbol, "normalize": None},
    element="embedding row",
    formula=(r"-\log\frac{e^{s_{ii}}}{\sum_{j=1}^{n} e^{s_{ij}}},\quad s_{ij} = "
             r"\frac{\hat q_i \cdot \hat k_j}{T},\ \hat q = q / \lVert q\rVert"
             r"\ (\text{or } q \text{ without normalize})"),
    gradients=(r"\frac{\partial L}{\partial \hat q_i} = \frac1T \sum_j "
               r"(\operatorname{softmax}(s_i)_j - \delta_{ij})\,\hat k_j,"
               r"\ \text{then}\ \frac{\partial L}{\partial q_i} = \frac{(I - \hat q_i "
               r"\hat q_i^\top)}{\lVert q_i\rVert}\frac{\partial L}{\partial \hat q_i}",
               r"\frac{\partial L}{\partial \hat k_j} = \frac1T \sum_i "
               r"(\operatorname{softmax}(s_i)_j - \delta_{ij})\,\hat q_i"),
    grad=_info_nce_grad,
    symbolic=_info_nce_symbolic,
)
def info_nce(queries, keys, *, temperature=0.1, normalize=True):
    r"""InfoNCE (Oord et al., 2018), one-directional, in the SimCLR / CLIP form.

    .. math:: \ell_i = -\log\frac{e^{s_{ii}}}{\sum_{j=1}^n e^{s_{ij}}}, \qquad
        s_{ij} = \frac{\hat q_i \cdot \hat k_j}{T}

    Key :math:`i` is the positive of query :math:`i`; the other keys of the
    batch are its negatives. It is softmax cross-entropy on the similarity
    matrix with labels :math:`0, \dots, n-1`.

    Parameters
    ----------
    queries, keys : array_like, shape (n, d)
        Embeddings, one query (and its positive key) per row.
    temperature : float, default 0.1
        Temperature :math:`T > 0`.
    normalize : bool, default True
        Divide every row by its Euclidean norm first (:math:`\hat q = q/\lVert q\rVert`;
        a zero row raises ``ValueError``); ``False`` uses the raw dot products.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per query, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-query losses for ``"none"``.

    Notes
    -----
    The log-softmax is taken with the largest logit of the row factored out
    and :math:`\log(1 + \cdot)` of the rest, so a confident row (its positive
    far ahead) gets its tiny loss with full relative accuracy; so does
    :math:`1 - \operatorname{softmax}(s_i)_i` in the gradient, summed from the
    other entries. Below :math:`T = 1/16` (with ``normalize``) the cosines, the
    logits and their gaps are carried in double-double, whose rounding would otherwise
    be amplified by :math:`1/T`. ``.grad`` returns ``(d/dqueries, d/dkeys)``: every key
    receives gradient from every query.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import info_nce
    >>> eye = np.eye(2)
    >>> float(info_nce(eye, eye, temperature=1.0))  # -log(e / (e + 1))
    0.31326168751822286
    """
    fast = _unit_pair(queries, keys, temperature, normalize)
    if fast is None:
        *_, rest, margin = _info_nce_parts(queries, keys, temperature, normalize, value=True)
        return margin + np.log1p(rest[:, 0])
    return np.log1p(np.add.reduce(_tails(fast[1], temperature), axis=-1))
