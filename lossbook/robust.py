r"""Robust losses: redescending and adaptive regression losses, and a noise-robust classifier loss.

:func:`tukey_biweight` (Beaton and Tukey, 1974) and :func:`general_robust_loss`
(Barron, 2019) are functions of the residual :math:`r = \hat y - y`;
:func:`generalized_cross_entropy` (Zhang and Sabuncu, 2018) is a softmax loss on
logits, robust to flipped labels.

Near Tukey's cutoff and for Barron's loss with a large exponent the result is
sensitive to the last bits of the residual, so the residual (and for Barron's loss
:math:`x = r/s` and :math:`x^2`, in ``lossbook._barron``) are carried as unevaluated
sums of two doubles (error-free transformations): the only rounding left is that of the
final operations.
The sympy symbols of the parameters are ``c`` (Tukey's cutoff), ``alpha``
(Barron's shape, any real) and ``s`` (Barron's scale).
"""

import numpy as np
import sympy as sp

from . import symbols as sym
from ._barron import Barron, barron_plain
from ._precise import two_prod
from ._registry import Argument, register_loss
from ._validation import (
    all_finite,
    as_float_array,
    check_pair,
    check_scalar,
    plain_class_indices,
    row_starts,
)
from .logits import (
    gaps_bounded,
    one_hot_cross_entropy,
    softmax_minus_one_hot,
    softmax_parts,
    softmax_terms,
)

__all__ = ["tukey_biweight", "general_robust_loss", "generalized_cross_entropy"]

#: Tukey's cutoff :math:`c`
c = sp.Symbol("c", positive=True)
#: Barron's shape parameter :math:`\alpha` (any real number)
alpha = sp.Symbol("alpha", real=True)
#: Barron's scale :math:`s`
s = sp.Symbol("s", positive=True)

_RESIDUAL_ARGS = (Argument("y_true", sym.y, domain="real targets"),
                  Argument("y_pred", sym.y_hat, differentiable=True, domain="real predictions"))


# --------------------------------------------------------------------------
# Tukey's biweight
# --------------------------------------------------------------------------


def _residual_two_sum(y_hat, y):
    """y_hat - y = hi + lo exactly: TwoSum of y_hat and -y without forming -y (the low
    part's last step is -(y + v) rather than -y - v: the same bits, rounding being
    symmetric in sign)."""
    hi = y_hat - y
    v = hi - y_hat
    return hi, (y_hat - (hi - v)) - (y + v)


# Constants as 0-d arrays: numpy takes a slower path for a Python-float operand (about
# 0.2 µs a call on 100 entries); the arithmetic, and so every bit, is the same.
_ZERO, _ONE, _SIX = np.array(0.0), np.array(1.0), np.array(6.0)


def _tukey_parts(y_true, y_pred, cutoff):
    """m = min(|r|, c) with its sign, and w = 1 - (m/c)^2 = (c - m)(c + m)/c^2."""
    y, y_hat = check_pair(y_true, y_pred)
    cutoff = check_scalar(cutoff, "c", low=0.0, low_open=True)
    r_hi, r_lo = _residual_two_sum(y_hat, y)
    sign = np.sign(r_hi)
    # (In place on fresh temporaries, with the cutoff as a 0-d array: a numpy call on 100
    # numbers costs mostly its overhead, more so with a Python float operand.)
    c = np.array(cutoff)
    m = np.abs(r_hi, out=r_hi)
    # c - |r|: c - |r_hi| is exact near the cutoff (Sterbenz), then the low part. Its sign
    # is that of c - |r|, so clamping at 0 gives w = 0 beyond the cutoff; fmax also maps
    # the NaN of an overflowed residual (r_lo = NaN) to 0.
    w = np.subtract(c, m)
    w -= np.multiply(sign, r_lo, out=r_lo)
    np.fmax(w, _ZERO, out=w)
    np.minimum(m, c, out=m)
    w /= c
    w *= (c + m) / c  # w = (gap / c) ((c + m) / c)
    return sign, m, w, cutoff


