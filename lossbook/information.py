r"""Information-theoretic quantities: entropy, KL divergence and Huffman code lengths.

:func:`entropy` and :func:`kl_divergence` take probability vectors along the
last axis and follow the conventions of information theory:
:math:`0 \log 0 = 0`, and :math:`p \log(p/0) = +\infty` for :math:`p > 0`.
For sympy, ``distribution_symbols(k)`` gives the symbols of
``kl_divergence.symbolic``.
"""

import heapq

import numpy as np
import sympy as sp

from ._registry import Argument, register_loss
from ._validation import (
    as_float_array,
    check_distribution,
    check_has_axis,
    check_pair,
    check_scalar,
    is_plain_pair,
)

__all__ = ["entropy", "huffman_code_lengths", "kl_divergence"]


def distribution_symbols(k):
    r"""Symbols for two distributions over ``k`` outcomes.

    Returns :math:`p_0, \dots, p_{k-1}` (non-negative) and
    :math:`q_0, \dots, q_{k-1}` (positive) as two tuples; used by
    ``kl_divergence.symbolic``.

    Examples
    --------
    >>> from lossbook.information import distribution_symbols
    >>> distribution_symbols(2)
    ((p_0, p_1), (q_0, q_1))
    """
    return sp.symbols(f"p_0:{k}", nonnegative=True), sp.symbols(f"q_0:{k}", positive=True)


def _check_rows(p, name, atol=1e-6):
    return check_distribution(check_has_axis(p, name, "outcomes"), name, atol=atol)


def _plogp(p):
    """p log p with 0 log 0 = 0."""
    return p * np.log(np.where(p > 0, p, 1.0))


def entropy(p, base=None):
    r"""Shannon entropy of probability vectors along the last axis.

    .. math:: H(p) = -\sum_{j} p_j \log p_j, \qquad 0 \log 0 = 0

    Parameters
    ----------
    p : array_like, shape (..., k)
        Probability vectors: entries in [0, 1], each row summing to 1 (within 1e-6).
    base : float, optional
        Base of the logarithm: ``None`` (natural log) gives nats, 2 gives
        bits. Must be positive and not 1.

    Returns
    -------
    float or ndarray
        A float for a single distribution (1-D ``p``), otherwise an array of
        shape ``p.shape[:-1]`` with one entropy per row.

    Examples
    --------
    >>> from lossbook import entropy
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    >>> float(entropy([1.0, 0.0]))  # a certain outcome: 0 log 0 counts as 0
    0.0
    >>> entropy([[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]], base=2)
    array([2., 1.])
    """
    p = _check_rows(as_float_array(p, "p"), "p")
    values = 0.0 - np.sum(_plogp(p), axis=-1)  # 0.0 - x, not -x: no -0.0 for certain outcomes
    if base is not None:
        base = check_scalar(base, "base", low=0.0, low_open=True)
        if base == 1.0:
            raise ValueError("base must not be 1")
        values = values / np.log(base)
    return np.float64(values) if p.ndim == 1 else values


