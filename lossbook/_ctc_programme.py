r"""CTC's forward--backward with plain probabilities: the fast route of :mod:`lossbook.sequences`,
and the pieces of the lattice that both routes share.

The log-space programme of :mod:`lossbook.sequences` spends about eight numpy calls per
frame on log-sum-exps. With probabilities a step is
:math:`\alpha_t(s) = p_t(s)\,(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)) + [\text{skip}]\,
p_t(s)\,\alpha_{t-1}(s-2)`: four numpy calls on contiguous slices, and nothing in it can
cancel. The backward variables are the forward variables of the reversed problem (labels
and frames reversed), computed in the same loop. Whether a sample takes this route is
decided from that sample alone (never from its batch, so that a sample gets the same bits
alone and in any batch); the others take the log-space route.

Why the result can be trusted (u = 2^-53, the unit roundoff; S extended states):

* Rounding. Every quantity is a sum of products of non-negative numbers, so each
  operation adds at most u to the relative error of what it makes, whatever the
  magnitudes. A probability ``p = e / (1 + rest)`` (:func:`lossbook.logits.softmax_parts`,
  ``e = exp(gap)``, ``gap = z - max z``) is off by at most ``u |gap|`` (the gap's rounding,
  through the exponential) plus ``(C + 2) u`` (exp's ulp, at most C - 2 roundings in
  ``rest`` whatever the order of the sum, the 1 and the division), and a step adds three
  roundings. Along any alignment the ``|gap|`` add up to at most minus its log-probability,
  and the alignments that carry ``P = p(y|x)`` have a log-probability of at least
  ``log P - T log 3`` (at most three predecessors a frame); so ``P`` is off by a factor
  ``1 + e`` with ``|e| <= u (-log P) + (C + 7) T u``, and ``-log P`` by ``|e|`` plus two
  roundings: a relative error of at most ``3u + (C + 7) T u / (-log P)``. The value route
  keeps a sample only when ``-log P >= (C + 16) T / 32`` (:func:`value_floor`): then it is
  within ``35 u``, about 4e-15. (A loss near 0, where the log-space route sums the miss
  probability instead, never qualifies.)
* Underflow. A product or exponential that falls below the normal range is off by at
  most ``2^-1075`` in absolute terms, and an error at (t, s) reaches ``P`` multiplied by
  the probability of the frames after t given s, at most 1. With at most ``4 T S`` such
  operations, ``P >= 2^-900`` bounds their relative effect on ``P`` by ``4 T S 2^-175``:
  negligible. A sample with a smaller ``P`` (a loss above 623.8) takes the log route.
* Gradient. The occupancy ``alpha_t(s) beta_t(s) / P`` of a state is off by at most
  ``2 (C + 7) T u`` relative, plus ``2u`` times the log-probabilities along the alignments.
  The log route's gradient is held to 1e-14 of each entry's scale times the spread of the
  log-probabilities, ``1 + sum_t max_c |log p_t(c)|``, at least ``1 + T log C``: the route
  is taken only when ``2 (C + 7) T u`` is at most half of ``1e-14 (1 + T log C)``
  (:func:`grad_in_tolerance`), and the second part is within it. Underflow adds at most
  ``4 T S 2^-175`` to an occupancy: negligible against the probabilities it is compared
  with once each probability of the sample is at least ``2^-100``, which this route requires.
"""

import functools
import math

import numpy as np

from .logits import complement_sums

#: the smallest p(y|x) the route trusts (see the module docstring)
SMALLEST_LIKELIHOOD = 2.0 ** -900
_LARGEST_LOSS = -math.log(SMALLEST_LIKELIHOOD)
#: the smallest softmax probability of a sample whose gradient the route trusts
SMALLEST_PROBABILITY = 2.0 ** -100
#: frames per chunk: the probabilities are gathered a chunk at a time, and after each chunk
#: the programme stops if no sample is still on course for SMALLEST_LIKELIHOOD
_CHUNK = 16