def _tukey_values(y_true, y_pred, c=4.685):
    _, m, w, _ = _tukey_parts(y_true, y_pred, c)
    # c^2/6 (1 - w^3) = m^2 (1 + w + w^2) / 6 since 1 - w = (m/c)^2: positive terms only.
    return (m * m) * ((_ONE + w * (_ONE + w)) / _SIX)


def _tukey_grad(y_true, y_pred, *, c=4.685):
    r"""Gradient of the sum-reduced :func:`tukey_biweight`:
    :math:`\psi(r) = r\,(1 - (r/c)^2)^2` for :math:`|r| \le c`, 0 beyond."""
    sign, m, w, _ = _tukey_parts(y_true, y_pred, c)
    return sign * m * (w * w) + _ZERO  # + 0.0: no -0.0 beyond the cutoff


def _tukey_symbolic():
    r"""One element of :func:`tukey_biweight` as a sympy ``Piecewise`` in the symbol ``c``."""
    r = sym.y_hat - sym.y
    return sp.Piecewise(
        (c**2 / 6 * (1 - (1 - (r / c) ** 2) ** 3), sp.Abs(r) <= c),
        (c**2 / 6, True),
    )


@register_loss(
    grad=_tukey_grad,
    symbolic=_tukey_symbolic,
    family="robust",
    estimates="a redescending M-estimate of location: the centre of symmetric noise, "
    "ignoring residuals beyond c (a local minimiser; the loss is not convex)",
    bounded_gradient=True,
    chapter="robustness/robust-losses",
    arguments=_RESIDUAL_ARGS,
    parameters={"c": c},
    element="scalar",
    formula=(r"\frac{c^2}{6}\Big(1 - \big(1 - (r/c)^2\big)^3\Big) \text{ if } |r| \le c, "
             r"\quad \frac{c^2}{6} \text{ otherwise}, \quad r = \hat y - y"),
    gradients=(r"r\,\big(1 - (r/c)^2\big)^2 \text{ if } |r| \le c, \quad 0 \text{ otherwise}",),
)
def tukey_biweight(y_true, y_pred, *, c=4.685):
    r"""Tukey's biweight (bisquare) loss, a redescending M-estimator.

    .. math::
        \rho(r) = \begin{cases}
            \dfrac{c^2}{6}\Big(1 - \big(1 - (r/c)^2\big)^3\Big) & |r| \le c \\[1ex]
            \dfrac{c^2}{6} & |r| > c
        \end{cases}
        \qquad r = \hat y - y

    Its derivative :math:`\psi(r) = r\,(1 - (r/c)^2)^2` rises like :math:`r`
    near 0, falls back to 0 at :math:`|r| = c` and stays 0 beyond: a residual
    larger than :math:`c` has no influence at all. The default
    :math:`c = 4.685` gives 95 % efficiency at the normal model with unit
    noise scale (scale the residuals, or :math:`c`, for other scales).

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    c : float, default 4.685
        Cutoff :math:`c > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The loss is evaluated as :math:`m^2 (1 + w + w^2)/6` with
    :math:`m = \min(|r|, c)` and :math:`w = 1 - (m/c)^2 = (c - m)(c + m)/c^2`,
    a sum of positive terms (no cancellation for tiny :math:`r`), and
    :math:`\psi = \operatorname{sign}(r)\, m\, w^2`. Near the cutoff
    :math:`w` depends on the last bits of :math:`r`: the residual is formed
    exactly (as a sum of two doubles), so :math:`c - |r|` is exact too.

    Examples
    --------
    >>> from lossbook import tukey_biweight
    >>> y, y_hat = [0.0, 0.0, 0.0], [1.0, -3.0, 100.0]
    >>> tukey_biweight(y, y_hat, c=3.0, reduction="none")  # 1.5 (1 - (8/9)^3), 1.5, 1.5
    array([0.44650206, 1.5       , 1.5       ])
    >>> tukey_biweight.grad(y, y_hat, c=3.0)  # 1 (1 - 1/9)^2, 0, 0
    array([0.79012346, 0.        , 0.        ])
    """
    return _tukey_values(y_true, y_pred, c)


