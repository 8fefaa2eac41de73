r"""Sequence losses: connectionist temporal classification (CTC).

:func:`ctc_loss` scores a label sequence against a sequence of per-frame class
logits by summing over every frame-level alignment that collapses to the
labels (Graves et al., 2006). The sum is computed by the forward--backward
recursion over the "extended" label sequence (a blank before, between and
after the labels), vectorised over the batch and the extended label positions;
only time is a Python loop. A sample whose result the probability-domain
recursion of ``lossbook._ctc_programme`` can vouch for takes that route (a
few numpy calls a frame); the others take the log-space one below.
"""

import numbers
import operator

import numpy as np
import sympy as sp

from . import _ctc_programme as programme
from ._ctc_programme import (
    class_posterior,
    extended_labels,
    neighbours,
    skip_allowed,
    softmax_minus_posterior,
)
from ._registry import Argument, register_loss
from ._validation import as_float_array
from .logits import softmax_parts

__all__ = ["ctc_loss", "ctc_collapse", "ctc_logit_symbols"]

#: the label sequence :math:`y` of one sample (never differentiated)
_LABELS = sp.Symbol("y")
#: the (T, C) block of logits of one sample; ``ctc_loss.symbolic`` returns its entries
_LOGITS = sp.Symbol("z")


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------


def _all_labels(y_true, k, blank):
    """Whether every entry of the integer array ``y_true`` is a label: in [0, k), not the
    blank. A few entries are checked as Python ints, cheaper than three numpy passes."""
    if y_true.size <= 64:
        values = y_true.ravel().tolist()
        return not values or (min(values) >= 0 and max(values) < k and blank not in values)
    return not np.count_nonzero((y_true < 0) | (y_true >= k) | (y_true == blank))


def _as_label_sequences(y_true, n, k, blank):
    """n integer label sequences (labels in [0, k), never the blank): a list of arrays, or
    an (n, L) intp array when ``y_true`` is an integer array of that shape."""
    if isinstance(y_true, np.ndarray) and y_true.dtype != object:
        if y_true.ndim != 2:
            raise ValueError(
                "y_true must be a sequence of label sequences (one per sample) or an "
                f"(n, L) array of labels; got an array of shape {y_true.shape}"
            )
        if y_true.dtype.kind in "iu" and y_true.shape[0] == n and _all_labels(y_true, k, blank):
            # the common case, checked at once; any bad label takes the loop below, which
            # names the first offending row
            return y_true.astype(np.intp)
        rows = list(y_true)
    else:
        try:
            rows = list(y_true)
        except TypeError:
            raise TypeError("y_true must be a sequence of integer label sequences") from None
    if len(rows) != n:
        raise ValueError(
            f"y_true must hold one label sequence per sample: logits have n = {n} samples, "
            f"y_true has {len(rows)} sequences"
        )
    sequences = []
    for i, row in enumerate(rows):
        try:
            arr = np.asarray(row)
        except Exception:  # ragged inner lists
            raise TypeError(f"y_true[{i}] must be a one-dimensional sequence of integers") from None
        if arr.size == 0:
            sequences.append(np.zeros(0, dtype=np.intp))
            continue
        if arr.ndim != 1:
            raise ValueError(f"y_true[{i}] must be one-dimensional, got shape {arr.shape}")
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer)
                                     or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError(f"y_true[{i}] must hold integer labels, got dtype {arr.dtype}")
        if np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
                raise ValueError(f"y_true[{i}] must hold integer labels")
        if np.any((arr < 0) | (arr >= k)):
            raise ValueError(
                f"y_true[{i}] must hold labels in [0, C) = [0, {k}) for logits with C = {k} "
                f"classes; found {arr.min():g} to {arr.max():g}"
            )
        if np.any(arr == blank):
            raise ValueError(
                f"y_true[{i}] contains the blank {blank}: label sequences never hold the blank"
            )
        sequences.append(arr.astype(np.intp))
    return sequences


