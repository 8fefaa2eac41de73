"""Distribution focal loss and varifocal loss against mpmath at 50 digits, the
cross-entropy with a two-hot target, finite differences and hand derivations."""

import mpmath as mp
import numpy as np
import pytest

from lossbook import cross_entropy, distribution_focal_loss, varifocal_loss
from lossbook._two_hot import two_hot_bins
from lossbook.checks import finite_difference_grad

RTOL = 1e-14


def _digits(row):
    """Extra digits that keep e^-(spread) visible next to 1."""
    return int(float(max(row) - min(row)) / 2.3) + 30


def _rel_err(actual, expected):
    expected = float(expected)
    if expected == 0.0:
        return abs(actual)
    return abs(actual - expected) / abs(expected)


# ------------------------------------------------------------------ DFL


def _dfl_reference(y, row):
    """GFL's definition literally: i = floor(y), -((i+1-y) log S_i + (y-i) log S_{i+1}),
    and -log S_{K-1} at y = K - 1."""
    with mp.extradps(_digits(row)):
        row = [mp.mpf(v) for v in row]
        y = mp.mpf(y)
        normaliser = mp.fsum(mp.exp(v) for v in row)

        def log_s(j):
            return mp.log(mp.exp(row[j]) / normaliser)

        k = len(row)
        if y == k - 1:
            return -log_s(k - 1)
        i = int(mp.floor(y))
        return -((i + 1 - y) * log_s(i) + (y - i) * log_s(i + 1))


DFL_LOGITS = np.array([
    [0.0, 1e3, -1e3, 0.0, 5.0],
    [1e3, 1e3 - 1.0, -1e3, 2.0, 0.0],
    [3.0, 3.0, 3.0, 3.0, 3.0],
    [0.0, -745.0, -30.0, -1e3, 40.0],
    [-1e3, -1e3, 1e3, 1e3 - 40.0, 0.5],
    [2.5, -1.5, 0.25, 1.0, -0.5],
])
DFL_TARGETS = [0.0, 1e-15, 0.5, 1.0, 1.25, 2.0 - 1e-12, 3.999999999999, 4.0]


@pytest.mark.parametrize("y", DFL_TARGETS)
def test_dfl_against_mpmath(y):
    targets = np.full(len(DFL_LOGITS), y)
    values = distribution_focal_loss(targets, DFL_LOGITS, reduction="none")
    grads = distribution_focal_loss.grad(targets, DFL_LOGITS)
    with mp.workdps(50):
        for k, row in enumerate(DFL_LOGITS):
            assert _rel_err(values[k], _dfl_reference(y, row)) <= RTOL, (k, values[k])
            # Each gradient entry is softmax_j - t_j (the derivative of -sum_j t_j log S_j
            # for a target summing to 1): within 1e-14 of the larger of the two.
            with mp.extradps(_digits(row)):
                exps = [mp.exp(mp.mpf(v)) for v in row]
                probs = [e / mp.fsum(exps) for e in exps]
            i = min(int(np.floor(y)), row.size - 2)
            two_hot = [mp.mpf(0)] * row.size
            two_hot[i], two_hot[i + 1] = i + 1 - mp.mpf(y), mp.mpf(y) - i
            for j in range(row.size):
                ref = probs[j] - two_hot[j]
                scale = max(float(probs[j]), float(two_hot[j]))
                assert abs(grads[k, j] - float(ref)) <= RTOL * scale + 1e-300, (k, j, ref)


def test_dfl_grad_against_the_mpmath_derivative():
    """The closed form softmax - t checked above, itself against mpmath's derivative of
    the reference on moderate logits."""
    rng = np.random.default_rng(5)
    logits = rng.normal(scale=3.0, size=(4, 5))
    y = np.array([0.0, 1.7, 3.2, 4.0])
    grads = distribution_focal_loss.grad(y, logits)
    with mp.workdps(50):
        for k, row in enumerate(logits):
            for j in range(row.size):
                def along(v, j=j, row=row, k=k):
                    shifted = [mp.mpf(x) for x in row]
                    shifted[j] = v
                    return _dfl_reference(y[k], shifted)

                ref = mp.diff(along, mp.mpf(row[j]))
                assert abs(grads[k, j] - float(ref)) <= 1e-14, (k, j, grads[k, j], ref)


def test_dfl_is_cross_entropy_with_the_two_hot_target():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(30, 7))
    y = rng.uniform(0, 6, size=30)
    y[:3] = [0.0, 6.0, 3.0]
    two_hot = np.zeros_like(logits)
    left = np.minimum(np.floor(y), 5).astype(int)
    two_hot[np.arange(30), left] = left + 1 - y
    two_hot[np.arange(30), left + 1] = y - left
    np.testing.assert_allclose(distribution_focal_loss(y, logits, reduction="none"),
                               cross_entropy(two_hot, logits, reduction="none"), rtol=1e-13)
    np.testing.assert_allclose(distribution_focal_loss.grad(y, logits),
                               cross_entropy.grad(two_hot, logits), rtol=1e-12, atol=1e-15)