# --------------------------------------------------------------------------
# Barron's general and adaptive robust loss
# --------------------------------------------------------------------------


def _general_robust_grad(y_true, y_pred, *, alpha=1.0, scale=1.0):
    r"""Gradient of the sum-reduced :func:`general_robust_loss` with respect to ``y_pred``:
    :math:`\frac{x}{s}\big(x^2/|\alpha-2| + 1\big)^{\alpha/2 - 1}`, :math:`x = (\hat y - y)/s`."""
    plain = barron_plain(y_true, y_pred, alpha, scale, want_grad=True)
    if plain is not None:
        return plain
    return Barron(y_true, y_pred, alpha, scale).grad()


def _general_robust_symbolic(special=None):
    r"""One element of :func:`general_robust_loss` in the symbols ``alpha`` and ``s``.

    ``special`` may be ``2``, ``0`` or ``"-inf"`` for the three limits the
    general formula leaves undefined (:math:`\tfrac12 x^2`,
    :math:`\log(\tfrac12 x^2 + 1)`, :math:`1 - e^{-x^2/2}`).
    """
    x = (sym.y_hat - sym.y) / s
    if special == 2:
        return x**2 / 2
    if special == 0:
        return sp.log(x**2 / 2 + 1)
    if special == "-inf":
        return 1 - sp.exp(-(x**2) / 2)
    b = sp.Abs(alpha - 2)
    return b / alpha * ((x**2 / b + 1) ** (alpha / 2) - 1)


@register_loss(
    grad=_general_robust_grad,
    symbolic=_general_robust_symbolic,
    family="robust",
    estimates="an M-estimate of location: the mean for alpha = 2, the centre of symmetric "
    "noise otherwise (a local minimiser for alpha < 1, where the loss is not convex)",
    bounded_gradient=False,
    chapter="robustness/robust-losses",
    arguments=_RESIDUAL_ARGS,
    parameters={"alpha": alpha, "scale": s},
    element="scalar",
    formula=(r"\frac{|\alpha - 2|}{\alpha}\left(\Big(\frac{x^2}{|\alpha - 2|} + 1\Big)"
             r"^{\alpha/2} - 1\right), \quad x = (\hat y - y)/s"),
    gradients=(r"\frac{x}{s}\Big(\frac{x^2}{|\alpha - 2|} + 1\Big)^{\alpha/2 - 1}",),
)
def general_robust_loss(y_true, y_pred, *, alpha=1.0, scale=1.0):
    r"""Barron's general robust loss, one shape parameter for a whole family.

    .. math::
        \rho(x, \alpha) = \frac{|\alpha - 2|}{\alpha}
        \left(\Big(\frac{x^2}{|\alpha - 2|} + 1\Big)^{\alpha/2} - 1\right),
        \qquad x = \frac{\hat y - y}{s}

    with the limits :math:`\tfrac12 x^2` at :math:`\alpha = 2` (L2),
    :math:`\log(\tfrac12 x^2 + 1)` at :math:`\alpha = 0` (Cauchy/Lorentzian)
    and :math:`1 - e^{-x^2/2}` as :math:`\alpha \to -\infty` (Welsch);
    :math:`\alpha = 1` is the pseudo-Huber (Charbonnier) loss
    :math:`\sqrt{x^2 + 1} - 1` and :math:`\alpha = -2` Geman--McClure,
    :math:`2x^2/(x^2 + 4)`.

    Parameters
    ----------
    y_true, y_pred : array_like
        Targets and predictions of the same shape (never broadcast).
    alpha : float, default 1.0
        Shape :math:`\alpha`: any real number, or ``-np.inf``. Smaller
        :math:`\alpha` is more robust; :math:`\alpha < 0` bounds the loss.
    scale : float, default 1.0
        Scale :math:`s > 0` of the quadratic bowl around 0.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The gradient with respect to :math:`\hat y` is
    :math:`\frac{x}{s}\,(x^2/|\alpha - 2| + 1)^{\alpha/2 - 1}`. Both are
    accurate for :math:`\alpha` near 0 and 2, where the formula above is
    0/0 or has :math:`|\alpha - 2|` in a denominator: the loss is evaluated as
    :math:`\frac{b}{\alpha}\operatorname{expm1}\big(\tfrac{\alpha}{2}\log(1 + t)\big)`
    (:math:`b = |\alpha - 2|`, :math:`t = x^2/b`) where the power is near 1,
    and with ``pow`` of an exactly represented :math:`1 + t` elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import general_robust_loss
    >>> y, y_hat = np.zeros(3), np.array([0.5, 2.0, 10.0])
    >>> general_robust_loss(y, y_hat, alpha=2.0, reduction="none")  # x^2 / 2
    array([ 0.125,  2.   , 50.   ])
    >>> general_robust_loss(y, y_hat, alpha=1.0, reduction="none")  # sqrt(x^2 + 1) - 1
    array([0.11803399, 1.23606798, 9.04987562])
    >>> general_robust_loss(y, y_hat, alpha=-np.inf, reduction="none")  # 1 - exp(-x^2 / 2)
    array([0.1175031 , 0.86466472, 1.        ])
    """
    plain = barron_plain(y_true, y_pred, alpha, scale, want_grad=False)
    if plain is not None:
        return plain
    return Barron(y_true, y_pred, alpha, scale).values()


