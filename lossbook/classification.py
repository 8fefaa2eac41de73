r"""Classification losses: probabilities, logits and margins.

Binary losses take targets :math:`y \in [0, 1]` with a probability :math:`p`
or a logit :math:`z` (:math:`p = \sigma(z)`), or labels :math:`y \in \{-1, +1\}`
with a real score :math:`s` (margin losses). :func:`cross_entropy` takes a
matrix of logits, one row per sample. The logit losses are evaluated with the
stable numerics of :mod:`lossbook.logits`: nothing overflows and
``1 - sigmoid(z)`` is never formed by subtraction.

``sigmoid``, ``log_sigmoid``, ``softmax`` and ``log_softmax`` live in
:mod:`lossbook.logits` and are re-exported here. For sympy,
``class_symbols(k)`` gives the per-class symbols of ``cross_entropy.symbolic``,
and ``epsilon`` and ``w_pos`` are the symbols of ``label_smoothing`` and
``pos_weight``. The focal losses are in :mod:`lossbook.detection`.
"""

import numpy as np
import sympy as sp

from . import symbols as s
from ._registry import Argument, register_loss
from ._validation import (
    as_float_array,
    check_pair,
    check_probabilities,
    check_scalar,
    check_signed_labels,
    class_index_case,
    class_targets_and_logits,
    in_unit_interval,
    is_plain_pair,
    map_blocks,
)
from .logits import (  # noqa: F401 (sigmoid and softmax are re-exported)
    bce_logits_grad,
    bce_logits_loss,
    bce_logits_values,
    complement_sums,
    exp_minus_abs,
    log_sigmoid,
    log_softmax,
    logit_residual,
    one_hot_cross_entropy,
    one_hot_cross_entropy_grad,
    sigmoid,
    sigmoid_pair,
    softmax,
    softmax_parts,
    symbolic_sigmoid,
    targets_and_logits,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "exponential",
]


#: label-smoothing level :math:`\varepsilon` (``label_smoothing`` of :func:`cross_entropy`)
epsilon = sp.Symbol("epsilon", nonnegative=True)
#: positive-class weight :math:`w_+` (``pos_weight`` of :func:`binary_cross_entropy_with_logits`)
w_pos = sp.Symbol("w_{+}", nonnegative=True)

#: PyTorch's floor on the logarithms in :func:`binary_cross_entropy`
LOG_CLAMP = -100.0
# log p is clamped exactly where p <= e^-100; log(1 - p) only at p = 1, since
# for every double p < 1, 1 - p >= 2^-53 > e^-100.
_P_CLAMPED_BELOW = np.exp(LOG_CLAMP)

_LOGIT_ARGS = (Argument("y_true", s.y, domain="targets in [0, 1]: labels 0/1 or soft"),
               Argument("logits", s.z, differentiable=True, domain="real logits"))
_MARGIN_ARGS = (Argument("y_true", s.y, domain="labels in {-1, +1}"),
                Argument("scores", s.y_hat, differentiable=True, domain="real scores"))


def class_symbols(k):
    r"""Symbols for one sample of a ``k``-class problem.

    Returns the target probabilities :math:`y_0, \dots, y_{k-1}` (non-negative)
    and the logits :math:`z_0, \dots, z_{k-1}` (real) as two tuples; used by
    ``cross_entropy.symbolic``.

    Examples
    --------
    >>> from lossbook.classification import class_symbols
    >>> class_symbols(2)
    ((y_0, y_1), (z_0, z_1))
    """
    return sp.symbols(f"y_0:{k}", nonnegative=True), sp.symbols(f"z_0:{k}", real=True)


# --------------------------------------------------------------------------
# Binary cross-entropy on probabilities
# --------------------------------------------------------------------------


def _bce_inputs(y_true, p):
    """Validated targets and probabilities, and the smallest and largest probability
    (``None`` when unknown): the common case takes four reductions."""
    if is_plain_pair(y_true, p) and in_unit_interval(y_true):
        low, high = np.minimum.reduce(p, axis=None), np.maximum.reduce(p, axis=None)
        if low >= 0.0 and high <= 1.0:  # NaN fails both
            return y_true, p, low, high
    y, p = check_pair(y_true, p, names=("y_true", "p (y_pred)"))
    check_probabilities(y, "y_true")
    check_probabilities(p, "p (y_pred)")
    return y, p, None, None