def test_dfl_two_hot_weights_sum_to_one_exactly():
    """The DFL gradient takes 1 - t_j for the complement of a two-hot weight (the total of
    the row's weights): the weights y - i (exact) and 1 - (y - i) must sum to 1 in floating
    point, at every target, including those next to an integer, tiny ones and K - 1."""
    rng = np.random.default_rng(3)
    k = 17
    y = np.concatenate([rng.uniform(0, k - 1, 200000), np.arange(k, dtype=float),
                        np.nextafter(np.arange(1.0, k), 0.0), np.nextafter(np.arange(k - 1.0), k),
                        [5e-324, 1e-300, 1e-17, 0.5, 0.5 - 2**-54, 15.5 + 2**-49]])
    _, left_index, left_weight, right_weight, _, _ = two_hot_bins(y, np.zeros((y.size, k)))
    np.testing.assert_array_equal(left_weight + right_weight, 1.0)
    left = left_index - np.arange(0, y.size * k, k)
    np.testing.assert_array_equal(right_weight, y - left)  # the exact right weight


def test_dfl_minimiser_expectation_recovers_the_target():
    """At the minimiser the softmax equals the two-hot target, whose mean is y:
    gradient descent on one row drives sum_j j S_j to y."""
    y = np.array([2.3])
    z = np.zeros((1, 6))
    for _ in range(4000):
        z -= 2.0 * distribution_focal_loss.grad(y, z)
    s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert float(s[0] @ np.arange(6)) == pytest.approx(2.3, abs=1e-3)
    assert s[0, 2] + s[0, 3] > 0.99


def test_dfl_end_bin_and_box_edges():
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4]]))
    assert distribution_focal_loss([3.0], logits) == pytest.approx(-np.log(0.4), rel=1e-14)
    assert distribution_focal_loss([0.0], logits) == pytest.approx(-np.log(0.1), rel=1e-14)
    # (n, 4 edges, K bins): one loss per edge
    rng = np.random.default_rng(1)
    edges = rng.normal(size=(5, 4, 8))
    y = rng.uniform(0, 7, size=(5, 4))
    per_edge = distribution_focal_loss(y, edges, reduction="none")
    assert per_edge.shape == (5, 4)
    np.testing.assert_array_equal(
        per_edge.reshape(-1),
        distribution_focal_loss(y.reshape(-1), edges.reshape(-1, 8), reduction="none"))


