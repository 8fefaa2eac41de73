"""Test cases for the similarity losses (contrastive, triplet, cosine, InfoNCE, hinge embedding).

The mpmath references are written from the papers and from PyTorch's
documented formulas, literally: Euclidean distances as square roots of sums
of squares, PyTorch's pairwise distance ``||u - v + eps||_p`` with the eps
added to every coordinate, the cosine as ``x1 . x2 / sqrt((|x1|^2 + 1e-12)
(|x2|^2 + 1e-12))`` and ``1 - cos`` by subtraction, InfoNCE as
``log sum_j exp(s_ij) - s_ii``. They share nothing with lossbook's scaled
numpy code.

mpmath's ``diff`` rounds the function values to its working precision (about
112 digits for the contract test's ``dps=50``) before differencing, so the
contract grids keep each embedding's entries within some 1e70 of the size of
its loss; rows at 1e-150 whose loss is of order 1 (a margin, a cosine near 1)
are checked in ``tests/test_similarity.py`` with a larger ``dps``.
"""

import mpmath as mp
import numpy as np

from ._case import LossCase


def _sq_distance(u, v):
    return mp.fsum((a - b) ** 2 for a, b in zip(u, v, strict=True))


def contrastive_reference(y, x1, x2, params):
    """Hadsell, Chopra & LeCun (2006), eq. (4) with L_S = D^2/2, L_D = max(0, m - D)^2/2;
    their Y = 0 is a similar pair, ours is y = 1."""
    m = mp.mpf(params.get("margin", 1.0))
    d = mp.sqrt(_sq_distance(x1, x2))
    return y * d**2 / 2 + (1 - y) * max(mp.mpf(0), m - d) ** 2 / 2


def _pairwise_distance(u, v, p, eps):
    """torch.nn.functional.pairwise_distance: ||u - v + eps||_p."""
    p = mp.mpf(p)
    return mp.fsum(abs(a - b + eps) ** p for a, b in zip(u, v, strict=True)) ** (1 / p)


def triplet_reference(a, pos, neg, params):
    """torch.nn.functional.triplet_margin_loss."""
    m, p = mp.mpf(params.get("margin", 1.0)), params.get("p", 2.0)
    eps = mp.mpf(params.get("eps", 1e-6))
    d_pos = _pairwise_distance(a, pos, p, eps)
    d_neg = _pairwise_distance(a, neg, p, eps)
    if params.get("swap", False):
        d_neg = min(d_neg, _pairwise_distance(pos, neg, p, eps))
    return max(m + d_pos - d_neg, mp.mpf(0))


def cosine_reference(y, x1, x2, params):
    """torch.nn.functional.cosine_embedding_loss (EPSILON = 1e-12 in ATen's Loss.cpp)."""
    eps = mp.mpf(1e-12)
    dot = mp.fsum(a * b for a, b in zip(x1, x2, strict=True))
    cos = dot / mp.sqrt((mp.fsum(a * a for a in x1) + eps) * (mp.fsum(b * b for b in x2) + eps))
    if y == 1:
        return 1 - cos
    return max(mp.mpf(0), cos - params.get("margin", 0.0))


def hinge_embedding_reference(y, x, params):
    """torch.nn.functional.hinge_embedding_loss."""
    return x if y == 1 else max(mp.mpf(0), params.get("margin", 1.0) - x)


def info_nce_losses(queries, keys, params):
    """Every query's loss, -log(e^{s_ii} / sum_j e^{s_ij}), in mpmath.

    A confident row's loss is about e^-(gap), next to logits of size max |s|: the
    log-sum-exp is taken with max |s| / ln 10 extra digits."""
    temperature = mp.mpf(params.get("temperature", 0.1))
    with mp.extradps(30):
        if params.get("normalize", True):
            queries = [[v / mp.sqrt(mp.fsum(w * w for w in row)) for v in row]
                       for row in queries]
            keys = [[v / mp.sqrt(mp.fsum(w * w for w in row)) for v in row] for row in keys]
        logits = [[mp.fsum(a * b for a, b in zip(q, k, strict=True)) / temperature
                   for k in keys] for q in queries]
    largest = max(abs(v) for row in logits for v in row)
    with mp.extradps(30 + int(largest / mp.log(10))):
        return [mp.log(mp.fsum(mp.exp(v) for v in row)) - row[i]
                for i, row in enumerate(logits)]