def _clamped_logs(p, low, high):
    """max(log p, -100) and max(log(1 - p), -100), with log(0) = -inf clamped too."""
    if low is not None and 0.0 < low and high < 1.0:  # no log(0): errstate costs a call
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)


def _bce_grad(y_true, p):
    r"""Gradient of the sum-reduced :func:`binary_cross_entropy` with respect to ``p``.

    Exact derivative of the clamped loss: :math:`(p - y) / (p(1-p))` where
    neither log is clamped; a clamped term is constant, so it contributes 0.
    """
    y, p, low, high = _bce_inputs(y_true, p)
    if low is not None and _P_CLAMPED_BELOW < low and high < 1.0:
        return (p - y) / (p * (1.0 - p))  # no logarithm clamped: the general formula below
    log_p_free = p > _P_CLAMPED_BELOW
    log_q_free = p < 1.0
    # A clamped term is constant; at least one term is free, since p cannot be
    # both below e^-100 and equal to 1. Safe denominators avoid 0 / 0 warnings.
    safe_p = np.where(log_p_free, p, 1.0)
    safe_q = np.where(log_q_free, 1.0 - p, 1.0)
    one_term = np.where(log_p_free, -y / safe_p, (1.0 - y) / safe_q)
    return np.where(log_p_free & log_q_free, (p - y) / (safe_p * safe_q), one_term)


def _bce_symbolic():
    r"""One element of :func:`binary_cross_entropy` without the clamp:
    :math:`-[y\log\hat y + (1-y)\log(1-\hat y)]`."""
    return -(s.y * sp.log(s.y_hat) + (1 - s.y) * sp.log(1 - s.y_hat))


@register_loss(
    grad=_bce_grad,
    symbolic=_bce_symbolic,
    family="classification",
    estimates="conditional probability P(y=1|x)",
    bounded_gradient=False,
    chapter="classification/binary-cross-entropy",
    arguments=(Argument("y_true", s.y, domain="targets in [0, 1]: labels 0/1 or soft"),
               Argument("p", s.y_hat, differentiable=True,
                        domain="probabilities of class 1, in [0, 1]")),
    element="scalar",
    formula=(r"-\big[y \max(\log \hat y, -100) + (1 - y) \max(\log(1 - \hat y), -100)\big]"),
    gradients=(r"\frac{\hat y - y}{\hat y\,(1 - \hat y)} \ \text{(a clamped logarithm "
               r"contributes 0)}",),
)
def binary_cross_entropy(y_true, p):
    r"""Binary cross-entropy (log loss) on probabilities, PyTorch semantics.

    .. math:: \ell(y, p) = -\big[\,y \max(\log p, -100)
        + (1 - y)\max(\log(1 - p), -100)\big]

    The negative log-likelihood of a Bernoulli(:math:`p`) observation
    :math:`y`, also for soft targets :math:`y \in [0, 1]`. As in
    ``torch.nn.functional.binary_cross_entropy``, each logarithm is clamped
    at -100, so :math:`p = 0` or :math:`1` gives a finite loss (at most 100)
    instead of infinity, and ``0 * log 0`` is 0. :math:`\log(1-p)` is
    evaluated as ``log1p(-p)``, exact for :math:`p` near 0.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (hard labels 0/1 or soft targets).
    p : array_like
        Predicted probabilities of the positive class in [0, 1], same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    ``binary_cross_entropy.grad`` is the exact derivative of this clamped loss:
    :math:`(p - y)/(p(1-p))` wherever neither logarithm is clamped, and a
    clamped term contributes 0, because it is constant (:math:`p \le e^{-100}`
    for :math:`\log p`; only :math:`p = 1` for :math:`\log(1-p)`). The gradient
    is therefore finite everywhere, at most about :math:`e^{100}` in size. This
    differs from PyTorch's backward pass, which returns
    :math:`(p-y)/\max(p(1-p), 10^{-12})`: not the derivative of its own loss
    wherever :math:`p(1-p) < 10^{-12}`. At the clamp boundary
    :math:`p = e^{-100}` the clamped (zero) side is used. Prefer
    :func:`binary_cross_entropy_with_logits` in training: it needs no clamp.

    See Also
    --------
    binary_cross_entropy_with_logits : the same loss on logits, exact everywhere.

    Examples
    --------
    >>> from lossbook import binary_cross_entropy
    >>> round(float(binary_cross_entropy([1.0, 0.0], [0.8, 0.4])), 6)  # -(log 0.8 + log 0.6) / 2
    0.366985
    >>> binary_cross_entropy([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], reduction="none")
    array([100., 100.,   0.])
    >>> binary_cross_entropy.grad([1.0, 0.0], [0.8, 0.4])
    array([-1.25      ,  1.66666667])
    """
    y, p, low, high = _bce_inputs(y_true, p)
    log_p, log_q = _clamped_logs(p, low, high)
    return -(y * log_p + (1.0 - y) * log_q)