def huffman_code_lengths(p):
    r"""Codeword lengths of a binary Huffman code for the distribution ``p``.

    Huffman's algorithm builds an optimal binary prefix code: start with one
    tree per symbol, weighted by its probability, and repeatedly merge the two
    least probable trees under a new root until a single tree is left. The
    codeword of symbol :math:`i` is the path from the root to its leaf, so its
    length :math:`l_i` is the depth of that leaf. No prefix code has a smaller
    expected length :math:`L = \sum_i p_i l_i`; it is within one bit of the
    entropy in bits, and the tree is full, so Kraft's inequality is an equality:

    .. math:: H_2(p) \le \sum_i p_i l_i < H_2(p) + 1,
        \qquad \sum_{i:\, p_i > 0} 2^{-l_i} = 1 .

    Parameters
    ----------
    p : array_like, shape (k,)
        One probability vector: entries in [0, 1] summing to 1 (within 1e-6).

    Returns
    -------
    ndarray of int, shape (k,)
        ``lengths[i]`` is the length in bits of the codeword of symbol ``i``,
        in the order of ``p``.

    Notes
    -----
    *Zero probabilities.* Symbols with ``p[i] == 0`` never occur, so they are
    left out of the tree and get length 0 (no codeword): the result is the
    Huffman code of the symbols with positive probability. Such a code cannot
    encode them, so ``p @ lengths`` is the expected length under ``p`` only,
    not under a distribution that gives those symbols positive mass. A single
    symbol of positive probability is certain and also gets length 0: nothing
    needs to be sent, and :math:`L = H_2(p) = 0`.

    *Ties.* Trees of equal probability (exact floating-point equality) are
    merged in the order they were created: the symbols first, in index order,
    then the merged trees in the order they were made. Every tie-break gives
    the same, minimal, expected length but not the same lengths; this one
    keeps the tree shallow: among all optimal codes it has the shortest
    longest codeword and the smallest variance of the length (Schwartz, 1964).
    Probabilities equal in exact arithmetic may differ in the last bit once
    summed (``0.1 + 0.2 != 0.3``), and then they are not tied.

    The merges are sequential by nature; a heap makes them cost
    :math:`O(k \log k)`.

    Examples
    --------
    >>> from lossbook import huffman_code_lengths
    >>> huffman_code_lengths([0.5, 0.25, 0.125, 0.125])  # dyadic: l_i = -log2 p_i
    array([1, 2, 3, 3])
    >>> p = [0.4, 0.2, 0.2, 0.1, 0.1]
    >>> lengths = huffman_code_lengths(p)
    >>> lengths
    array([2, 2, 2, 3, 3])
    >>> round(float(lengths @ p), 12)  # expected length in bits; the entropy is 2.122
    2.2
    >>> huffman_code_lengths([0.7, 0.0, 0.3])  # a symbol that never occurs: no codeword
    array([1, 0, 1])
    """
    p = as_float_array(p, "p")
    if p.ndim != 1:
        raise ValueError(f"p must be a single distribution (one-dimensional), got shape {p.shape}")
    check_distribution(p, "p")
    symbols = np.flatnonzero(p > 0)
    n_leaves = symbols.size
    # Node ids: 0 .. n_leaves-1 are the symbols in index order, then the merged trees in
    # order of creation. The id is the heap's second key, so it breaks ties by creation order.
    heap = list(zip(p[symbols].tolist(), range(n_leaves), strict=True))
    heapq.heapify(heap)
    parent = np.zeros(2 * n_leaves - 1, dtype=np.intp)
    for new_node in range(n_leaves, 2 * n_leaves - 1):
        prob_a, node_a = heapq.heappop(heap)
        prob_b, node_b = heapq.heappop(heap)
        parent[[node_a, node_b]] = new_node
        heapq.heappush(heap, (prob_a + prob_b, new_node))
    # Every node is created after its children, so going down from the root (the last node)
    # each parent's depth is known before its children's.
    depth = np.zeros(2 * n_leaves - 1, dtype=np.int64)
    for node in range(2 * n_leaves - 3, -1, -1):
        depth[node] = depth[parent[node]] + 1
    lengths = np.zeros(p.size, dtype=np.int64)
    lengths[symbols] = depth[:n_leaves]
    return lengths


_TINY = float(np.finfo(np.float64).tiny)  # the smallest normal float


def _kl_inputs(p, q):
    """Validated distributions ``p`` and ``q``, and which shortcut the divergence may take:
    "positive" (every p_j > 0 and every q_j normal, so p / q is finite), "q normal" (the
    same for q only), or ``None`` (the general route)."""
    if is_plain_pair(p, q) and p.ndim:
        p_low, q_low = np.minimum.reduce(p, axis=None), np.minimum.reduce(q, axis=None)
        if (p_low >= 0.0 and q_low >= 0.0 and np.maximum.reduce(p, axis=None) <= 1.0
                and np.maximum.reduce(q, axis=None) <= 1.0):  # NaN fails: finite too
            # Entries in [0, 1]: the sums decide, as check_distribution does.
            _check_sums(p, "p (y_true)")
            _check_sums(q, "q (y_pred)")
            if q_low < _TINY:
                return p, q, None
            return p, q, "positive" if p_low > 0.0 else "q normal"
    p, q = check_pair(p, q, names=("p (y_true)", "q (y_pred)"))
    _check_rows(p, "p (y_true)")
    _check_rows(q, "q (y_pred)")
    return p, q, None


def _check_sums(p, name):
    """The row sums of :func:`check_distribution`, for ``p`` already known to be in [0, 1]."""
    sums = np.add.reduce(p, axis=-1)
    if sums.size and np.fmax.reduce(np.abs(sums - 1.0), axis=None) > 1e-6:
        check_distribution(p, name)  # raises, naming the worst row


def _kl_grad(p, q):
    r"""Gradient of the sum-reduced :func:`kl_divergence` with respect to ``q``:
    :math:`-p/q` (0 where :math:`p = 0`; :math:`-\infty` where :math:`p > 0 = q`)."""
    p, q, case = _kl_inputs(p, q)
    if case == "positive":
        return -p / q
    if case == "q normal":  # q > 0: the general formula without its second mask
        return np.divide(-p, q, out=np.zeros_like(p), where=p > 0)
    grad = np.divide(-p, q, out=np.zeros_like(p), where=(p > 0) & (q > 0))
    return np.where((p > 0) & (q == 0), -np.inf, grad)