def info_nce_reference_for(queries, keys):
    """A harness reference for the batch (queries, keys).

    InfoNCE couples the rows: query i's loss depends on every key, and the
    gradient of the summed loss with respect to key i collects every query's
    loss. The harness hands the reference one row of each argument. This
    reference finds the row i it is given (the unperturbed one of the two
    matches the batch), puts both rows into the batch and returns

        loss_i(batch') + sum_{j != i} (loss_j(batch') - loss_j(batch)),

    which is loss_i at the batch itself, and whose derivative with respect to
    query row i is that of loss_i (no other loss depends on it) and with respect
    to key row i is that of the summed loss.
    """
    base_q = [[mp.mpf(float(v)) for v in row] for row in np.asarray(queries, float)]
    base_k = [[mp.mpf(float(v)) for v in row] for row in np.asarray(keys, float)]

    def reference(q_row, k_row, params):
        matches = [i for i in range(len(base_q)) if base_q[i] == q_row or base_k[i] == k_row]
        assert len(matches) == 1, "the batch's rows must be distinct"
        i = matches[0]
        moved_q = [q_row if j == i else row for j, row in enumerate(base_q)]
        moved_k = [k_row if j == i else row for j, row in enumerate(base_k)]
        moved = info_nce_losses(moved_q, moved_k, params)
        base = info_nce_losses(base_q, base_k, params)
        return moved[i] + mp.fsum(moved[j] - base[j] for j in range(len(base)) if j != i)

    return reference


def info_nce_symbolic(loss, queries, keys, params):
    """Values and gradients of the summed loss from ``info_nce.symbolic`` over the batch."""
    import sympy as sp

    from lossbook.infonce import info_nce_symbols, temperature_symbol

    n, d = queries.shape
    q, k = info_nce_symbols(n, d)
    normalize = params.get("normalize", True)
    rows = [loss.symbolic(n=n, d=d, row=i, normalize=normalize) for i in range(n)]
    total = sum(rows)
    variables = list(q) + list(k)
    evaluate = sp.lambdify([*variables, temperature_symbol],
                           [rows, [sp.diff(total, v) for v in variables]], "numpy", cse=True)
    values, grads = evaluate(*queries.ravel(), *keys.ravel(), params["temperature"])
    grads = np.array(grads, dtype=float)
    return np.array(values, dtype=float), (grads[: n * d].reshape(n, d),
                                           grads[n * d:].reshape(n, d))


# ----------------------------------------------------------------- samples


def _contrastive_sample(rng):
    x1, x2 = rng.normal(size=(2, 6, 3))
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
    margin = 3.0
    # keep dissimilar pairs clear of the kink d = m
    d = np.linalg.norm(x1 - x2, axis=-1)
    x2 = np.where((np.abs(d - margin) < 0.1)[:, None], x1 + 0.5, x2)
    return y, x1, x2, {"margin": margin}