# --------------------------------------------------------------------------
# Binary cross-entropy on logits
# --------------------------------------------------------------------------


def _bce_logits_inputs(y_true, logits, pos_weight):
    y, z = targets_and_logits(y_true, logits)
    if pos_weight is None:
        return y, z, 1.0
    weight = as_float_array(pos_weight, "pos_weight")
    if np.any(weight < 0):
        raise ValueError("pos_weight must be non-negative")
    try:
        broadcast = np.broadcast_shapes(weight.shape, z.shape)
    except ValueError:
        broadcast = None
    if broadcast != z.shape:
        raise ValueError(
            f"pos_weight of shape {weight.shape} must broadcast to the shape of logits {z.shape}"
        )
    return y, z, weight


def _bce_logits_grad(y_true, logits, *, pos_weight=None):
    r"""Gradient of the sum-reduced :func:`binary_cross_entropy_with_logits`:
    :math:`(1-y)\sigma(z) - w_+ y\,\sigma(-z)` (:math:`\sigma(z) - y` when :math:`w_+ = 1`)."""
    y, z, weight = _bce_logits_inputs(y_true, logits, pos_weight)
    if type(weight) is float:  # no pos_weight: elementwise, blocked on large inputs
        return map_blocks(bce_logits_grad, y, z)
    return logit_residual(y, *sigmoid_pair(z, exp_minus_abs(z)), weight)


def _bce_logits_symbolic(weighted=False):
    r"""One element of :func:`binary_cross_entropy_with_logits` in the logit ``z``.

    :math:`-[w_+ y\log\sigma(z) + (1-y)\log(1-\sigma(z))]`, with :math:`w_+ = 1`
    unless ``weighted`` (then the symbol ``w_pos`` appears).
    """
    sig = symbolic_sigmoid(s.z)
    weight = w_pos if weighted else 1
    return -(weight * s.y * sp.log(sig) + (1 - s.y) * sp.log(1 - sig))