def _check_blank(blank, k):
    if isinstance(blank, bool) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"blank must be an integer class index, got {type(blank).__name__}")
    blank = operator.index(blank)
    if not 0 <= blank < k:
        raise ValueError(f"blank must lie in [0, C) = [0, {k}), got {blank}")
    return blank


def _ctc_inputs(y_true, logits, blank):
    z = as_float_array(logits, "logits")
    if z.ndim != 3:
        raise ValueError(f"logits must have shape (n, T, C), got {z.shape}")
    n, _, k = z.shape
    blank = _check_blank(blank, k)
    return _as_label_sequences(y_true, n, k, blank), z, blank


# --------------------------------------------------------------------------
# Forward-backward in log space
# --------------------------------------------------------------------------


#: the most negative double: max(m, _LOWEST) is m for a finite m and keeps -inf - shift = -inf
#: (not NaN) where every term is -inf
_LOWEST = -np.finfo(np.float64).max


#: Lattices of at most this many (sample, state) cells per frame sort each cell's three
#: terms (one call, about 30 ns a cell); larger ones take the six elementwise min/max
#: calls, cheaper per cell. The two give the same bits.
_SORT_CELLS = 200


def _logsumexp_sorted(terms, out=None):
    """log(e^a + e^b + e^c) over the first axis (of length 3) of a fresh C-contiguous array
    ``terms``, -inf allowed, accurate when the result is near 0; sorts ``terms`` in place.

    The largest term m is taken out exactly: m + log1p(the other two exponentials), so a
    dominating term gives a result as small as it truly is. Sorted, the other two are the
    first two entries; where every term is -inf the shift is finite and the result -inf.
    The three terms lie in three contiguous blocks: every call below runs over contiguous
    memory (a last axis of length 2 or 3 would make each call step through it slowly).
    """
    terms.sort(axis=0)
    e = np.exp(terms[:2] - np.maximum(terms[2], _LOWEST))
    return np.add(terms[2], np.log1p(e[0] + e[1]), out=out)


def _logsumexp3(a, b, c, out=None):
    """log(e^a + e^b + e^c) elementwise, as _logsumexp_sorted: the largest, middle and
    smallest of the three by a min/max network (the same numbers, so the same bits)."""
    high, low = np.maximum(a, b), np.minimum(a, b)
    top = np.maximum(high, c)
    shift = np.maximum(top, _LOWEST)
    others = np.exp(np.minimum(low, c) - shift) + np.exp(np.maximum(low, np.minimum(high, c))
                                                         - shift)
    return np.add(top, np.log1p(others), out=out)


