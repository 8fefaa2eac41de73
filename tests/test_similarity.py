"""The similarity losses beyond the contract: PyTorch's formulas written with numpy's own
norms, InfoNCE as cross-entropy on the similarity matrix, rows at 1e-150 against mpmath at
high precision, parameters at the edges, bad input."""

import mpmath as mp
import numpy as np
import pytest

import lossbook
from lossbook import (
    contrastive_loss,
    cosine_embedding_loss,
    cross_entropy,
    hinge_embedding_loss,
    info_nce,
    triplet_margin_loss,
)
from tests.cases.similarity import (
    INFO_NCE_K,
    INFO_NCE_Q,
    TRIPLET_A,
    TRIPLET_N,
    TRIPLET_P,
    info_nce_reference_for,
)
from tests.mpmath_harness import assert_matches_mpmath

RNG = np.random.default_rng(1515)
ROW = np.array([1.0, -2.0, 0.5])


# ------------------------------------------------------------------ contrastive


def test_contrastive_matches_the_formula_with_numpy_norms():
    x1, x2 = RNG.normal(size=(2, 50, 4))
    y = RNG.integers(0, 2, size=50)
    d = np.linalg.norm(x1 - x2, axis=-1)
    expected = np.where(y == 1, d**2 / 2, np.maximum(0, 2.0 - d) ** 2 / 2)
    np.testing.assert_allclose(contrastive_loss(y, x1, x2, margin=2.0, reduction="none"),
                               expected, rtol=1e-14)


def test_contrastive_gradient_is_zero_at_distance_zero():
    x = np.array([[0.3, -0.2, 5.0]])
    assert contrastive_loss([0], x, x) == 0.5
    g1, g2 = contrastive_loss.grad([0], x, x)
    assert not g1.any() and not g2.any()


def test_contrastive_tiny_and_huge_rows_against_mpmath():
    # dissimilar pairs at 1e-150 have a loss of order m^2 / 2: more digits for mpmath's diff
    y = np.array([0.0, 0.0, 1.0, 0.0])
    x1 = np.array([1e-150 * ROW, 3e-151 * ROW, 1e-150 * ROW, 1e150 * ROW])
    x2 = np.array([-2e-150 * ROW[::-1], 1e-150 * ROW, 3e-150 * ROW, 1e150 * ROW[::-1]])
    assert_matches_mpmath(contrastive_loss, (y, x1, x2), {"margin": 1.0}, dps=400, step=1e-20)
    assert_matches_mpmath(contrastive_loss, (y, x1, x2), {"margin": 1e-150}, dps=400,
                          step=1e-20)


@pytest.mark.parametrize("margin", [1e-300, 1e150])
def test_contrastive_margin_at_the_edges_against_mpmath(margin):
    # dissimilar pairs at 1e150 (inside a margin of 1e150, and far outside one of 1e-300)
    y = np.array([0.0, 0.0, 1.0, 0.0])
    x1 = np.array([1e150 * ROW, 3e149 * ROW, ROW, 1e-150 * ROW])
    x2 = np.array([-1e150 * ROW[::-1], 1e149 * ROW, 2 * ROW, 3e-150 * ROW[::-1]])
    assert_matches_mpmath(contrastive_loss, (y, x1, x2), {"margin": margin}, dps=400,
                          step=1e-20)


# ------------------------------------------------------------------ triplet


def _torch_triplet(a, p, n, margin=1.0, norm=2.0, eps=1e-6, swap=False):
    """PyTorch's triplet_margin_loss with numpy's norm: max(margin + d(a,p) - d(a,n), 0)."""
    def dist(u, v):
        return np.linalg.norm(u - v + eps, ord=norm, axis=-1)
    d_neg = dist(a, n)
    if swap:
        d_neg = np.minimum(d_neg, dist(p, n))
    return np.maximum(margin + dist(a, p) - d_neg, 0.0)