def _kl_symbolic(k=3):
    r"""One sample of :func:`kl_divergence` over ``k`` outcomes:
    :math:`\sum_j p_j \log(p_j / q_j)` in the symbols of ``distribution_symbols``."""
    p, q = distribution_symbols(k)
    return sum(pj * sp.log(pj / qj) for pj, qj in zip(p, q, strict=True))


@register_loss(
    grad=_kl_grad,
    symbolic=_kl_symbolic,
    family="information",
    estimates="the true distribution: the minimiser over q is q = p",
    bounded_gradient=False,
    chapter="information/kl-divergence",
    arguments=(
        Argument("p", sp.Symbol("p"), components=lambda k: distribution_symbols(k)[0],
                 domain="probability rows (..., k): the data distribution"),
        Argument("q", sp.Symbol("q"), differentiable=True,
                 components=lambda k: distribution_symbols(k)[1],
                 domain="probability rows (..., k): the model"),
    ),
    element="class axis",
    formula=r"\sum_{j=1}^{k} p_j \log\frac{p_j}{q_j}",
    gradients=(r"\frac{\partial \ell}{\partial q_j} = -\frac{p_j}{q_j}",),
)
def kl_divergence(p, q):
    r"""Kullback-Leibler divergence of q from p, along the last axis.

    .. math:: D_{\mathrm{KL}}(p \,\|\, q) = \sum_{j} p_j \log\frac{p_j}{q_j},
        \qquad 0 \log\frac{0}{q} = 0, \quad p \log\frac{p}{0} = +\infty \ (p > 0)

    ``p`` plays the role of ``y_true`` (the data distribution) and ``q`` of
    ``y_pred`` (the model). Each term is ``scipy.special.rel_entr``.

    Parameters
    ----------
    p : array_like, shape (..., k)
        True distributions, one per row (entries in [0, 1], rows summing to 1
        within 1e-6).
    q : array_like, shape (..., k)
        Predicted distributions, same shape (rows summing to 1 within 1e-6).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the samples (rows): PyTorch's
        ``reduction="batchmean"``, the mathematically meaningful one (PyTorch's
        ``"mean"`` would also divide by ``k``). ``"none"`` returns one
        divergence per row, shape ``p.shape[:-1]``.

    Returns
    -------
    float or ndarray
        The reduced divergence (float64), or per-row divergences for ``"none"``.

    Notes
    -----
    If :math:`q_j = 0` where :math:`p_j > 0` the divergence is ``inf``, which is
    its true value, and the gradient :math:`-p_j/q_j` there is ``-inf``. When
    :math:`q \approx p` the terms of the sum are first order in
    :math:`q - p` while their total is second order, so the result is only
    accurate to about machine precision times :math:`\sum_j |p_j\log(p_j/q_j)|`
    in absolute terms: this cancellation is inherent in the formula.
    ``kl_divergence.symbolic(k=3)`` returns one row's divergence in the
    symbols of ``distribution_symbols``.

    Examples
    --------
    >>> from lossbook import kl_divergence
    >>> float(kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]))  # log 2
    0.6931471805599453
    >>> kl_divergence([[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]], reduction="none")
    array([0.69314718, 0.        ])
    >>> kl_divergence.grad([0.5, 0.5, 0.0], [0.25, 0.25, 0.5])
    array([-2., -2.,  0.])
    """
    p, q, case = _kl_inputs(p, q)
    if case is not None:
        # q is normal, so p / q is finite: the general formula below without its masks
        # (where p = 0, the ratio 1 makes the term p log 1 = 0).
        ratio = p / q if case == "positive" else np.where(p > 0, p / q, 1.0)
        return np.add.reduce(p * np.log(ratio), axis=-1)
    ratio_defined = (p > 0) & (q > 0)
    safe_p = np.where(ratio_defined, p, 1.0)
    safe_q = np.where(ratio_defined, q, 1.0)
    with np.errstate(over="ignore"):
        ratio = safe_p / safe_q
    # p / q overflows only when q is subnormal; log p - log q is finite there.
    log_ratio = np.where(np.isfinite(ratio), np.log(ratio), np.log(safe_p) - np.log(safe_q))
    terms = np.where(ratio_defined, p * log_ratio, np.where(p > 0, np.inf, 0.0))
    return np.sum(terms, axis=-1)
