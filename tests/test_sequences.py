"""CTC against brute-force enumeration of every alignment (mpmath, 50 digits), an
mpmath forward recursion in the probability domain, finite differences and hand
derivations."""

import itertools

import mpmath as mp
import numpy as np
import pytest

from lossbook import ctc_loss
from lossbook.checks import finite_difference_grad
from lossbook.sequences import ctc_collapse

RTOL = 1e-14


def _collapse(path, blank):
    """B: merge repeats, drop blanks (written again here, independently of lossbook)."""
    merged = [c for t, c in enumerate(path) if t == 0 or c != path[t - 1]]
    return tuple(c for c in merged if c != blank)


def _brute_force(labels, logits, blank):
    """-log p(y|x) and the gradient softmax - posterior, by enumerating all C^T paths."""
    t_len, k = logits.shape
    # a loss as small as the product of the frames' smallest probabilities needs that
    # many digits to survive next to 1 in the likelihood
    with mp.workdps(50 + int(float(np.ptp(logits, axis=-1).sum()) / 2.3)):
        probs = []
        for row in logits:
            exps = [mp.exp(mp.mpf(v)) for v in row]
            total = mp.fsum(exps)
            probs.append([e / total for e in exps])
        likelihood = mp.mpf(0)
        posterior = [[mp.mpf(0)] * k for _ in range(t_len)]
        for path in itertools.product(range(k), repeat=t_len):
            if _collapse(path, blank) == tuple(labels):
                weight = mp.fprod(probs[t][c] for t, c in enumerate(path))
                likelihood += weight
                for t, c in enumerate(path):
                    posterior[t][c] += weight
        if likelihood == 0:
            return mp.inf, None, None
        grad = [[probs[t][c] - posterior[t][c] / likelihood for c in range(k)]
                for t in range(t_len)]
        scale = [[max(probs[t][c], posterior[t][c] / likelihood) for c in range(k)]
                 for t in range(t_len)]
        return -mp.log(likelihood), grad, scale


