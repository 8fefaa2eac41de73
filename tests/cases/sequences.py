"""Test case for CTC: the reference enumerates every alignment (mpmath has no
underflow, so logits of +-1e3 need no log space). Ragged targets, infeasible
targets and long sequences are in tests/test_sequences.py."""

import itertools

import mpmath as mp
import numpy as np
import sympy as sp

from lossbook.sequences import ctc_logit_symbols

from ._case import LossCase


def _collapse(path, blank):
    merged = [c for t, c in enumerate(path) if t == 0 or c != path[t - 1]]
    return tuple(c for c in merged if c != blank)


def _ctc_reference(labels, block, params):
    blank = params.get("blank", 0)
    labels = tuple(int(v) for v in labels)
    spread = max(max(row) - min(row) for row in block)
    with mp.extradps(int(spread / 2) + 20):
        probs = []
        for row in block:
            total = mp.fsum(mp.exp(v) for v in row)
            probs.append([mp.exp(v) / total for v in row])
        likelihood = mp.fsum(
            mp.fprod(probs[t][c] for t, c in enumerate(path))
            for path in itertools.product(range(len(block[0])), repeat=len(block))
            if _collapse(path, blank) == labels)
        return -mp.log(likelihood)


def _ctc_symbolic(loss, labels, logits, params):
    """Values and gradients from ``ctc_loss.symbolic`` (a brute-force sympy sum), per sample."""
    n, t_len, k = logits.shape
    z = list(ctc_logit_symbols(t_len, k))
    values, grads = np.empty(n), np.empty(logits.shape)
    for i in range(n):
        expr = loss.symbolic(t_len=t_len, k=k, labels=tuple(labels[i]), **params)
        evaluate = sp.lambdify(z, [expr, *(sp.diff(expr, zj) for zj in z)], "numpy")
        value, *grad = evaluate(*logits[i].reshape(-1))
        values[i], grads[i] = value, np.reshape(grad, (t_len, k))
    return values, grads


def _ctc_sample(rng):
    return (np.array([[1, 2], [2, 2], [1, 1], [2, 1]]), rng.normal(size=(4, 4, 3)),
            {"blank": 0})


def _ctc_stress():
    logits = np.array([
        [[1e3, -1e3, 0.0], [-1e3, 1e3, 0.0], [0.0, 0.0, 1e3], [1e3, 1e3, -1e3]],
        [[0.5, 0.0, -0.25], [1e3, -1e3, 1e3 - 2.0], [-1e3, 1e3, 0.0], [1e3, 0.0, -1e3]],
        [[-20.0, 3.0, 0.5], [40.0, -1.0, 2.0], [0.0, 0.0, 1e-8], [-7.0, 0.0, 30.0]],
    ])
    return np.array([[1, 2], [2, 1], [1, 1]]), logits, {"blank": 0}


# The harness holds each gradient entry to 1e-14 of itself; an entry that is a
# difference of two nearly equal probabilities is held to 1e-14 of their magnitude
# (times the spread of the log-probabilities) in tests/test_sequences.py instead.
CASES = {
    "ctc_loss": LossCase(
        sample=_ctc_sample,
        stress=_ctc_stress,
        reference=_ctc_reference,
        symbolic=_ctc_symbolic,
    ),
}