class _Lattice:
    """The CTC lattice of a batch: extended labels, forward and backward log-variables."""

    def __init__(self, sequences, z, parts, blank):
        n, t_len, _ = z.shape
        self.lengths, self.ext_lengths, ext, self.valid = extended_labels(sequences, blank)
        self.ext = ext
        self.skip = skip_allowed(ext, self.valid, blank)

        self.top, top_value, self.e, self.rest = parts
        log_probs = (z - top_value) - np.log1p(self.rest)
        emit = log_probs[np.arange(n)[:, None, None], np.arange(t_len)[None, :, None],
                         ext[:, None, :]]
        self.emit = np.where(self.valid[:, None, :], emit, -np.inf)
        self.log_probs = log_probs
        self._forward()

    def _forward(self):
        n, t_len, s_max = self.emit.shape
        # alpha (or lse, below) with two -inf columns in front: frame t's three predecessors
        # of every state (s - 2, s - 1, s) are slices (a window, for the sort) of frame t - 1.
        padded = np.full((n, t_len, s_max + 2), -np.inf)
        if n * s_max <= _SORT_CELLS:
            # alpha_t = lse_t + emit_t with lse_t (in padded) the log-sum-exp of the three
            # predecessors: each frame adds the window of lse_{t-1} to that of emit_{t-1},
            # computed for every frame at once (-inf for s - 2 where the skip onto s is not
            # allowed), one call; alpha is lse + emit at the end (the same sums, in one call)
            allowed = np.ones((3, n, 1, s_max), dtype=bool)
            allowed[0, :, 0] = self.skip
            emit_padded = np.full((n, t_len, s_max + 2), -np.inf)
            emit_padded[..., 2:] = self.emit
            emit_terms = np.where(allowed, neighbours(emit_padded), -np.inf).transpose(2, 0, 1, 3)
            padded[:, 0, 2:4] = 0.0  # alpha_0 = emit_0 on the first blank and label
            lse_terms = neighbours(padded).transpose(2, 0, 1, 3)
            lse_rows = padded[..., 2:].swapaxes(0, 1)
            for t in range(1, t_len):
                _logsumexp_sorted(np.add(lse_terms[t - 1], emit_terms[t - 1], order="C"),
                                  out=lse_rows[t])
            self.alpha = alpha = padded[..., 2:] + self.emit
        else:
            padded[:, 0, 2:4] = self.emit[:, 0, :2]
            for t in range(1, t_len):
                prev = padded[:, t - 1]
                _logsumexp3(prev[:, 2:], prev[:, 1:-1], np.where(self.skip, prev[:, :-2], -np.inf),
                            out=padded[:, t, 2:])
                padded[:, t, 2:] += self.emit[:, t]
            self.alpha = alpha = padded[..., 2:]
        last = alpha[:, -1]
        rows = np.arange(n)
        end = last[rows, self.ext_lengths - 1]
        before_end = np.where(self.lengths > 0, last[rows, np.maximum(self.ext_lengths - 2, 0)],
                              -np.inf)
        # log(e^end + e^before_end): _logsumexp3 with a third term -inf, whose exponential
        # adds an exact 0, in fewer calls
        top = np.maximum(end, before_end)
        tail = np.exp(np.minimum(end, before_end) - np.maximum(top, _LOWEST))
        self.log_likelihood = top + np.log1p(tail)

    def _forward_probabilities(self, probs):
        """alpha in the probability domain: products and sums of probabilities, each
        accurate to a few ulp relative (exp of the log-space alpha would carry an
        error of |log alpha| ulp). Used only where p(y|x) is large, so the masses
        that matter do not underflow."""
        n, t_len, s_max = self.emit.shape
        emit = np.where(self.valid[:, None, :],
                        np.take_along_axis(probs, np.broadcast_to(self.ext[:, None, :],
                                                                  (n, t_len, s_max)), axis=-1),
                        0.0)
        mass = np.zeros((n, t_len, s_max))
        mass[:, 0, :2] = emit[:, 0, :2]
        with np.errstate(under="ignore"):
            for t in range(1, t_len):
                prev = mass[:, t - 1]
                total = prev.copy()
                total[:, 1:] += prev[:, :-1]
                total[:, 2:] += np.where(self.skip[:, 2:], prev[:, :-2], 0.0)
                mass[:, t] = total * emit[:, t]
        return mass

    def miss_probability(self):
        """q = 1 - p(y|x), summed from non-negative terms: accurate where p(y|x) is near 1.

        A prefix of frames that collapses to a prefix of y leaves the lattice at
        frame t when its next class is none of the (at most three) successors of
        its state. So q is the mass that leaves at some frame, sum_t sum_s
        alpha_{t-1}(s) fail_t(s), plus the mass that ends in a state short of the
        end. fail_t(s), the probability of the classes outside the successors, is
        summed directly: from the sum over all classes but the three likeliest
        (at most three successors can be among the rest, each smaller than a
        likely class outside the successors, so the subtraction stays accurate).
        """
        n, t_len, s_max = self.emit.shape
        probs = self.e / (1.0 + self.rest)
        k = probs.shape[-1]
        k_top = min(3, k)
        top = np.argpartition(-probs, k_top - 1, axis=-1)[..., :k_top]
        in_top = np.zeros(probs.shape, dtype=bool)
        np.put_along_axis(in_top, top, True, axis=-1)
        rest3 = np.where(in_top, 0.0, probs).sum(axis=-1)
        # Successor classes of each state s: its own, the next, and the one after
        # that where the skip is allowed; column 0 is a virtual start state whose
        # successors are the first blank and the first label.
        pad_int, pad_bool = np.zeros((n, 2), dtype=np.intp), np.zeros((n, 2), dtype=bool)
        ext2 = np.concatenate([self.ext, pad_int], axis=1)
        valid2 = np.concatenate([self.valid, pad_bool], axis=1)
        skip2 = np.concatenate([self.skip, pad_bool], axis=1)
        succ = np.stack([ext2[:, :s_max], ext2[:, 1:s_max + 1], ext2[:, 2:]], axis=-1)
        ok = np.stack([valid2[:, :s_max], valid2[:, 1:s_max + 1], skip2[:, 2:]], axis=-1)
        start = np.stack([ext2[:, 0], ext2[:, 1], ext2[:, 0]], axis=-1)[:, None, :]
        start_ok = np.stack([np.ones(n, dtype=bool), self.lengths > 0, np.zeros(n, dtype=bool)],
                            axis=-1)[:, None, :]
        succ = np.concatenate([start, succ], axis=1)
        ok = np.concatenate([start_ok, ok], axis=1)
        flat = np.where(ok, succ, 0).reshape(n, 1, -1)
        shape = (n, t_len, s_max + 1, 3)
        p_succ = np.take_along_axis(probs, np.broadcast_to(flat, (n, t_len, flat.shape[-1])),
                                    axis=-1).reshape(shape)
        succ_in_top = np.take_along_axis(
            in_top, np.broadcast_to(flat, (n, t_len, flat.shape[-1])), axis=-1).reshape(shape)
        subtract = np.where(ok[:, None] & ~succ_in_top, p_succ, 0.0).sum(axis=-1)
        top_is_succ = ((top[:, :, None, :, None] == np.where(ok, succ, -1)[:, None, :, None, :])
                       .any(axis=-1))
        p_top = np.take_along_axis(probs, top, axis=-1)
        add = np.where(top_is_succ, 0.0, p_top[:, :, None, :]).sum(axis=-1)
        fail = np.maximum((rest3[:, :, None] - subtract) + add, 0.0)
        mass = self._forward_probabilities(probs)
        leave = fail[:, 0, 0] + np.sum(mass[:, :-1, :] * fail[:, 1:, 1:], axis=(1, 2))
        short = np.arange(s_max)[None, :] < (self.ext_lengths - 2)[:, None]
        return leave + np.sum(np.where(short, mass[:, -1, :], 0.0), axis=-1)

    def backward(self):
        """beta[i, t, s]: log-probability of the frames after t given position s at t."""
        n, t_len, s_max = self.emit.shape
        beta = np.full((n, t_len, s_max), -np.inf)
        rows = np.arange(n)
        beta[rows, -1, self.ext_lengths - 1] = 0.0
        has_label = self.lengths > 0
        beta[rows[has_label], -1, self.ext_lengths[has_label] - 2] = 0.0
        # the skip s -> s + 2 is allowed when the skip onto s + 2 is
        skip_from = np.zeros((n, s_max), dtype=bool)
        skip_from[:, :-2] = self.skip[:, 2:]
        if n * s_max <= _SORT_CELLS:
            # beta and emit padded by two -inf columns behind: the successors (s, s + 1,
            # s + 2) of every state are one window; as in _forward, emit's windows (-inf for
            # s + 2 where that skip is not allowed) for every frame at once
            allowed = np.ones((3, n, 1, s_max), dtype=bool)
            allowed[2, :, 0] = skip_from
            emit_padded = np.full((n, t_len, s_max + 2), -np.inf)
            emit_padded[..., :-2] = self.emit
            emit_terms = np.where(allowed, neighbours(emit_padded), -np.inf).transpose(2, 0, 1, 3)
            padded = np.full((n, t_len, s_max + 2), -np.inf)
            padded[..., :-2] = beta
            beta_terms = neighbours(padded).transpose(2, 0, 1, 3)
            beta_rows = padded[..., :-2].swapaxes(0, 1)
            for t in range(t_len - 2, -1, -1):
                _logsumexp_sorted(np.add(beta_terms[t + 1], emit_terms[t + 1], order="C"),
                                  out=beta_rows[t])
            return padded[..., :-2]
        # beta_{t+1} + emit_{t+1}, padded by two -inf columns behind: the successors
        # (s, s + 1, s + 2) of every state are slices of it
        ahead = np.full((n, s_max + 2), -np.inf)
        for t in range(t_len - 2, -1, -1):
            np.add(beta[:, t + 1], self.emit[:, t + 1], out=ahead[:, :s_max])
            _logsumexp3(ahead[:, :-2], ahead[:, 1:-1], np.where(skip_from, ahead[:, 2:], -np.inf),
                        out=beta[:, t])
        return beta

    def grad(self):
        """Gradient of each sample's loss with respect to its logits, shape (n, T, C)."""
        beta = self.backward()
        k = self.e.shape[-1]
        feasible = np.isfinite(self.log_likelihood)
        ll = np.where(feasible, self.log_likelihood, 0.0)
        with np.errstate(invalid="ignore", under="ignore"):
            occupancy = np.exp(self.alpha + beta - ll[:, None, None])
        occupancy = np.where(self.valid[:, None, :], occupancy, 0.0)
        posterior = class_posterior(occupancy, self.ext, self.valid, k)
        grad = softmax_minus_posterior(self.top, self.e, self.rest, posterior)
        # An infeasible target has loss +inf for every logit: no derivative (as PyTorch, NaN).
        return np.where(feasible[:, None, None], grad, np.nan)