def test_dfl_grad_matches_finite_differences():
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=2.0, size=(6, 5))
    y = rng.uniform(0, 4, size=6)
    numeric = finite_difference_grad(
        lambda v: distribution_focal_loss(y, v, reduction="sum"), logits.copy())
    np.testing.assert_allclose(distribution_focal_loss.grad(y, logits), numeric, rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize(
    "y, logits, name",
    [([4.5], np.zeros((1, 5)), "y_true"), ([-0.1], np.zeros((1, 5)), "y_true"),
     ([0.0], np.zeros((1, 1)), "logits"), ([0.0, 1.0], np.zeros((1, 5)), "y_true"),
     ([0.0], np.zeros(5), "logits")],
)
def test_dfl_rejects_bad_input(y, logits, name):
    with pytest.raises(ValueError, match=name):
        distribution_focal_loss(y, logits)
    with pytest.raises(ValueError, match=name):
        distribution_focal_loss.grad(y, logits)


# ------------------------------------------------------------------ VFL


def _vfl_reference(q, z, alpha, gamma):
    """MMDetection's varifocal_loss (iou_weighted=True) line by line."""
    with mp.extradps(int(abs(float(z)) / 2.3) + 30):
        q, z = mp.mpf(q), mp.mpf(z)
        p = 1 / (1 + mp.exp(-z))
        weight = q if q > 0 else alpha * abs(p - q) ** gamma
        bce = -(q * mp.log(p) + (1 - q) * mp.log(1 - p))
        return bce * weight


VFL_TARGETS = [0.0, 1e-15, 0.3, 0.9, 1.0 - 1e-15, 1.0]
VFL_LOGITS = [-1e3, -745.0, -100.0, -20.0, -1.5, -1e-8, 0.0, 0.5, 3.0, 20.0, 100.0, 745.0, 1e3]


@pytest.mark.parametrize("alpha, gamma", [(0.75, 2.0), (0.25, 0.5), (1.0, 0.0), (2.0, 3.5)])
def test_vfl_against_mpmath(alpha, gamma):
    q, z = (a.reshape(-1) for a in np.meshgrid(VFL_TARGETS, VFL_LOGITS, indexing="ij"))
    values = varifocal_loss(q, z, alpha=alpha, gamma=gamma, reduction="none")
    grads = varifocal_loss.grad(q, z, alpha=alpha, gamma=gamma)
    with mp.workdps(50):
        for k in range(q.size):
            ref = _vfl_reference(q[k], z[k], alpha, gamma)
            assert _rel_err(values[k], ref) <= RTOL, (q[k], z[k], values[k], ref)
            x = mp.mpf(z[k])
            with mp.extradps(int(abs(z[k]) / 2.3) + 40):
                slope = mp.diff(lambda v, k=k: _vfl_reference(q[k], v, alpha, gamma), x,
                                h=max(abs(x), 1) * mp.mpf("1e-40"))
                p = 1 / (1 + mp.exp(-x))
            if q[k] > 0:  # q (sigma(z) - q): relative to the two probabilities subtracted
                scale = float(q[k] * max(p, mp.mpf(q[k])))
                assert abs(grads[k] - float(slope)) <= RTOL * scale + 1e-300, (q[k], z[k])
            else:
                assert _rel_err(grads[k], slope) <= RTOL, (z[k], grads[k], slope)


def test_vfl_by_hand():
    # negative at z = 0: 0.75 * (1/2)^2 * log 2; positive q = 0.6 at z = 0: 0.6 * log 2
    values = varifocal_loss([0.0, 0.6], [0.0, 0.0], reduction="none")
    np.testing.assert_allclose(values, [0.75 / 4 * np.log(2), 0.6 * np.log(2)], rtol=1e-15)
    # a positive's loss is minimal at sigma(z) = q (gradient zero), a negative's near z -> -inf
    z_star = np.log(0.6 / 0.4)
    assert abs(varifocal_loss.grad([0.6], [z_star])[0]) < 1e-16
    # mean is the plain mean over all elements
    q = np.array([0.0, 0.0, 0.0, 0.8])
    z = np.array([-2.0, 1.0, 0.0, 2.0])
    assert varifocal_loss(q, z) == pytest.approx(
        varifocal_loss(q, z, reduction="sum") / 4, rel=1e-15)


def test_vfl_reduces_to_weighted_focal_terms():
    """gamma = 0, alpha = 1: negatives are plain BCE; positives q-weighted BCE."""
    from lossbook import binary_cross_entropy_with_logits as bce

    rng = np.random.default_rng(3)
    q = np.where(rng.uniform(size=40) < 0.5, 0.0, rng.uniform(0.1, 1.0, size=40))
    z = rng.normal(scale=3.0, size=40)
    expected = np.where(q > 0, q, 1.0) * bce(q, z, reduction="none")
    np.testing.assert_allclose(varifocal_loss(q, z, alpha=1.0, gamma=0.0, reduction="none"),
                               expected, rtol=1e-14)


def test_vfl_grad_matches_finite_differences():
    rng = np.random.default_rng(4)
    q = np.where(rng.uniform(size=(5, 4)) < 0.5, 0.0, rng.uniform(0.1, 1.0, size=(5, 4)))
    z = rng.normal(scale=2.0, size=(5, 4))
    numeric = finite_difference_grad(
        lambda v: varifocal_loss(q, v, alpha=0.6, gamma=1.5, reduction="sum"), z.copy())
    np.testing.assert_allclose(varifocal_loss.grad(q, z, alpha=0.6, gamma=1.5), numeric,
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "q, kwargs, name",
    [([1.5], {}, "y_true"), ([-0.1], {}, "y_true"), ([0.5], {"alpha": -0.1}, "alpha"),
     ([0.5], {"gamma": -1.0}, "gamma"), ([0.5, 0.1], {}, "logits")],
)
def test_vfl_rejects_bad_input(q, kwargs, name):
    with pytest.raises(ValueError, match=name):
        varifocal_loss(q, [0.0], **kwargs)
    with pytest.raises(ValueError, match=name):
        varifocal_loss.grad(q, [0.0], **kwargs)


def test_dfl_tail_dominated_value_at_logits_of_a_thousand():
    """At the last bin with S_{K-1} = 1 - O(e^-548), -log S_{K-1} is a sum of tail
    probabilities; it must still be accurate to 1e-14."""
    row = np.array([86.19349230524597, -518.4787884367729, 0.6170577675660595,
                    268.99392967370085, 159.7744292278796, 234.1606587687749,
                    817.5696280714421])
    value = distribution_focal_loss([6.0], row[None], reduction="none")[0]
    with mp.workdps(400):
        weights = [mp.exp(mp.mpf(float(v))) for v in row]
        expected = -mp.log(weights[-1] / mp.fsum(weights))
    assert abs(value - float(expected)) <= 1e-14 * float(expected), (value, expected)