# --------------------------------------------------------------------------
# Generalized cross-entropy (noisy labels)
# --------------------------------------------------------------------------


def _gce_inputs(y_true, logits, q):
    """Class indices of shape logits.shape[:-1], the logits, and q in (0, 1]."""
    z = logits
    # The common case: finite float64 logits and indices that certainly lie in [0, k).
    if (type(z) is np.ndarray and z.dtype == np.float64 and z.ndim >= 2 and z.size
            and type(y_true) is np.ndarray and y_true.shape == z.shape[:-1] and all_finite(z)
            and (labels := plain_class_indices(y_true, z.shape[-1])) is not None):
        return labels, z, check_scalar(q, "q", low=0.0, high=1.0, low_open=True)
    z = as_float_array(logits, "logits")
    if z.ndim < 2:
        raise ValueError(f"logits must have shape (n, k) (classes on the last axis), got {z.shape}")
    integers = isinstance(y_true, np.ndarray) and y_true.dtype.kind in "iu" and y_true.size > 0
    # An integer array is finite and integral as it is: no float copy, no integrality test.
    y = y_true if integers else as_float_array(y_true, "y_true")
    if y.shape != z.shape[:-1]:
        raise ValueError(
            f"y_true must hold one class index per row of logits, shape {z.shape[:-1]}; "
            f"got {y.shape} (inputs are never broadcast)"
        )
    k = z.shape[-1]
    if ((not integers and np.any(y != np.floor(y)))
            or np.minimum.reduce(y, axis=None) < 0 or np.maximum.reduce(y, axis=None) >= k):
        raise ValueError(f"y_true must hold class indices, integers in [0, k) = [0, {k})")
    q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True)
    return y.astype(np.intp, copy=False), z, q


def _gce_parts(labels, z):
    """log p_y (accurate when p_y is near 1), the flat index of each label's logit, and the
    softmax pieces."""
    top, top_value, e, rest = softmax_parts(z)
    k = z.shape[-1]
    at_label = labels.ravel() + np.arange(0, z.size, k)
    # log p = (z - max) - log1p(rest), evaluated only at the labels.
    z_y = np.take(z, at_label).reshape(labels.shape)
    log_p_y = (z_y - top_value[..., 0]) - np.log1p(rest[..., 0])
    return at_label, top, e, rest, log_p_y