def _unpadded(valid):
    """``valid``, or None when every sample has the same number of states (no padding)."""
    return None if valid.shape[0] == 1 or np.logical_and.reduce(valid, axis=None) else valid


def _ctc_mean_weights(y_true, logits, *, blank=0):
    """PyTorch's "mean": each loss divided by its target length (at least 1), then averaged.

    The registry calls it after ``ctc_loss`` (or its gradient) has validated the same
    inputs, so it only counts the labels of each sequence.
    """
    if isinstance(y_true, np.ndarray) and y_true.dtype != object:  # (n, L): L labels each
        # one weight for all (the operations of the general case on equal lengths)
        return 1.0 / (max(float(y_true.shape[1]), 1.0) * y_true.shape[0])
    else:
        lengths = np.array([len(seq) for seq in y_true], dtype=np.float64)
    return 1.0 / (np.maximum(lengths, 1.0) * lengths.size)


def _ctc_grad(y_true, logits, *, blank=0):
    r"""Gradient of the summed :func:`ctc_loss` with respect to the logits, shape (n, T, C).

    Per sample and frame it is :math:`\operatorname{softmax}(z_t) - \gamma_t`, the
    softmax minus the posterior probability of each class at frame :math:`t` under
    the alignments that collapse to the target.
    """
    sequences, z, blank = _ctc_inputs(y_true, logits, blank)
    _, ext_lengths, ext, valid = extended_labels(sequences, blank)
    parts = softmax_parts(z)
    fast = programme.grad(ext, ext_lengths, _unpadded(valid), parts)
    if fast is None:
        return _Lattice(sequences, z, parts, blank).grad()
    grad, trusted = fast
    if not np.logical_and.reduce(trusted):
        others = np.flatnonzero(~trusted)
        grad[others] = _Lattice(*_samples(others, sequences, z, parts), blank).grad()
    return grad