@pytest.mark.parametrize("norm", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_matches_pytorch_formula(norm, swap):
    a, p, n = RNG.normal(size=(3, 40, 5))
    params = {"margin": 0.7, "p": norm, "eps": 1e-6, "swap": swap}
    np.testing.assert_allclose(triplet_margin_loss(a, p, n, reduction="none", **params),
                               _torch_triplet(a, p, n, 0.7, norm, 1e-6, swap), rtol=1e-13,
                               atol=1e-15)


@pytest.mark.parametrize("params", [
    {"margin": 1.0, "p": 1.0, "eps": 1e-6, "swap": True},
    {"margin": 1.0, "p": 1.5, "eps": 1e-6, "swap": True},
    {"margin": 1.0, "p": 3.0, "eps": 1e-6, "swap": False},
    {"margin": 1.0, "p": 10.0, "eps": 1e-6, "swap": True},
    {"margin": 1e-3, "p": 2.0, "eps": 0.0, "swap": True},
    {"margin": 1e150, "p": 2.0, "eps": 1e-6, "swap": False},
])
def test_triplet_other_norms_and_eps_against_mpmath(params):
    # a margin of 1e150 next to distances of order 1 needs 150 more digits in mpmath's diff
    dps = 50 if params["margin"] < 1e10 else 250
    assert_matches_mpmath(triplet_margin_loss, (TRIPLET_A, TRIPLET_P, TRIPLET_N), params,
                          dps=dps, step=1e-20)


def test_triplet_rows_at_1e_minus_150_against_mpmath():
    a = np.array([1e-150 * ROW, 2e-150 * ROW])
    p = np.array([3e-150 * ROW[::-1], 2.5e-150 * ROW])
    n = np.array([-1e-150 * ROW, 1e-150 * ROW[::-1]])
    # (With PyTorch's eps = 1e-6 such rows are all eps: every distance is sqrt(3) eps to
    # the last double digit, and which one the swap picks is decided by rounding.)
    for params in ({"eps": 0.0, "margin": 1e-150}, {"eps": 0.0, "margin": 1.0, "swap": True},
                   {"eps": 0.0, "margin": 1.0, "p": 1.0}):
        assert_matches_mpmath(triplet_margin_loss, (a, p, n), params, dps=400, step=1e-20)


def test_triplet_eps_is_added_inside_the_norm():
    a, p, n = np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 2))
    # d(a, p) = ||(eps, eps)|| = sqrt(2) eps; d(a, n) = ||(eps - 1, eps - 1)||
    expected = 1.0 + np.sqrt(2) * 0.25 - np.sqrt(2) * 0.75
    assert triplet_margin_loss(a, p, n, eps=0.25) == pytest.approx(expected, rel=1e-15)


# ------------------------------------------------------------------ cosine


def test_cosine_matches_pytorch_formula():
    x1, x2 = RNG.normal(size=(2, 50, 4))
    y = RNG.choice([-1, 1], size=50)
    cos = np.sum(x1 * x2, -1) / np.sqrt((np.sum(x1**2, -1) + 1e-12) * (np.sum(x2**2, -1) + 1e-12))
    expected = np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.1))
    np.testing.assert_allclose(cosine_embedding_loss(y, x1, x2, margin=0.1, reduction="none"),
                               expected, rtol=1e-13, atol=1e-16)


def test_cosine_of_identical_rows_is_pytorchs_epsilon_term():
    # 1 - |x|^2 / (|x|^2 + 1e-12) = 1e-12 / (|x|^2 + 1e-12): no rounding to 0
    x = np.array([[3.0, 4.0]])
    assert cosine_embedding_loss([1], x, x) == pytest.approx(1e-12 / (25 + 1e-12), rel=1e-15)


@pytest.mark.parametrize("margin", [-1.0, 0.0, 1.0])
def test_cosine_tiny_rows_and_margin_edges_against_mpmath(margin):
    y = np.array([1.0, 1.0, 1.0, -1.0, -1.0, 1.0])
    x1 = np.array([1e-150 * ROW, 1e-150 * ROW, 2e-6 * ROW, 1e-150 * ROW, ROW, 1e150 * ROW])
    x2 = np.array([1e-150 * ROW, -3e-150 * ROW[::-1], 1e-6 * ROW, 2e-150 * ROW, -ROW[::-1],
                   1e150 * ROW[::-1]])
    assert_matches_mpmath(cosine_embedding_loss, (y, x1, x2), {"margin": margin}, dps=400,
                          step=1e-20)


# ------------------------------------------------------------------ InfoNCE


def test_info_nce_is_cross_entropy_on_the_similarity_matrix():
    q, k = RNG.normal(size=(2, 8, 5))
    temperature = 0.3
    unit_q = q / np.linalg.norm(q, axis=1, keepdims=True)
    unit_k = k / np.linalg.norm(k, axis=1, keepdims=True)
    logits = unit_q @ unit_k.T / temperature
    labels = np.arange(8)
    np.testing.assert_allclose(info_nce(q, k, temperature=temperature, reduction="none"),
                               cross_entropy(labels, logits, reduction="none"), rtol=1e-14)
    # the chain rule through the similarity matrix and the normalisation
    d_logits = cross_entropy.grad(labels, logits)
    d_unit_q, d_unit_k = d_logits @ unit_k / temperature, d_logits.T @ unit_q / temperature
    norm_q, norm_k = np.linalg.norm(q, axis=1)[:, None], np.linalg.norm(k, axis=1)[:, None]
    d_q = (d_unit_q - np.sum(d_unit_q * unit_q, 1, keepdims=True) * unit_q) / norm_q
    d_k = (d_unit_k - np.sum(d_unit_k * unit_k, 1, keepdims=True) * unit_k) / norm_k
    grad_q, grad_k = info_nce.grad(q, k, temperature=temperature)
    np.testing.assert_allclose(grad_q, d_q, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad_k, d_k, rtol=1e-12, atol=1e-15)