@register_loss(
    grad=_bce_logits_grad,
    symbolic=_bce_logits_symbolic,
    family="classification",
    estimates=(
        "log-odds log(P(y=1|x) / P(y=0|x)), the logit of the conditional probability "
        "(plus log pos_weight when pos_weight is given)"
    ),
    bounded_gradient=True,
    chapter="classification/binary-cross-entropy",
    arguments=_LOGIT_ARGS,
    parameters={"pos_weight": w_pos},
    element="scalar",
    formula=(r"w_+\,y \operatorname{softplus}(-z) + (1 - y) \operatorname{softplus}(z), "
             r"\quad \operatorname{softplus}(x) = \log(1 + e^x)"),
    gradients=(r"(1 - y)\,\sigma(z) - w_+\,y\,\sigma(-z)",),
)
def binary_cross_entropy_with_logits(y_true, logits, *, pos_weight=None):
    r"""Binary cross-entropy on logits, PyTorch semantics, exact for every finite logit.

    .. math:: \ell(y, z) = -\big[\,w_+\, y \log\sigma(z) + (1-y)\log(1-\sigma(z))\big]
        = w_+\, y\, \operatorname{softplus}(-z) + (1-y)\operatorname{softplus}(z)

    with :math:`\operatorname{softplus}(x) = \log(1 + e^x)`, evaluated as
    :math:`\max(x, 0) + \operatorname{log1p}(e^{-|x|})`. Both terms are
    non-negative, so nothing cancels and no clamp is needed.

    Parameters
    ----------
    y_true : array_like
        Targets in [0, 1] (hard labels or soft targets).
    logits : array_like
        Logits :math:`z`, same shape.
    pos_weight : float or array_like, optional
        Weight :math:`w_+ \ge 0` of the positive term, as in PyTorch; an array
        must broadcast to the shape of ``logits`` (e.g. one weight per column
        in multi-label problems). ``None`` means 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The gradient is :math:`(1-y)\sigma(z) - w_+ y\,\sigma(-z)`, i.e.
    :math:`\sigma(z) - y` for :math:`w_+ = 1`, computed with
    :math:`\sigma(-z)` in place of :math:`1 - \sigma(z)` so that it stays
    exact for hard targets at large :math:`|z|`. For a soft target near the
    minimiser :math:`\sigma(z) \approx y` the gradient is a small difference of
    two rounded quantities: the loss of relative accuracy there is inherent in
    evaluating :math:`\sigma(z) - y` from floating-point inputs.

    Examples
    --------
    >>> from lossbook import binary_cross_entropy_with_logits as bce_logits
    >>> float(bce_logits([1.0], [0.0]))  # log 2
    0.6931471805599453
    >>> bce_logits([1.0, 0.0], [1e4, 1e4], reduction="none")
    array([    0., 10000.])
    >>> float(bce_logits([1.0], [0.0], pos_weight=3.0))  # 3 log 2
    2.0794415416798357
    >>> bce_logits.grad([1.0, 0.0], [40.0, 0.0])
    array([-4.24835426e-18,  5.00000000e-01])
    """
    y, z, weight = _bce_logits_inputs(y_true, logits, pos_weight)
    if type(weight) is float:  # no pos_weight: elementwise, blocked on large inputs
        return map_blocks(bce_logits_loss, y, z)
    return bce_logits_values(y, z, exp_minus_abs(z), weight)


# --------------------------------------------------------------------------
# Softmax cross-entropy
# --------------------------------------------------------------------------


def _cross_entropy_grad(y_true, logits, *, label_smoothing=0.0):
    r"""Gradient of the sum-reduced :func:`cross_entropy` with respect to the logits:
    :math:`\operatorname{softmax}(z)\sum_j t_j - t`."""
    common = class_index_case(y_true, logits, label_smoothing)
    if common is not None:
        return one_hot_cross_entropy_grad(*common)
    target, z = class_targets_and_logits(y_true, logits, label_smoothing)
    top, _, e, rest = softmax_parts(z)
    # S - e_j = sum of e over the other entries: ``rest`` for the top entry; for
    # the others, S - e_j >= 1 >= e_j (the top entry contributes 1), no cancellation.
    others = np.where(top, rest, (1.0 + rest) - e)
    # softmax_j * T - t_j = (e_j * (T - t_j) - t_j * (S - e_j)) / S: two
    # non-negative products, each complement computed without cancellation.
    return (e * complement_sums(target) - target * others) / (1.0 + rest)


def _cross_entropy_symbolic(k=3, smoothed=False):
    r"""One sample of :func:`cross_entropy` with ``k`` classes and probability targets.

    :math:`-\sum_j t_j \log\big(e^{z_j} / \sum_i e^{z_i}\big)` in the symbols of
    ``class_symbols`` (:math:`t_j = y_j`); with ``smoothed``,
    :math:`t_j = (1-\varepsilon)\,y_j + \varepsilon/k` in the symbol ``epsilon``.
    """
    targets, logits = class_symbols(k)
    if smoothed:
        targets = [(1 - epsilon) * t + epsilon / k for t in targets]
    normaliser = sum(sp.exp(zi) for zi in logits)
    return -sum(t * sp.log(sp.exp(zi) / normaliser) for t, zi in zip(targets, logits, strict=True))