def _samples(indices, sequences, z, parts):
    """The label sequences, logits and softmax parts of the samples at ``indices``."""
    return ([sequences[i] for i in indices], z[indices], tuple(part[indices] for part in parts))


def ctc_collapse(path, *, blank=0):
    """The collapse map of CTC: merge repeated symbols, then drop the blanks.

    Examples
    --------
    >>> from lossbook.sequences import ctc_collapse
    >>> ctc_collapse([1, 1, 0, 1, 2, 2, 0])
    (1, 1, 2)
    """
    out = []
    previous = None
    for symbol in path:
        symbol = int(symbol)
        if symbol != previous and symbol != blank:
            out.append(symbol)
        previous = symbol
    return tuple(out)


def ctc_logit_symbols(t_len, k):
    """The logits of one sample as a ``t_len`` by ``k`` sympy Matrix of symbols
    :math:`z_{t,c}` (those of ``ctc_loss.symbolic``)."""
    return sp.Matrix(t_len, k, lambda t, c: sp.Symbol(f"z_{{{t},{c}}}", real=True))


def _ctc_symbolic(t_len=2, k=2, labels=(1,), blank=0):
    r"""One sample of :func:`ctc_loss` as a sympy expression, by brute force: minus the
    log of the sum, over every path of ``t_len`` frames of ``k`` classes that collapses
    to ``labels``, of the product of the softmax probabilities along the path, in the
    symbols :math:`z_{t,c}` of :func:`ctc_logit_symbols` (for tiny ``t_len`` and ``k``).
    """
    import itertools

    z = ctc_logit_symbols(t_len, k)
    probs = [[sp.exp(z[t, c]) / sum(sp.exp(z[t, j]) for j in range(k)) for c in range(k)]
             for t in range(t_len)]
    total = sp.Integer(0)
    for path in itertools.product(range(k), repeat=t_len):
        if ctc_collapse(path, blank=blank) == tuple(labels):
            total += sp.Mul(*(probs[t][c] for t, c in enumerate(path)))
    return -sp.log(total)


