"""Test case for the multiclass hinge (PyTorch's ``multi_margin_loss``, no weights).

The mpmath reference is PyTorch's documented formula,
sum_{j != y} max(0, margin - x[y] + x[j])^p / x.size(0), term by term.
"""

import mpmath as mp
import numpy as np

from ._case import LossCase


def multi_margin_reference(y, scores, params):
    p, margin = params.get("p", 1), mp.mpf(params.get("margin", 1.0))
    c = int(y)
    terms = [max(mp.mpf(0), margin - scores[c] + s) ** p
             for j, s in enumerate(scores) if j != c]
    return mp.fsum(terms) / len(scores)


def _sample(rng):
    y = rng.integers(0, 4, size=5).astype(float)
    scores = rng.normal(scale=2.0, size=(5, 4))
    true = np.take_along_axis(scores, y.astype(int)[:, None], axis=-1)
    # keep every wrong class clear of the kink s_j = s_y - margin
    scores = np.where(np.abs(1.0 - true + scores) < 0.05, scores + 0.2, scores)
    return y, scores, {"p": 2, "margin": 1.0}


# Rows of 4 scores: huge and tiny scores (a tiny score only where the loss is of order
# 1), a confident row (loss 0), a term with a single rounding (s_j - s_y within 1e-12 of
# -margin but not at it), margin-sized gaps.
STRESS_Y = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 2.0])
STRESS_SCORES = np.array([
    [1e150, -1e150, 0.0, 5.0],
    [0.0, 1e-20, 0.5, -3.0],
    [4e149, -2e149, 3e149, 2.5e149],
    [2.0, 2.0 - 1e-12, 1.0, 1.5],
    [10.0, 0.0, -1.0, 9.5],
    [-1e149, -3e149, 7.0, 6.5],
])

CASES = {
    "multi_margin_loss": LossCase(
        sample=_sample,
        stress=lambda: (STRESS_Y, STRESS_SCORES, {"p": 2, "margin": 1.0}),
        reference=multi_margin_reference,
        symbolic_options={"p": 2},
    ),
}