def neighbours(v):
    """The view w[k, ..., s] = v[..., s + k] (k = 0, 1, 2) of a C-contiguous array whose last
    axis is padded by 2: three neighbours, no copy (only read: its entries overlap).
    np.ndarray on v's buffer, a fraction of the cost of as_strided."""
    *lead, length = v.shape
    return np.ndarray((3, *lead, length - 2), np.float64, v, 0, v.strides[-1:] + v.strides)


def extended_labels(sequences, blank):
    """Label lengths, extended lengths, the (n, S) extended label sequences (a blank before,
    between and after the labels; blanks as padding) and the mask of their real states.
    ``sequences`` is a list of label arrays, or an (n, L) array: n sequences of L labels."""
    if isinstance(sequences, np.ndarray):
        n, length = sequences.shape
        ext = np.full((n, 2 * length + 1), blank, dtype=np.intp)
        ext[:, 1::2] = sequences
        lengths = np.full(n, length, dtype=np.intp)
        return lengths, 2 * lengths + 1, ext, np.ones(ext.shape, dtype=bool)
    lengths = np.array([len(seq) for seq in sequences], dtype=np.intp)
    ext_lengths = 2 * lengths + 1
    s_max = int(ext_lengths.max())
    ext = np.full((len(sequences), s_max), blank, dtype=np.intp)
    for i, seq in enumerate(sequences):
        ext[i, 1 : 2 * len(seq) : 2] = seq
    valid = np.arange(s_max)[None, :] < ext_lengths[:, None]
    return lengths, ext_lengths, ext, valid


def skip_allowed(ext, valid, blank):
    """Where the skip s - 2 -> s is allowed: onto a label that differs from the label two back."""
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return skip & valid


def class_posterior(occupancy, ext, valid, k):
    """Sum the occupancy (n, T, S) of the extended states of each class, per frame: (n, T, C).

    bincount adds in the order given, as np.add.at does, and far faster: bin (sample,
    class, frame) of every valid (sample, state, frame); ``valid`` None means all are (the
    same bins in the same order, without the masks' copies).
    """
    n, t_len, s_max = occupancy.shape
    flat = np.arange(n)[:, None] * k + ext
    by_state = occupancy.transpose(0, 2, 1)
    if valid is None:
        flat, weights = flat.reshape(-1), by_state.reshape(n * s_max, t_len)
    else:
        flat, weights = flat[valid], by_state[valid]
    bins = (flat[:, None] * t_len + np.arange(t_len)).ravel()
    posterior = np.bincount(bins, weights=weights.ravel(), minlength=n * k * t_len)
    return posterior.reshape(n, k, t_len).transpose(0, 2, 1)


def softmax_minus_posterior(top, e, rest, posterior):
    """softmax - posterior as in cross_entropy (the posterior sums to 1 over the classes):
    (e_c sum_{c' != c} post_c' - post_c sum_{c' != c} e_c') / sum e, each complement summed
    directly, so a frame whose softmax and posterior are both near 1 for one class keeps the
    small difference."""
    total = 1.0 + rest
    others = np.where(top, rest, total - e)
    return (e * complement_sums(posterior) - posterior * others) / total


def grad_in_tolerance(t_len, k):
    """Whether the gradient route's rounding error stays within half the tolerance of the
    log route, ``1e-14 (1 + T log C)`` (see the module docstring)."""
    return 2 * (k + 7) * t_len * 2.0 ** -53 <= 0.5e-14 * (1 + t_len * math.log(k))


def value_floor(t_len, k):
    """The smallest -log p(y|x) whose relative error the value route bounds by 35 u."""
    return (k + 16) * t_len / 32


@functools.lru_cache(maxsize=64)
def _states(rows, s_max):
    """1 on the states of ``rows`` unpadded lines of :func:`_forward`, 0 on the two zeros
    in front of each (read-only)."""
    real = np.zeros((rows, s_max + 2))
    real[:, 2:] = 1.0
    real.setflags(write=False)
    return real