@register_loss(
    grad=_ctc_grad,
    symbolic=_ctc_symbolic,
    family="sequence",
    estimates="the conditional probability of each label sequence, P(y|x), summed over "
    "alignments (the per-frame softmax is a posterior over the alignment paths)",
    bounded_gradient=True,
    chapter="sequences/ctc",
    arguments=(Argument("y_true", _LABELS,
                        domain="one label sequence per sample, labels in {0, ..., C - 1} "
                        "except the blank; may be empty"),
               Argument("logits", _LOGITS, differentiable=True,
                        domain="real logits of shape (n, T, C)")),
    parameters={"blank": None},
    element="sequence",
    formula=(r"-\log \sum_{\pi \in \mathcal B^{-1}(y)} \prod_{t=1}^{T} "
             r"\operatorname{softmax}(z_t)_{\pi_t}"),
    gradients=(r"\operatorname{softmax}(z_t)_c - \gamma_t(c), \quad \gamma_t(c) = "
               r"P(\pi_t = c \mid \mathcal B(\pi) = y)",),
    mean_weights=_ctc_mean_weights,
)
def ctc_loss(y_true, logits, *, blank=0):
    r"""Connectionist temporal classification loss (Graves et al., 2006), PyTorch semantics.

    .. math:: \ell(y, z) = -\log \sum_{\pi \in \mathcal B^{-1}(y)}
        \prod_{t=1}^{T} \operatorname{softmax}(z_t)_{\pi_t}

    where :math:`\mathcal B` collapses a path :math:`\pi` of :math:`T` frame
    labels (blank included) by merging repeats and then removing blanks
    (:func:`ctc_collapse`). The sum runs over every alignment of the label
    sequence :math:`y` to the :math:`T` frames.

    Parameters
    ----------
    y_true : sequence of sequences of int
        One label sequence per sample (labels in ``[0, C)``, never the blank;
        a sequence may be empty). An ``(n, L)`` integer array means ``n``
        sequences of the same length ``L``.
    logits : array_like, shape (n, T, C)
        Unnormalised scores: the log-softmax over the ``C`` classes is taken
        inside. Note the axis order (PyTorch's ``ctc_loss`` takes
        log-probabilities of shape ``(T, n, C)``).
    blank : int, default 0
        Index of the blank class.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"``: the per-sample losses, shape ``(n,)``; ``"sum"``: their sum;
        ``"mean"``: PyTorch's mean, each loss divided by its target length
        (at least 1), then averaged over the batch.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    A target that needs more frames than there are (its length plus the number
    of adjacent repeated labels, which need a blank in between) has no
    alignment: its loss is ``inf``, as PyTorch's with ``zero_infinity=False``,
    and its gradient NaN. ``ctc_loss.grad(y_true, logits, blank=0,
    reduction="sum")`` is the gradient of the summed loss (``"mean"``: of the
    mean above), shape ``(n, T, C)``: per frame, the softmax minus the posterior
    probability of each class given that the path collapses to the target.
    Forward and backward variables are vectorised over the batch and the
    extended label positions (a loop over time only); they are plain
    probabilities where that provably keeps the accuracy below (a likelihood
    not too close to 1 nor below :math:`2^{-900}`), and logarithms elsewhere. Where
    :math:`p(y \mid x)` is near 1 the loss is tiny and a log-space sum would
    cancel, so there it is :math:`-\operatorname{log1p}(-q)` with
    :math:`q = 1 - p(y \mid x)` summed directly: the probability mass of the
    prefixes that leave the lattice, frame by frame. The loss is accurate to
    about :math:`10^{-14}` relative; each gradient entry, a difference of two
    probabilities, to about :math:`10^{-14}` of their size times the spread of
    the log-probabilities along the sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import ctc_loss
    >>> logits = np.zeros((1, 2, 2))  # T = 2 frames, classes {blank, 1}, uniform
    >>> float(ctc_loss([[1]], logits))  # paths 11, 01, 10: -log(3/4)
    0.2876820724517809
    >>> ctc_loss([[1, 1]], logits, reduction="none")  # needs 3 frames (1, blank, 1)
    array([inf])
    >>> ctc_loss.grad([[1]], logits)  # softmax 1/2 minus posteriors (1/3, 2/3)
    array([[[ 0.16666667, -0.16666667],
            [ 0.16666667, -0.16666667]]])
    """
    sequences, z, blank = _ctc_inputs(y_true, logits, blank)
    _, ext_lengths, ext, valid = extended_labels(sequences, blank)
    parts = softmax_parts(z)
    fast = programme.log_likelihood(ext, ext_lengths, _unpadded(valid), parts)
    if fast is None:
        return _log_space_loss(sequences, z, parts, blank)
    log_p, trusted = fast
    loss = np.negative(log_p, out=log_p)
    if not np.logical_and.reduce(trusted):
        others = np.flatnonzero(~trusted)
        loss[others] = _log_space_loss(*_samples(others, sequences, z, parts), blank)
    return loss


def _log_space_loss(sequences, z, parts, blank):
    """-log p(y|x) of each sample by the log-space programme (and, where p(y|x) is near 1,
    from the miss probability)."""
    lattice = _Lattice(sequences, z, parts, blank)
    loss = -lattice.log_likelihood
    near_certain = loss < 0.25
    if np.any(near_certain):
        # -log p = -log1p(-q) with q = 1 - p summed directly: no cancellation as p -> 1.
        miss = lattice.miss_probability()
        loss = np.where(near_certain & (miss < 0.5), -np.log1p(-np.minimum(miss, 0.5)), loss)
    return loss