def _gce_common(y_true, logits, q):
    """The common case of :func:`_gce_inputs`: C-contiguous finite float64 logits and class
    indices that certainly lie in [0, k). Returns ``(z, flat index of each row's first
    entry, flat index of each label's logit, q, bounded)``, ``bounded`` when every |z| <= 16
    (no gap z - max z below -32: :func:`~lossbook.logits.shifted_exp` then needs no
    reduction to find out), or ``None``: :func:`_gce_inputs` then validates (and raises)."""
    z = logits
    if not (type(z) is np.ndarray and z.dtype == np.float64 and z.ndim >= 2 and z.size
            and z.flags.c_contiguous and type(y_true) is np.ndarray
            and y_true.shape == z.shape[:-1]):
        return None
    bounded = gaps_bounded(z)
    if bounded is None:  # some entry is NaN or inf
        return None
    labels = plain_class_indices(y_true, z.shape[-1])
    if labels is None:
        return None
    q = check_scalar(q, "q", low=0.0, high=1.0, low_open=True)
    starts = row_starts(z)
    return z, starts, starts + labels.reshape(-1), q, bounded


def _gce_values(y_true, logits, q=0.7):
    common = _gce_common(y_true, logits, q)
    if common is None:
        labels, z, q = _gce_inputs(y_true, logits, q)
        # (1 - p_y^q) / q = -expm1(q log p_y) / q: no cancellation when p_y is near 1.
        return np.expm1(q * _gce_parts(labels, z)[-1]) / -q
    z, starts, targets, q, bounded = common
    # -log p_y as cross-entropy's (max z - z_y) + log1p(rest): the negated operations of
    # log p_y = (z_y - max z) - log1p(rest), and q log p_y = (-q)(-log p_y), the same bits
    # (rounding is symmetric in sign)
    minus_q = np.array(-q)
    minus_log_p_y = one_hot_cross_entropy(z, starts, targets, bounded)
    values = np.expm1(minus_q * minus_log_p_y) / minus_q
    return values if z.ndim == 2 else values.reshape(z.shape[:-1])


def _power_of_probability(log_p, q):
    """p^q = exp(q log p) with the product q log p formed exactly (hi + lo) where it is
    large: a rounded product costs |q log p| ulp, e.g. 300 ulp at p = e^-1000, q = 0.3."""
    if np.minimum.reduce(log_p, axis=None) * q >= -1.0:  # then it costs an ulp at most
        return np.exp(q * log_p)
    hi, lo = two_prod(np.float64(q), log_p)
    with np.errstate(under="ignore"):
        return np.exp(hi) * (1.0 + lo)


def _gce_grad(y_true, logits, *, q=0.7):
    r"""Gradient of the sum-reduced :func:`generalized_cross_entropy`:
    :math:`p_y^{\,q}\,(\operatorname{softmax}(z) - \operatorname{onehot}(y))`."""
    common = _gce_common(y_true, logits, q)
    if common is not None:
        z, starts, targets, q, bounded = common
        top_indices, top_value, e, rest = softmax_terms(z, starts, bounded)
        log_p_y = (z.reshape(-1)[targets] - top_value.reshape(-1)) - np.log1p(rest.reshape(-1))
        ce_grad = softmax_minus_one_hot(targets, top_indices, top_value, e, rest)
        ce_grad *= _power_of_probability(log_p_y, q).reshape(rest.shape)
        return ce_grad
    labels, z, q = _gce_inputs(y_true, logits, q)
    at_label, top, e, rest, log_p_y = _gce_parts(labels, z)
    onehot = np.zeros(z.shape)
    onehot.reshape(-1)[at_label] = 1.0
    # softmax - onehot as in cross_entropy: (e_j (1 - t_j) - t_j (S - e_j)) / S, with S - e_j
    # summed directly; the complement sums of a one-hot row are exactly 1 - onehot.
    others = np.where(top, rest, (1.0 + rest) - e)
    ce_grad = (e * (1.0 - onehot) - onehot * others) / (1.0 + rest)
    return _power_of_probability(log_p_y, q)[..., None] * ce_grad