def test_info_nce_without_normalisation_is_cross_entropy_on_dot_products():
    q, k = RNG.normal(size=(2, 6, 3))
    logits = q @ k.T / 0.5
    np.testing.assert_allclose(info_nce(q, k, temperature=0.5, normalize=False),
                               cross_entropy(np.arange(6), logits), rtol=1e-14)


@pytest.mark.parametrize("temperature, rtol", [(1e-3, 1e-14), (1e3, 1e-14)])
def test_info_nce_temperatures_at_the_edges_against_mpmath(temperature, rtol):
    # At T = 1e-3 a confident row's loss is a sum of e^(s_ij - s_ii) with |s| up to 1e3:
    # the rounding of a float64 unit-vector dot product (1e-16) would become 1e-13 in s,
    # hence in the loss; below infonce.DOUBLE_DOUBLE_BELOW the cosines are double-doubles.
    # (Without the stress batch's row 0, whose query equals its key: at T = 1e-3 the key's
    # gradient is then a 1e-122 remainder of 1e-80 terms, below what rounding resolves.)
    q, k = INFO_NCE_Q[1:], INFO_NCE_K[1:]
    params = {"temperature": temperature, "normalize": True}
    assert_matches_mpmath(info_nce, (q, k), params, rtol=rtol, dps=50, step=1e-20,
                          reference=info_nce_reference_for(q, k))


@pytest.mark.parametrize("temperature", [0.06, 1e-2, 1e-3])
def test_info_nce_small_temperatures_to_1e_14_against_mpmath(temperature):
    q, k = INFO_NCE_Q[1:], INFO_NCE_K[1:]
    params = {"temperature": temperature, "normalize": True}
    assert_matches_mpmath(info_nce, (q, k), params, rtol=1e-14, dps=50, step=1e-20,
                          reference=info_nce_reference_for(q, k))


def test_info_nce_raw_dot_products_against_mpmath():
    q = np.array([[1.0, 0.5, -0.25], [0.1, 2.0, 0.3], [-1.0, 0.2, 0.7]])
    k = np.array([[0.9, 0.4, -0.5], [0.2, 1.5, 0.1], [-0.8, -0.1, 1.0]])
    params = {"temperature": 0.05, "normalize": False}
    assert_matches_mpmath(info_nce, (q, k), params, dps=50, step=1e-20,
                          reference=info_nce_reference_for(q, k))


def test_info_nce_confident_row_keeps_its_tiny_loss():
    q = np.eye(3)
    loss = info_nce(q, q, temperature=0.01, reduction="none")
    # each row: log(1 + 2 e^(-1/T)) ~ 2 e^(-1/T), with T the double nearest 0.01 (2e-17
    # above it, which moves e^(-1/T) by 2e-15 relative: the reference takes it exactly)
    with mp.workdps(50):
        expected = float(mp.log1p(2 * mp.exp(-1 / mp.mpf(0.01))))
    np.testing.assert_allclose(loss, expected, rtol=1e-15)
    # a power of two as the temperature: 1/T exact, each row log(1 + 2 e^-128)
    loss = info_nce(q, q, temperature=2.0**-7, reduction="none")
    np.testing.assert_allclose(loss, 2 * np.exp(-128.0), rtol=1e-15)


def test_info_nce_zero_row_raises_when_normalising():
    q = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="queries row 1"):
        info_nce(q, np.eye(2))
    with pytest.raises(ValueError, match="keys row 1"):
        info_nce.grad(np.eye(2), q)
    assert np.isfinite(info_nce(q, np.eye(2), normalize=False))


# ------------------------------------------------------------------ hinge embedding