@functools.lru_cache(maxsize=64)
def _frame_starts(n, t_len, k, reverse):
    """``frames[t, i, 0]``, the flat index (into frames of shape (n, T)) of the frame that
    row i reads at step t: ``i T + t`` for the n samples, and, if ``reverse``,
    ``i T + T - 1 - t`` for n more rows, the samples with their frames reversed; and
    ``starts = k frames``, where that frame starts in logits of shape (n, T, k)."""
    steps = np.arange(t_len)[:, None]
    frames = np.arange(0, n * t_len, t_len)[None, :]
    if reverse:
        frames = np.concatenate([frames + steps, frames + (t_len - 1 - steps)], axis=1)
    else:
        frames = frames + steps
    frames = frames[:, :, None]
    starts = frames * k
    frames.setflags(write=False)
    starts.setflags(write=False)
    return frames, starts


def _forward(e, total, ext, valid, reverse):
    """Forward variables of every frame, shape (T, rows, S + 2), each row padded by two zeros
    in front; which samples are still worth this route; and where the skip onto each state
    is allowed, (rows, S + 2) as alpha's rows. None if no sample is worth the route.

    The probability of class c at frame t is ``e[..., t, c] / total[..., t, 0]``. The rows
    are the n samples, then, if ``reverse``, the same samples with labels and frames
    reversed: their forward variables are the backward ones. ``valid`` is None when no
    sample is padded.
    """
    n, t_len, k = e.shape
    rows, s_max = ext.shape
    width = rows * (s_max + 2)
    # Frame t is one line alpha[t] of the rows side by side, each after two zeros: the
    # predecessors s - 2, s - 1, s of every state are three contiguous slices of line t - 1
    # (numpy is slow on strided ones), and a probability of 0 on the zeros keeps them 0.
    padded = np.zeros((rows, s_max + 2), dtype=np.intp)
    padded[:, 2:] = ext
    # The skip s - 2 -> s is allowed onto a label that differs from the one two back (on a
    # blank, even s, both are blanks; at s = 1 the one two back is a zero).
    skip = np.zeros((rows, s_max + 2))
    np.not_equal(padded[:, 2:], padded[:, :-2], out=skip[:, 2:])
    if valid is None:
        real = _states(rows, s_max)
    else:
        real = np.zeros((rows, s_max + 2))
        real[:, 2:] = valid
        skip *= real
    frames, starts = _frame_starts(n, t_len, k, reverse)
    alpha = np.zeros((t_len, width))
    two_back, one_back, same = alpha[:, :-2], alpha[:, 1:-1], alpha[:, 2:]
    skipped = np.empty(width - 2)
    alive = np.ones(n, dtype=bool)
    flat, totals = e.reshape(-1), total.reshape(-1)
    for start in range(0, t_len, _CHUNK):
        stop = min(start + _CHUNK, t_len)
        # the probabilities e / (1 + rest) of the chunk's frames only: a sample left to
        # the log route after a chunk costs no more
        emit = flat.take(starts[start:stop] + padded)
        emit /= totals.take(frames[start:stop])
        emit *= real
        if start == 0:  # a path starts in the first blank or the first label
            alpha[0].reshape(rows, s_max + 2)[:, 2:4] = emit[0, :, 2:4]
        emit_skip = np.multiply(emit, skip).reshape(-1, width)[:, 2:]
        emit = emit.reshape(-1, width)[:, 2:]
        first = max(start, 1)
        for before_2, before_1, before, current, p, p_skip in zip(
                two_back[first - 1:stop - 1], one_back[first - 1:stop - 1],
                same[first - 1:stop - 1], same[first:stop], emit[first - start:],
                emit_skip[first - start:], strict=True):
            # alpha_t = p_t (alpha_{t-1}(s) + alpha_{t-1}(s - 1)) + p_t skip alpha_{t-1}(s - 2),
            # in this order for every sample and batch: the same bits
            np.add(before_1, before, out=current)
            np.multiply(current, p, out=current)
            np.multiply(before_2, p_skip, out=skipped)
            np.add(current, skipped, out=current)
        if stop < t_len:
            # The mass still in the lattice of each sample, m, bounds its p(y|x); a sample
            # whose m has fallen faster than to SMALLEST_LIKELIHOOD at the end, m <
            # SMALLEST_LIKELIHOOD^(t / T), is left to the log route (a choice of route
            # made from the sample alone), and once no sample is left the loop stops.
            mass = np.add.reduce(alpha[stop - 1, :n * (s_max + 2)].reshape(n, -1), axis=-1)
            alive &= mass >= SMALLEST_LIKELIHOOD ** (stop / t_len)
            if not np.logical_or.reduce(alive):
                return None
    return alpha.reshape(t_len, rows, s_max + 2), alive, skip