def _triplet_sample(rng):
    a, pos, neg = rng.normal(size=(3, 5, 3))
    pos = a + 0.5 * (pos - a)

    def dist(u, v):
        return np.linalg.norm(u - v + 1e-6, axis=-1)

    for _ in range(100):  # redraw rows at a kink of the hinge or a tie of the swap
        d_neg = np.minimum(dist(a, neg), dist(pos, neg))
        bad = (np.abs(1.0 + dist(a, pos) - d_neg) < 0.05) | (
            np.abs(dist(a, neg) - dist(pos, neg)) < 0.05)
        if not bad.any():
            break
        neg = np.where(bad[:, None], rng.normal(size=neg.shape), neg)
    return a, pos, neg, {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": True}


def _cosine_sample(rng):
    x1, x2 = rng.normal(size=(2, 6, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    cos = np.sum(x1 * x2, axis=-1) / np.linalg.norm(x1, axis=-1) / np.linalg.norm(x2, axis=-1)
    x2 = np.where((np.abs(cos - 0.2) < 0.05)[:, None], -x2, x2)
    return y, x1, x2, {"margin": 0.2}


def _hinge_embedding_sample(rng):
    y = rng.choice([-1.0, 1.0], size=(5, 3))
    x = rng.uniform(0.0, 3.0, size=(5, 3))
    x = np.where(np.abs(x - 1.5) < 0.05, x + 0.2, x)
    return y, x, {"margin": 1.5}


def _info_nce_sample(rng):
    q = rng.normal(size=(3, 2))
    return q, q + 0.5 * rng.normal(size=(3, 2)), {"temperature": 0.5, "normalize": True}


# ----------------------------------------------------------------- stress grids

# Pairs (rows of 3): similar pairs at distances 1e-150 ... 1e150, dissimilar pairs inside
# and outside the margin, and a dissimilar pair at d = 0 (loss m^2 / 2, gradient 0).
_ROW = np.array([1.0, -2.0, 0.5])
CONTRASTIVE_Y = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
CONTRASTIVE_X1 = np.array([
    1e-150 * _ROW, 1e150 * _ROW, _ROW, 3e150 * _ROW + 1e135,
    _ROW, 0.2 * _ROW, 0.1 * _ROW, 1e150 * _ROW, 1e-30 * _ROW,
])
CONTRASTIVE_X2 = np.array([
    -2e-150 * _ROW[::-1], 0.25e150 * _ROW[::-1], _ROW + 1e-9, 3e150 * _ROW,
    _ROW, 0.1 * _ROW[::-1], 0.3 * _ROW, -_ROW, 2e-30 * _ROW,
])

# Triplets (rows of 3) with PyTorch's eps = 1e-6 and the swap: active and inactive hinges,
# swapped and not, rows at 1e150, a near-coincident anchor and positive (eps dominates).
TRIPLET_A = np.array([
    [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [1e150, -2e150, 5e149], [1e150, 2e149, 3e149],
    [0.5, -0.5, 0.25], [1e-9, 2e-9, -1e-9], [3.0, 1.0, -2.0],
])
TRIPLET_P = np.array([
    [0.3, -0.4, 0.5], [1.5, 2.0, 2.0], [1.1e150, -2e150, 4e149], [2e149, 1e150, 1e149],
    [0.5 + 2e-7, -0.5, 0.25 - 3e-7], [0.0, 0.0, 0.0], [2.5, 1.5, -2.5],
])
TRIPLET_N = np.array([
    [1.0, 1.0, -1.0], [1.2, 2.2, 3.1], [-1e150, 1e150, 3e149], [1.5e150, 5e149, 4e149],
    [0.6, -0.9, 0.1], [0.7, -0.3, 0.2], [3.05, 1.6, -2.1],
])

# Pairs (rows of 3) for the cosine loss with margin 0.2: identical and proportional rows
# (exactly: by powers of 2 or products of exact integers; a row times 3e150 and the row
# times 1e150 are not parallel in float64, and 1 - cos of nearly parallel rows is
# ill-conditioned, relative error ~ 1e-16 / angle)
# (1 - cos of order 1e-12 only from PyTorch's 1e-12), opposite and orthogonal-ish rows,
# a zero row, rows at 1e150 and 1e-150 (dissimilar, below the margin).
COSINE_Y = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, 1.0])
COSINE_X1 = np.array([
    _ROW, 1e3 * _ROW, _ROW, [1.0, 0.0, 0.0], 1e150 * _ROW, [0.0, 0.0, 0.0],
    _ROW, 1e150 * _ROW, 1e-150 * _ROW, [1.0, 1.0, 0.0], 1e-6 * _ROW,
])
COSINE_X2 = np.array([
    _ROW, 2e3 * _ROW, -_ROW, [0.5, 0.5, 0.0], 2e150 * _ROW[::-1], _ROW,
    _ROW + 0.1, [1e150, -1.5e150, 1e150], -1e-150 * _ROW[::-1], [1.0, 0.0, 0.0], 2e-6 * _ROW,
])

HINGE_EMBEDDING_X = [-1e300, -3.0, 0.0, 1e-20, 0.5, 1 - 1e-12, 1 + 1e-9, 2.0, 1e300]

# A batch of five queries and keys (rows of 3; no zero entries: mpmath's diff steps by
# 1e-56 at 0): a confident row (query 0 equals key 0,
# the other keys far away at T = 0.02), rows at 1e-150 and 1e150, a nearly orthogonal row.
INFO_NCE_Q = np.array([
    [1.0, 1e-3, -2e-3], [3e-151, 1e-150, 2e-150], [1e150, 1e150, -1e150], [0.3, -0.2, 0.9],
    [-0.5, 0.4, 1e-3],
])
INFO_NCE_K = np.array([
    [1.0, 1e-3, -2e-3], [0.1, 1.0, 1.5], [2e150, 1e150, -1e150], [-0.3, -0.2, 0.95],
    [-0.6, 0.3, -0.2],
])
INFO_NCE_PARAMS = {"temperature": 0.02, "normalize": True}


def _grid(labels, values):
    y, x = np.meshgrid(np.asarray(labels, float), np.asarray(values, float), indexing="ij")
    return y.reshape(-1), x.reshape(-1)


CASES = {
    "contrastive_loss": LossCase(
        sample=_contrastive_sample,
        stress=lambda: (CONTRASTIVE_Y, CONTRASTIVE_X1, CONTRASTIVE_X2, {"margin": 1.0}),
        reference=contrastive_reference,
    ),
    "triplet_margin_loss": LossCase(
        sample=_triplet_sample,
        stress=lambda: (TRIPLET_A, TRIPLET_P, TRIPLET_N,
                        {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": True}),
        reference=triplet_reference,
        symbolic_options={"p": 2.0, "eps": 1e-6, "swap": True},
    ),
    "cosine_embedding_loss": LossCase(
        sample=_cosine_sample,
        stress=lambda: (COSINE_Y, COSINE_X1, COSINE_X2, {"margin": 0.2}),
        reference=cosine_reference,
    ),
    "info_nce": LossCase(
        sample=_info_nce_sample,
        stress=lambda: (INFO_NCE_Q, INFO_NCE_K, INFO_NCE_PARAMS),
        reference=info_nce_reference_for(INFO_NCE_Q, INFO_NCE_K),
        symbolic=info_nce_symbolic,
        integers=lambda rng: (np.array([[1, 0], [0, 2], [-1, 1]]),
                              np.array([[2, 1], [0, 1], [-3, 2]]),
                              {"temperature": 0.5, "normalize": True}),
    ),
    "hinge_embedding_loss": LossCase(
        sample=_hinge_embedding_sample,
        stress=lambda: (*_grid([-1.0, 1.0], HINGE_EMBEDDING_X), {"margin": 1.0}),
        reference=hinge_embedding_reference,
    ),
}