@register_loss(
    grad=_cross_entropy_grad,
    symbolic=_cross_entropy_symbolic,
    family="classification",
    estimates="log P(y=j|x) up to a per-sample constant (softmax(z) is the class distribution)",
    bounded_gradient=True,
    chapter="classification/softmax-cross-entropy",
    arguments=(
        Argument("y_true", s.y, components=lambda k: class_symbols(k)[0],
                 domain="class indices, shape (n,), or probability rows, shape (n, k)"),
        Argument("logits", s.z, differentiable=True, components=lambda k: class_symbols(k)[1],
                 domain="real logits, shape (n, k), classes on the last axis"),
    ),
    parameters={"label_smoothing": epsilon},
    element="class axis",
    formula=(r"\sum_{j=1}^{k} t_j \Big(\log \sum_{i=1}^{k} e^{z_i} - z_j\Big), "
             r"\quad t = (1 - \epsilon)\,y + \epsilon / k"),
    gradients=(r"\frac{\partial \ell}{\partial z_j} = \operatorname{softmax}(z)_j "
               r"\sum_{i=1}^{k} t_i - t_j",),
)
def cross_entropy(y_true, logits, *, label_smoothing=0.0):
    r"""Softmax cross-entropy on logits, PyTorch semantics (incl. label smoothing).

    .. math:: \ell(t, z) = -\sum_{j=1}^{k} t_j \log\operatorname{softmax}(z)_j
        = \sum_{j=1}^{k} t_j \Big(\log\sum_{i=1}^{k} e^{z_i} - z_j\Big),
        \qquad t = (1-\varepsilon)\, y + \frac{\varepsilon}{k}

    where :math:`y` is the one-hot vector of a class index or a given
    probability vector, and :math:`\varepsilon` is ``label_smoothing``
    (applied to both kinds of target, as in
    ``torch.nn.functional.cross_entropy``). The log-softmax uses
    log-sum-exp shifted by the row maximum, so logits spread over
    :math:`10^4` or more are fine, and every term :math:`\log\sum_i e^{z_i} - z_j
    \ge 0` is computed without cancellation.

    Parameters
    ----------
    y_true : array_like
        Either class indices of shape ``(n,)`` (integers, or floats with
        integral values, in ``[0, k)``), or probability vectors of shape
        ``(n, k)`` (each row in [0, 1] and summing to 1 within 1e-6).
    logits : array_like, shape (n, k)
        One row of class logits per sample (the class axis is last, unlike
        PyTorch's ``(N, C, ...)``).
    label_smoothing : float in [0, 1], default 0.0
        Mass moved from the target to the uniform distribution.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    ``cross_entropy.grad`` returns :math:`\operatorname{softmax}(z)\sum_j t_j -
    t`, shape ``(n, k)``; it equals :math:`\operatorname{softmax}(z) - t` since
    each target row sums to 1. It is evaluated as
    :math:`\big(e_j \sum_{i\ne j} t_i - t_j \sum_{i \ne j} e_i\big) / \sum_i e_i`
    (:math:`e = e^{z - \max z}`), so a confident correct prediction gives a
    gradient as small as it truly is, not a rounded :math:`1 - 1 = 0`.
    ``cross_entropy.symbolic(k=3, smoothed=False)`` returns one sample's loss
    in the symbols of ``class_symbols`` (and ``epsilon``).

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import cross_entropy
    >>> logits = np.array([[2.0, 0.0, 0.0], [0.0, 1e4, 0.0]])
    >>> np.round(cross_entropy([0, 1], logits, reduction="none"), 6)  # log(1 + 2 e^-2), 0
    array([0.239545, 0.      ])
    >>> float(cross_entropy([[0.5, 0.5, 0.0]], [[0.0, 0.0, -1e4]]))  # log 2
    0.6931471805599453
    >>> cross_entropy.grad([0], [[0.0, 0.0]])  # softmax - one-hot
    array([[-0.5,  0.5]])
    """
    common = class_index_case(y_true, logits, label_smoothing)
    if common is not None:
        return one_hot_cross_entropy(*common)  # the sum below, to the bit
    target, z = class_targets_and_logits(y_true, logits, label_smoothing)
    _, top_value, _, rest = softmax_parts(z)
    neg_log_softmax = (top_value - z) + np.log1p(rest)
    return np.sum(target * neg_log_softmax, axis=-1)


# --------------------------------------------------------------------------
# Margin losses on labels in {-1, +1}
# --------------------------------------------------------------------------


def _margin_inputs(y_true, scores):
    y, score = check_pair(y_true, scores, names=("y_true", "scores"))
    check_signed_labels(y)
    return y, score