def _spread(logits):
    """Sum over frames of the largest |log-probability|: what the log-space
    forward-backward accumulates."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.abs(log_probs).max(axis=-1).sum()) + 1.0


def _random_batch(rng, n, t_len, k, blank, scale):
    logits = rng.normal(scale=scale, size=(n, t_len, k))
    labels = [c for c in range(k) if c != blank]
    targets = [[int(c) for c in rng.choice(labels, size=rng.integers(0, t_len + 1))]
               for _ in range(n)]
    return targets, logits


def _check_against_brute_force(targets, logits, blank, value_rtol=RTOL):
    values = ctc_loss(targets, logits, blank=blank, reduction="none")
    grads = ctc_loss.grad(targets, logits, blank=blank)
    for i, labels in enumerate(targets):
        ref, ref_grad, scale = _brute_force(labels, logits[i], blank)
        if ref == mp.inf:
            assert values[i] == np.inf and np.all(np.isnan(grads[i]))
            continue
        assert abs(values[i] - float(ref)) <= value_rtol * float(ref) + 1e-300, (
            labels, values[i], ref)
        tol = RTOL * _spread(logits[i])
        for t in range(logits.shape[1]):
            for c in range(logits.shape[2]):
                assert abs(grads[i, t, c] - float(ref_grad[t][c])) <= tol * float(scale[t][c]), (
                    labels, t, c, grads[i, t, c], ref_grad[t][c])


@pytest.mark.parametrize("scale", [0.5, 3.0, 1e3])
@pytest.mark.parametrize("seed", range(4))
def test_ctc_against_brute_force(scale, seed):
    rng = np.random.default_rng(seed)
    t_len, k = int(rng.integers(1, 6)), int(rng.integers(2, 4))
    blank = int(rng.integers(0, k))
    targets, logits = _random_batch(rng, 4, t_len, k, blank, scale)
    _check_against_brute_force(targets, logits, blank)


def test_ctc_stress_logits_of_a_thousand():
    """Logits of +-1e3: alignments with probability e^-2000 and below still count."""
    logits = np.array([
        [[1e3, -1e3, 0.0], [-1e3, 1e3, 0.0], [0.0, 0.0, 1e3], [1e3, 1e3, -1e3]],
        [[-1e3, 1e3, 1e3], [1e3, -1e3, -1e3], [-1e3, -1e3, 1e3], [0.0, 1e3, 0.0]],
        [[0.0, 0.0, 0.0], [1e3, -1e3, 1e3], [-1e3, 1e3, 0.0], [1e3, 0.0, -1e3]],
    ])
    for targets in ([[1, 2], [2, 1], [1]], [[2, 2], [], [1, 2, 1]], [[1, 1], [2], [2, 1, 2]]):
        _check_against_brute_force(targets, logits, blank=0)


def test_ctc_repeated_labels_need_a_blank_between():
    # [1, 1] needs 3 frames (1, blank, 1); with 2 it is infeasible: +inf, NaN gradient.
    logits = np.zeros((1, 2, 3))
    assert ctc_loss([[1, 1]], logits, reduction="none")[0] == np.inf
    assert np.all(np.isnan(ctc_loss.grad([[1, 1]], logits)))
    # with 3 uniform frames exactly one path (1, 0, 1) of 27 collapses to [1, 1]
    logits3 = np.zeros((1, 3, 3))
    assert ctc_loss([[1, 1]], logits3, reduction="none")[0] == pytest.approx(np.log(27),
                                                                              rel=1e-15)
    # [1, 2] in 2 frames: one path (1, 2); too long a target: inf
    assert ctc_loss([[1, 2]], logits, reduction="none")[0] == pytest.approx(np.log(9), rel=1e-15)
    assert ctc_loss([[1, 2, 1]], logits, reduction="none")[0] == np.inf


def test_ctc_empty_target_is_all_blanks():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 6, 4))
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    expected = -log_probs[:, :, 2].sum(axis=1)
    np.testing.assert_allclose(ctc_loss([[], []], logits, blank=2, reduction="none"), expected,
                               rtol=1e-14)


def test_ctc_mean_is_pytorchs():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 7, 4))
    targets = [[1, 2, 3], [], [2, 2]]
    per_sample = ctc_loss(targets, logits, reduction="none")
    expected = np.mean(per_sample / np.array([3, 1, 2]))
    assert ctc_loss(targets, logits) == pytest.approx(expected, rel=1e-15)
    assert ctc_loss(targets, logits, reduction="sum") == pytest.approx(per_sample.sum(),
                                                                       rel=1e-15)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_ctc_grad_matches_finite_differences(reduction):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(3, 6, 4))
    targets = [[1, 3, 3], [2], []]
    numeric = finite_difference_grad(lambda v: ctc_loss(targets, v, reduction=reduction),
                                     logits.copy())
    np.testing.assert_allclose(ctc_loss.grad(targets, logits, reduction=reduction), numeric,
                               rtol=1e-6, atol=1e-9)


def _forward_probability_domain(labels, logits, blank):
    """Graves' alpha recursion with plain probabilities at 50+ digits (mpmath has no
    underflow), as an independent check for T too long to enumerate."""
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    with mp.workdps(60):
        probs = []
        for row in logits:
            exps = [mp.exp(mp.mpf(v)) for v in row]
            total = mp.fsum(exps)
            probs.append([e / total for e in exps])
        alpha = [mp.mpf(0)] * len(ext)
        alpha[0] = probs[0][ext[0]]
        if len(ext) > 1:
            alpha[1] = probs[0][ext[1]]
        for t in range(1, len(logits)):
            new = []
            for s, c in enumerate(ext):
                total = alpha[s] + (alpha[s - 1] if s >= 1 else 0)
                if s >= 2 and c != blank and c != ext[s - 2]:
                    total += alpha[s - 2]
                new.append(total * probs[t][c])
            alpha = new
        likelihood = alpha[-1] + (alpha[-2] if len(ext) > 1 else 0)
        return -mp.log(likelihood)


def test_ctc_long_sequences_against_mpmath_forward():
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=4.0, size=(3, 60, 6))
    targets = [list(rng.integers(1, 6, size=25)), [1, 1, 1, 2, 2], list(rng.integers(1, 6, 40))]
    values = ctc_loss(targets, logits, reduction="none")
    for i, labels in enumerate(targets):
        ref = _forward_probability_domain(labels, logits[i], 0)
        assert abs(values[i] - float(ref)) <= 1e-13 * float(ref), (i, values[i], ref)


def test_ctc_accepts_a_padded_array_and_lists_alike():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(2, 5, 3))
    as_array = ctc_loss(np.array([[1, 2], [2, 2]]), logits, reduction="none")
    np.testing.assert_array_equal(as_array, ctc_loss([[1, 2], [2, 2]], logits, reduction="none"))
    np.testing.assert_array_equal(as_array, ctc_loss(([1.0, 2.0], (2, 2)), logits,
                                                     reduction="none"))


def test_ctc_collapse_map():
    assert ctc_collapse([0, 1, 1, 0, 0, 1, 2, 2]) == (1, 1, 2)
    assert ctc_collapse([3, 3, 3], blank=3) == ()
    for path in itertools.product(range(3), repeat=4):
        assert ctc_collapse(path, blank=1) == _collapse(path, 1)


@pytest.mark.parametrize(
    "targets, kwargs, error, match",
    [([[1], [0]], {}, ValueError, r"y_true\[1\].*blank"),
     ([[1], [3]], {}, ValueError, r"y_true\[1\]"),
     ([[1]], {}, ValueError, "one label sequence per sample"),
     ([[1], [1.5]], {}, ValueError, r"y_true\[1\].*integer"),
     ([[1], ["a"]], {}, TypeError, r"y_true\[1\]"),
     ([[1], [2]], {"blank": 3}, ValueError, "blank"),
     ([[1], [2]], {"blank": 1.0}, TypeError, "blank"),
     (5, {}, TypeError, "y_true")],
)
def test_ctc_rejects_bad_targets(targets, kwargs, error, match):
    logits = np.zeros((2, 4, 3))
    with pytest.raises(error, match=match):
        ctc_loss(targets, logits, **kwargs)
    with pytest.raises(error, match=match):
        ctc_loss.grad(targets, logits, **kwargs)


def test_ctc_rejects_bad_logits():
    with pytest.raises(ValueError, match="logits"):
        ctc_loss([[1]], np.zeros((4, 3)))
    with pytest.raises(ValueError, match="finite"):
        ctc_loss([[1]], np.full((1, 4, 3), np.nan))


@pytest.mark.parametrize(
    "targets, logits, kwargs, error, match",
    [([[1]], np.zeros((1, 2, 3, 4)), {}, ValueError, r"logits must have shape \(n, T, C\)"),
     ([[1], [1], [2]], np.zeros((2, 4, 3)), {}, ValueError, "one label sequence per sample"),
     ([[1]], np.zeros((1, 0, 3)), {}, ValueError, "logits must not be empty"),
     ([[1]], np.zeros((1, 3, 3)), {"blank": -1}, ValueError, "blank"),
     ([[1]], np.zeros((1, 3, 3)), {"blank": True}, TypeError, "blank"),
     ([[1]], np.full((1, 3, 3), np.inf), {}, ValueError, "logits must contain only finite")],
)
def test_ctc_rejects_bad_shapes_and_blanks(targets, logits, kwargs, error, match):
    """Every bad input raises, naming the argument, from the value and from the gradient."""
    with pytest.raises(error, match=match):
        ctc_loss(targets, logits, **kwargs)
    with pytest.raises(error, match=match):
        ctc_loss.grad(targets, logits, **kwargs)


@pytest.mark.parametrize("k, blank", [(2, 0), (3, 0), (4, 2), (6, 5)])
def test_ctc_tiny_losses_keep_their_relative_accuracy(k, blank):
    """When p(y|x) is within 1e-8 of 1 the loss -log p is a tiny number that a log-space
    sum over alignments would get from cancelling terms (each alignment's log-probability
    is larger): it is held to 1e-14 relative all the same."""
    rng = np.random.default_rng(6 + k)
    tiny = 0
    for _ in range(60):
        t_len = int(rng.integers(2, 6))
        logits = rng.normal(scale=30.0, size=(t_len, k))
        labels = _collapse(tuple(int(c) for c in logits.argmax(axis=1)), blank)
        value = ctc_loss([labels], logits[None], blank=blank, reduction="none")[0]
        ref, _, _ = _brute_force(labels, logits, blank)
        assert abs(value - float(ref)) <= RTOL * float(ref) + 1e-300, (labels, value, ref)
        tiny += ref < 1e-8
    assert tiny >= 5  # the grid does reach the tiny-loss regime


def test_ctc_tail_dominated_loss_at_logits_of_hundreds():
    logits = np.array([[235.67826982866666, -469.7261433607555],
                       [-64.45588553953766, 41.6570286669272],
                       [-374.69998284451316, 257.02222266202307]])
    value = ctc_loss([[0]], logits[None], blank=1, reduction="none")[0]
    ref, _, _ = _brute_force((0,), logits, 1)
    assert abs(value - float(ref)) <= RTOL * float(ref), (value, ref)


def test_small_and_large_lattices_take_routes_that_agree_to_the_bit():
    """A lattice of few (sample, state) cells sorts the three terms of each log-sum-exp, a
    large one orders them by elementwise min/max (lossbook.sequences._SORT_CELLS): a batch
    above the threshold and each of its samples alone, below it, give the very same bits."""
    from lossbook.sequences import _SORT_CELLS

    rng = np.random.default_rng(12)
    n, t_len, k = 10, 30, 6
    logits = rng.normal(scale=5.0, size=(n, t_len, k))
    targets = [list(rng.integers(1, k, size=int(rng.integers(0, 13)))) for _ in range(n)]
    targets[0] = [2] * 12  # repeats: the skip is never allowed
    assert n * (2 * max(map(len, targets)) + 1) > _SORT_CELLS >= 2 * 12 + 1
    values = ctc_loss(targets, logits, reduction="none")
    grads = ctc_loss.grad(targets, logits)
    for i in range(n):
        assert np.array_equal(ctc_loss([targets[i]], logits[i:i + 1], reduction="none"),
                              values[i:i + 1])
        assert np.array_equal(ctc_loss.grad([targets[i]], logits[i:i + 1]), grads[i:i + 1],
                              equal_nan=True)


def test_a_sample_gets_the_same_bits_alone_and_beside_far_apart_logits():
    """The route is decided per sample, and the softmax corrects an entry's rounding by
    its own logit gap alone: a sample's value and gradient do not depend on a sample of
    logits 40 apart (gaps far below -32) in the same batch."""
    rng = np.random.default_rng(1)
    moderate, far_apart = rng.normal(size=(1, 12, 6)) * 5, rng.normal(size=(1, 12, 6)) * 40
    labels = np.array([[1, 2, 3], [2, 4, 1]])
    batch = np.concatenate([moderate, far_apart])
    assert (ctc_loss(labels[:1], moderate, reduction="none")[0]
            == ctc_loss(labels, batch, reduction="none")[0])
    np.testing.assert_array_equal(ctc_loss.grad(labels[:1], moderate)[0],
                                  ctc_loss.grad(labels, batch)[0])
