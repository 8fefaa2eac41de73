"""Huffman code lengths against hand-worked codes, dyadic sources, Kraft and brute force."""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from lossbook import huffman_code_lengths


def _kraft_sum(lengths):
    """Exact sum of 2^-l (Fractions: float sums of many powers of two can round)."""
    return sum(Fraction(1, 2 ** int(length)) for length in lengths)


def _random_full_tree_depths(rng, n_leaves):
    """Leaf depths of a random full binary tree, grown by splitting random leaves."""
    depths = [0]
    while len(depths) < n_leaves:
        depth = depths.pop(rng.integers(len(depths)))
        depths += [depth + 1, depth + 1]
    return np.array(depths)


def _tied_distribution(rng, k):
    """Small integer counts over a power-of-two total: many exact ties, exact float sums."""
    counts = rng.integers(1, 5, size=k)
    total = 2 ** int(np.ceil(np.log2(counts.sum())))
    counts[-1] += total - counts.sum()
    return counts / total


def _optimal_prefix_lengths(k):
    """Every length vector with entries in 1..k-1 satisfying Kraft's inequality.

    An optimal code is a full binary tree (a node with one child could be removed), and a
    full tree with k leaves is at most k - 1 deep, so this set holds every optimal code.
    """
    grid = np.array(list(itertools.product(range(1, k), repeat=k)))
    return grid[np.sum(2.0 ** -grid, axis=1) <= 1.0]


# ------------------------------------------------------------ hand-worked codes


def test_textbook_example():
    # p = (0.4, 0.2, 0.2, 0.1, 0.1), symbols a..e. By hand, breaking ties by creation order:
    #   merge d(0.1) + e(0.1)        -> de (0.2); trees: a .4, b .2, c .2, de .2
    #   merge b(0.2) + c(0.2)        -> bc (0.4); b, c come before the newer de
    #   merge de(0.2) + a(0.4)       -> ade (0.6); a (a symbol) comes before the newer bc
    #   merge bc(0.4) + ade(0.6)     -> root
    # Depths: a 2, b 2, c 2, d 3, e 3. Average 0.8 + 0.4 + 0.4 + 0.3 + 0.3 = 2.2 bits.
    # (The other Huffman code, lengths 1, 2, 3, 4, 4, also averages 0.4 + 0.4 + 0.6 + 0.4
    # + 0.4 = 2.2 bits: ties change the lengths, never the average.)
    p = np.array([0.4, 0.2, 0.2, 0.1, 0.1])
    lengths = huffman_code_lengths(p)
    assert lengths.tolist() == [2, 2, 2, 3, 3]
    assert lengths @ p == pytest.approx(2.2, rel=1e-15)
    assert lengths.dtype.kind == "i"


def test_abracadabra_ties_favour_the_shallow_tree():
    # Letters a, b, c, d, r with counts 5, 2, 1, 1, 2 out of 11. By hand:
    #   merge c(1) + d(1) -> cd (2); trees: a 5, b 2, r 2, cd 2
    #   merge b(2) + r(2) -> br (4); symbols before the newer cd
    #   merge cd(2) + br(4) -> 6, then a(5) + 6 -> root
    # Lengths a 1, b 3, c 3, d 3, r 3: 5 + 6 + 3 + 3 + 6 = 23 bits for the 11 letters. Merging
    # cd with b instead gives 1, 3, 4, 4, 2 and 5 + 6 + 4 + 4 + 4 = 23 bits too.
    counts = np.array([5, 2, 1, 1, 2])
    lengths = huffman_code_lengths(counts / 11)
    assert lengths.tolist() == [1, 3, 3, 3, 3]
    assert lengths @ counts == 23


def test_equal_symbols_merge_in_index_order():
    # Three tied symbols: 0 and 1 are merged first (2/3), then symbol 2 joins them at the root.
    assert huffman_code_lengths([1 / 3, 1 / 3, 1 / 3]).tolist() == [2, 2, 1]
    assert huffman_code_lengths([0.25] * 4).tolist() == [2, 2, 2, 2]
    assert huffman_code_lengths([0.5, 0.5]).tolist() == [1, 1]


# ------------------------------------------------------------ dyadic sources