@pytest.mark.parametrize("margin, dps", [(0.0, 50), (1e-300, 50), (1e300, 400)])
def test_hinge_embedding_margin_at_the_edges_against_mpmath(margin, dps):
    # away from the kink x = margin, where a central difference averages the two sides
    x = np.array([-1e300, -3.0, -1e-20, 1e-20, 0.5, 2.0, 1e300])
    x = x[np.abs(x - margin) > 1e-10 * max(margin, 1e-290)]
    y = np.concatenate([np.ones_like(x), -np.ones_like(x)])
    assert_matches_mpmath(hinge_embedding_loss, (y, np.concatenate([x, x])), {"margin": margin},
                          dps=dps, step=1e-20)


def test_hinge_embedding_matches_pytorch_formula():
    y = RNG.choice([-1.0, 1.0], size=100)
    x = RNG.normal(size=100) * 2
    expected = np.where(y == 1, x, np.maximum(0, 0.8 - x))
    np.testing.assert_array_equal(hinge_embedding_loss(y, x, margin=0.8, reduction="none"),
                                  expected)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, error, match", [
    (lambda: contrastive_loss([2, 0], np.ones((2, 3)), np.ones((2, 3))), ValueError, "y_true"),
    (lambda: contrastive_loss([1], np.ones((2, 3)), np.ones((2, 3))), ValueError, "y_true"),
    (lambda: contrastive_loss([1], np.ones((1, 3)), np.ones((1, 3)), margin=0.0), ValueError,
     "margin"),
    (lambda: contrastive_loss(1, 1.0, 1.0), ValueError, "x1"),
    (lambda: triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), p=0.5),
     ValueError, r"\bp\b"),
    (lambda: triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), eps=-1.0),
     ValueError, "eps"),
    (lambda: triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), swap=1),
     TypeError, "swap"),
    (lambda: triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 4))),
     ValueError, "negative"),
    (lambda: cosine_embedding_loss([0], np.ones((1, 3)), np.ones((1, 3))), ValueError, "y_true"),
    (lambda: cosine_embedding_loss([1], np.ones((1, 3)), np.ones((1, 3)), margin=1.5),
     ValueError, "margin"),
    (lambda: info_nce(np.ones(3), np.ones(3)), ValueError, "queries"),
    (lambda: info_nce(np.ones((3, 2)), np.ones((2, 2))), ValueError, "keys"),
    (lambda: info_nce(np.eye(2), np.eye(2), temperature=0.0), ValueError, "temperature"),
    (lambda: info_nce(np.eye(2), np.eye(2), normalize="yes"), TypeError, "normalize"),
    (lambda: hinge_embedding_loss([0, 1], [1.0, 2.0]), ValueError, "y_true"),
    (lambda: hinge_embedding_loss([1, 1], [1.0, 2.0], margin=-1.0), ValueError, "margin"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_every_similarity_loss_is_in_its_family():
    names = {n for n, f in lossbook.LOSSES.items() if f.info.family == "similarity"}
    assert names == {"contrastive_loss", "triplet_margin_loss", "cosine_embedding_loss",
                     "info_nce", "hinge_embedding_loss"}


# ------------------------------------------------------------------ stacked and per-side routes


def test_small_and_large_inputs_take_routes_that_agree_to_the_bit():
    """Small inputs stack their two sides (one numpy call serves both), large ones compute
    each side on its own (lossbook._rowwise.pair): the rows of a large batch, evaluated a
    few at a time, must give the very same bits."""
    from lossbook._rowwise import STACK_LIMIT

    rng = np.random.default_rng(77)
    rows, d = STACK_LIMIT // 8 + 5, 16  # each input above the limit, 8 rows well below it
    x1, x2, x3 = rng.normal(size=(3, rows, d)) * np.logspace(-150, 150, rows)[:, None]
    y01, ypm = rng.integers(0, 2, rows), rng.choice([-1.0, 1.0], rows)
    calls = [
        (contrastive_loss, lambda s: (y01[s], x1[s], x2[s]), {"margin": 2.0}),
        (cosine_embedding_loss, lambda s: (ypm[s], x1[s], x2[s]), {"margin": 0.1}),
        (triplet_margin_loss, lambda s: (x1[s], x2[s], x3[s]), {}),
        (triplet_margin_loss, lambda s: (x1[s], x2[s], x3[s]), {"swap": True, "p": 1.5}),
    ]
    for loss, args, params in calls:
        whole = loss(*args(slice(None)), reduction="none", **params)
        grads = loss.grad(*args(slice(None)), **params)
        for start in range(0, rows, 8):
            part = slice(start, start + 8)
            assert np.array_equal(loss(*args(part), reduction="none", **params), whole[part])
            for g_part, g in zip(loss.grad(*args(part), **params), grads, strict=True):
                assert np.array_equal(g_part, g[part]), (loss.__name__, start)