def _likelihood(alpha, ext_lengths, padded):
    """p(y|x) of the first n rows of ``alpha`` (as :func:`_forward` returns it): the mass on
    the last two states at the last frame (for an empty target the second is a zero)."""
    if not padded:  # every row ends at the last column
        last = alpha[-1, :ext_lengths.size]
        return last[:, -1] + last[:, -2]
    ends = (np.arange(ext_lengths.size) * alpha.shape[-1]) + ext_lengths
    last = alpha[-1].reshape(-1)
    return last.take(ends + 1) + last.take(ends)


def log_likelihood(ext, ext_lengths, valid, parts):
    """log p(y|x) of each sample by the probability route, and which of them to trust:
    ``(log_p, trusted)``, or None when no sample can be trusted. ``parts`` are
    :func:`lossbook.logits.softmax_parts` of the logits."""
    _, _, e, rest = parts
    _, t_len, k = e.shape
    floor = value_floor(t_len, k)
    if floor > _LARGEST_LOSS:
        return None
    forward = _forward(e, 1.0 + rest, ext, valid, reverse=False)
    if forward is None:
        return None
    alpha, alive, _ = forward
    p = _likelihood(alpha, ext_lengths, valid is not None)
    log_p = np.log(np.maximum(p, SMALLEST_LIKELIHOOD))
    return log_p, alive & (p >= SMALLEST_LIKELIHOOD) & (log_p <= -floor)


def grad(ext, ext_lengths, valid, parts):
    """Gradient (n, T, C) of each sample's loss by the probability route, and which samples
    to trust: ``(grad, trusted)``, or None when no sample can be trusted. ``parts`` are
    :func:`lossbook.logits.softmax_parts` of the logits."""
    top, _, e, rest = parts
    n, t_len, k = e.shape
    if not grad_in_tolerance(t_len, k):
        return None
    s_max = ext.shape[1]
    total = 1.0 + rest
    # the reversed extended labels: state j of a reversed row is state S_i - 1 - j of the
    # sample; past S_i the index wraps onto the sample's own padding (blanks)
    reversal = (ext_lengths[:, None] - 1 - np.arange(s_max)) % s_max
    reversal += np.arange(0, n * s_max, s_max)[:, None]
    both = np.concatenate([ext, ext.take(reversal)])
    both_valid = None if valid is None else np.concatenate([valid, valid])
    forward = _forward(e, total, both, both_valid, reverse=True)
    if forward is None:
        return None
    alpha, alive, skip = forward
    p = _likelihood(alpha, ext_lengths, valid is not None)
    trusted = alive & (p >= SMALLEST_LIKELIHOOD) & (
        np.minimum.reduce(e, axis=(1, 2)) >= k * SMALLEST_PROBABILITY)  # 1 + rest <= C
    # beta_t(s), the probability of the frames after t given state s at t, is the sum over
    # the predecessors of state S_i - 1 - s in the reversed row at step T - 1 - t (before
    # its emission); at the last frame, 1 on the two states a path may end in
    backward = np.empty((t_len, n, s_max))
    backward[0] = np.arange(s_max) < 2
    two_back, one_back, same = neighbours(alpha)[:, :-1, n:]
    np.add(one_back, same, out=backward[1:])
    backward[1:] += two_back * skip[n:, 2:]
    beta = backward.take(reversal + (np.arange(t_len - 1, -1, -1) * (n * s_max))[:, None, None])
    occupancy = np.multiply(alpha[:, :n, 2:], beta)
    occupancy /= np.where(trusted, p, 1.0)[:, None]
    posterior = class_posterior(occupancy.transpose(1, 0, 2), ext, valid, k)
    return softmax_minus_posterior(top, e, rest, posterior), trusted