def test_dyadic_distributions_get_lengths_minus_log2_p():
    # For p_i = 2^-d_i, L = H only if l_i = -log2 p_i = d_i (equality in the source coding
    # bound), so the optimal lengths are unique and known in advance whatever the ties.
    rng = np.random.default_rng(5)
    for _ in range(200):
        depths = rng.permutation(_random_full_tree_depths(rng, rng.integers(2, 25)))
        p = 2.0 ** -depths
        np.testing.assert_array_equal(huffman_code_lengths(p), depths)


# ------------------------------------------------------------ Kraft and the entropy bound


@pytest.mark.parametrize("k", [2, 3, 7, 16, 64])
@pytest.mark.parametrize("concentration", [0.1, 1.0, 10.0])
def test_kraft_equality_and_source_coding_bound(k, concentration):
    rng = np.random.default_rng(k)
    for _ in range(20):
        p = rng.dirichlet(np.full(k, concentration))
        lengths = huffman_code_lengths(p)
        positive = p > 0  # small concentrations can underflow some p_i to 0
        assert positive.sum() >= 2
        assert _kraft_sum(lengths[positive]) == 1  # a full binary tree
        assert np.all(lengths[~positive] == 0)
        assert lengths.max() <= positive.sum() - 1  # a full tree with m leaves: depth < m
        H = stats.entropy(p, base=2)
        assert H - 1e-12 <= lengths @ p < H + 1


def test_permuting_distinct_probabilities_permutes_the_lengths():
    rng = np.random.default_rng(11)
    p = rng.dirichlet(np.ones(12))
    order = rng.permutation(12)
    np.testing.assert_array_equal(huffman_code_lengths(p[order]), huffman_code_lengths(p)[order])


# ------------------------------------------------------------ optimality by brute force


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_huffman_average_is_the_minimum_over_all_prefix_codes(k):
    candidates = _optimal_prefix_lengths(k)
    rng = np.random.default_rng(100 + k)
    for concentration in (0.2, 1.0, 5.0):
        for _ in range(20):
            p = rng.dirichlet(np.full(k, concentration))
            if np.any(p == 0):  # an underflow to 0 would drop the symbol from the code
                continue
            best = np.min(candidates @ p)
            assert huffman_code_lengths(p) @ p == pytest.approx(best, rel=1e-12, abs=0)


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_tie_break_gives_the_shallowest_optimal_code(k):
    # The documented tie-break: among ALL optimal codes (found by brute force), the shortest
    # longest codeword and the smallest variance of the length, i.e. the smallest E[l^2]
    # since E[l] is the same for all of them. Dyadic totals keep every sum exact.
    candidates = _optimal_prefix_lengths(k)
    rng = np.random.default_rng(200 + k)
    for _ in range(100):
        p = _tied_distribution(rng, k)
        averages = candidates @ p
        optimal = candidates[averages == averages.min()]
        lengths = huffman_code_lengths(p)
        assert lengths @ p == averages.min()
        assert lengths.max() == optimal.max(axis=1).min()
        assert lengths**2 @ p == np.min(optimal**2 @ p)


# ------------------------------------------------------------ zero probabilities


def test_zero_probability_symbols_get_no_codeword():
    assert huffman_code_lengths([0.7, 0.0, 0.3]).tolist() == [1, 0, 1]
    p = np.array([0.0, 0.4, 0.2, 0.0, 0.2, 0.1, 0.1, 0.0])
    lengths = huffman_code_lengths(p)
    np.testing.assert_array_equal(lengths[p > 0], huffman_code_lengths(p[p > 0]))
    np.testing.assert_array_equal(lengths[p == 0], 0)


def test_a_certain_symbol_needs_no_bits():
    assert huffman_code_lengths([1.0]).tolist() == [0]
    assert huffman_code_lengths([0.0, 1.0, 0.0]).tolist() == [0, 0, 0]


# ------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("p", "error", "message"),
    [
        ([0.5, 0.6], ValueError, "must sum to 1"),
        ([1.2, -0.2], ValueError, r"probabilities in \[0, 1\]"),
        ([0.5, np.nan, 0.5], ValueError, "finite"),
        ([], ValueError, "must not be empty"),
        ([[0.5, 0.5], [0.5, 0.5]], ValueError, "one-dimensional"),
        (1.0, ValueError, "one-dimensional"),
        (["a", "b"], TypeError, "real numbers"),
    ],
)
def test_bad_input(p, error, message):
    with pytest.raises(error, match=message):
        huffman_code_lengths(p)