def _class_logit_symbols(k):
    """The logits z_0, ..., z_{k-1} of one row (the symbols of ``class_symbols``)."""
    return sp.symbols(f"z_0:{k}", real=True)


def _gce_symbolic(k=3):
    r"""One sample of :func:`generalized_cross_entropy` with ``k`` classes:
    :math:`(1 - p_y^q)/q`, :math:`p = \operatorname{softmax}(z)`, in the class index
    ``symbols.y`` (:math:`p_y` as a ``Piecewise`` over its values), the logits
    ``z_0, ..., z_{k-1}`` and ``symbols.q``."""
    logits = _class_logit_symbols(k)
    normaliser = sum(sp.exp(zi) for zi in logits)
    p_y = sp.Piecewise(*[(sp.exp(zi) / normaliser, sp.Eq(sym.y, j))
                         for j, zi in enumerate(logits[:-1])],
                       (sp.exp(logits[-1]) / normaliser, True))
    return (1 - p_y**sym.q) / sym.q


@register_loss(
    grad=_gce_grad,
    symbolic=_gce_symbolic,
    family="robust",
    estimates="the Bayes classifier (argmax of P(y|x)); softmax(z) is not a calibrated "
    "probability for q > 0",
    bounded_gradient=True,
    chapter="robustness/robust-losses",
    arguments=(Argument("y_true", sym.y, domain="class indices in {0, ..., C - 1}"),
               Argument("logits", sym.z, differentiable=True, components=_class_logit_symbols,
                        domain="real logits, classes on the last axis")),
    parameters={"q": sym.q},
    element="class axis",
    formula=r"\frac{1 - p_y^{\,q}}{q}, \quad p = \operatorname{softmax}(z)",
    gradients=(r"p_y^{\,q}\,\big(p_j - [j = y]\big)",),
)
def generalized_cross_entropy(y_true, logits, *, q=0.7):
    r"""Generalized cross-entropy (the :math:`L_q` loss) of Zhang and Sabuncu (2018).

    .. math:: \ell(y, z) = \frac{1 - p_y^{\,q}}{q},
        \qquad p = \operatorname{softmax}(z)

    A Box--Cox transform of the probability of the labelled class: as
    :math:`q \to 0` it tends to the cross-entropy :math:`-\log p_y`, and at
    :math:`q = 1` it is :math:`1 - p_y`, half the MAE between
    :math:`p` and the one-hot target (a symmetric loss, robust to uniform
    label noise). In between it trades the fast training of cross-entropy
    against robustness to flipped labels.

    Parameters
    ----------
    y_true : array_like
        Class indices (integers, or floats with integral values, in
        ``[0, k)``), of shape ``logits.shape[:-1]``.
    logits : array_like, shape (n, k)
        One row of class logits per sample (classes on the last axis).
    q : float in (0, 1], default 0.7
        Exponent :math:`q` (the paper's default is 0.7).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-sample losses, shape ``(n,)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-sample losses for ``"none"``.

    Notes
    -----
    The loss is evaluated as :math:`-\operatorname{expm1}(q \log p_y)/q` with
    the log-softmax of :func:`~lossbook.logits.log_softmax`, accurate
    when :math:`p_y` is near 1. The gradient is the cross-entropy gradient
    weighted by :math:`p_y^{\,q}`:
    :math:`\partial\ell/\partial z_j = p_y^{\,q}\,(p_j - [j = y])`, so a sample
    the model finds implausible (a likely flipped label) pulls less.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import generalized_cross_entropy as gce
    >>> logits = np.array([[0.0, 0.0], [2.0, -2.0]])
    >>> gce([0, 1], logits, q=1.0, reduction="none")  # 1 - p_y
    array([0.5       , 0.98201379])
    >>> np.round(gce([0, 1], logits, q=1e-8, reduction="none"), 6)  # about -log p_y
    array([0.693147, 4.01815 ])
    """
    return _gce_values(y_true, logits, q)