def _hinge_grad(y_true, scores, *, margin=1.0):
    r"""Subgradient of the sum-reduced :func:`hinge`: :math:`-y` where
    :math:`m - ys > 0`, else 0 (also at the kink)."""
    y, score = _margin_inputs(y_true, scores)
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    return np.where(margin - y * score > 0, -y, 0.0)


def _hinge_symbolic():
    r"""One element of :func:`hinge`: :math:`\max(0, m - y\hat y)`."""
    return sp.Max(0, s.margin - s.y * s.y_hat)


@register_loss(
    grad=_hinge_grad,
    symbolic=_hinge_symbolic,
    family="classification",
    estimates="margin * sign(2 P(y=1|x) - 1): the Bayes classifier, not probabilities",
    bounded_gradient=True,
    chapter="classification/margin-losses",
    arguments=_MARGIN_ARGS,
    parameters={"margin": s.margin},
    element="scalar",
    formula=r"\max(0,\ m - y\,\hat y), \quad y \in \{-1, +1\}",
    gradients=(r"-y\ \text{where}\ m - y\,\hat y > 0,\ 0\ \text{elsewhere}",),
)
def hinge(y_true, scores, *, margin=1.0):
    r"""Hinge loss of the support vector machine.

    .. math:: \ell(y, s) = \max(0,\; m - y\,s), \qquad y \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like
        Labels, each -1 or +1.
    scores : array_like
        Real-valued scores :math:`s` (decision function), same shape.
    margin : float, default 1.0
        Margin :math:`m > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The loss has a kink at :math:`y s = m`; ``hinge.grad`` returns the
    subgradient :math:`-y` where :math:`m - ys > 0` and 0 elsewhere, including
    at the kink (the right-hand choice when :math:`y s` increases, like
    the derivative of ReLU at 0 in deep-learning frameworks).

    Examples
    --------
    >>> from lossbook import hinge
    >>> hinge([1, -1, 1], [2.0, 0.5, -1.0], reduction="none")
    array([0. , 1.5, 2. ])
    >>> hinge.grad([1, -1, 1], [2.0, 0.5, -1.0])
    array([ 0.,  1., -1.])
    """
    y, score = _margin_inputs(y_true, scores)
    margin = check_scalar(margin, "margin", low=0.0, low_open=True)
    return np.maximum(margin - y * score, 0.0)


def _exponential_grad(y_true, scores):
    r"""Gradient of the sum-reduced :func:`exponential`: :math:`-y\,e^{-ys}`."""
    y, score = _margin_inputs(y_true, scores)
    return -y * np.exp(-y * score)


def _exponential_symbolic():
    r"""One element of :func:`exponential`: :math:`e^{-y\hat y}`."""
    return sp.exp(-s.y * s.y_hat)


@register_loss(
    grad=_exponential_grad,
    symbolic=_exponential_symbolic,
    family="classification",
    estimates="half the log-odds, (1/2) log(P(y=1|x) / P(y=-1|x))",
    bounded_gradient=False,
    chapter="classification/margin-losses",
    arguments=_MARGIN_ARGS,
    element="scalar",
    formula=r"e^{-y\,\hat y}, \quad y \in \{-1, +1\}",
    gradients=(r"-y\,e^{-y\,\hat y}",),
)
def exponential(y_true, scores):
    r"""Exponential loss (the loss AdaBoost minimises).

    .. math:: \ell(y, s) = e^{-y\,s}, \qquad y \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like
        Labels, each -1 or +1.
    scores : array_like
        Real-valued scores :math:`s`, same shape.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    For :math:`-ys > \log(\text{max float64}) \approx 709.78` the loss (and
    its gradient :math:`-y e^{-ys}`) is ``inf``: the true value exceeds the
    largest float64, there is no finite answer to return.

    Examples
    --------
    >>> from lossbook import exponential
    >>> exponential([1, -1], [0.0, 2.0], reduction="none")  # 1, e^2
    array([1.       , 7.3890561])
    >>> exponential.grad([1, -1], [0.0, 2.0])
    array([-1.       ,  7.3890561])
    """
    y, score = _margin_inputs(y_true, scores)
    return np.exp(-y * score)
