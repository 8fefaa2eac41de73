r"""Losses of generative models and distillation (issue 16).

:func:`distillation_loss` (Hinton, Vinyals & Dean, 2015), :func:`gaussian_kl`
(the KL term of the VAE's ELBO, Kingma & Welling, 2014) and the GAN objectives
:func:`gan_discriminator_loss` and :func:`gan_generator_loss` (Goodfellow et
al., 2014; Lim & Ye, 2017; Arjovsky et al., 2017).

Nothing here re-derives a log-sum-exp: the sigmoid, softplus and softmax come
from :mod:`lossbook.logits`. The one new building block is
:math:`\psi(x) = e^x - 1 - x \ge 0` (``exp_excess``, in ``lossbook._divergence``
with the numerics of the distillation KL), evaluated by a Taylor series for
:math:`|x| \le 1` and as ``expm1(x) - x`` beyond, so that it keeps full relative
accuracy at :math:`x = 10^{-8}` (where :math:`\psi \approx 5 \cdot 10^{-17}` and
``exp(x) - 1 - x`` would return 0 or noise).
"""

import math

import numpy as np
import sympy as sp

from ._divergence import distillation_kl, excess_row_sums, may_overflow
from ._registry import Argument, register_loss
from ._rowwise import FLOAT64, HALF
from ._validation import (
    as_float_array,
    check_has_axis,
    check_pair,
    check_same_shape,
    check_scalar,
    largest,
)
from .logits import exp_minus_abs, sigmoid_pair, softplus_pair

__all__ = ["distillation_loss", "gaussian_kl", "gan_discriminator_loss", "gan_generator_loss"]

#: softmax temperature :math:`T` of :func:`distillation_loss`
temperature_symbol = sp.Symbol("T", positive=True)
#: logit of a real sample, :math:`z_r` (the discriminator's score before the sigmoid)
z_real = sp.Symbol("z_r", real=True)
#: logit of a generated (fake) sample, :math:`z_f`
z_fake = sp.Symbol("z_f", real=True)

#: The kinds of :func:`gan_discriminator_loss` and of :func:`gan_generator_loss`.
DISCRIMINATOR_KINDS = ("minimax", "hinge", "wasserstein")
GENERATOR_KINDS = ("minimax", "non_saturating", "hinge", "wasserstein")

def _check_kind(kind, kinds):
    if not isinstance(kind, str) or kind not in kinds:
        raise ValueError(f"kind must be one of {', '.join(map(repr, kinds))}; got {kind!r}")
    return kind


# --------------------------------------------------------------------------
# Knowledge distillation (Hinton, Vinyals & Dean, 2015)
# --------------------------------------------------------------------------


def logit_symbols(k):
    r"""Symbols of one row: teacher logits :math:`v_0, \dots, v_{k-1}` and student logits
    :math:`z_0, \dots, z_{k-1}` (Hinton et al.'s letters), as two tuples.

    Examples
    --------
    >>> from lossbook.generative import logit_symbols
    >>> logit_symbols(2)
    ((v_0, v_1), (z_0, z_1))
    """
    return sp.symbols(f"v_0:{k}", real=True), sp.symbols(f"z_0:{k}", real=True)


def _distillation_inputs(teacher_logits, student_logits, temperature):
    """Validated teacher and student logits, the temperature, and the largest |t| and |s|
    (which certify both finite in the common case, and let distillation_kl skip gates)."""
    t, s = teacher_logits, student_logits
    if (type(t) is np.ndarray and type(s) is np.ndarray and t.dtype is FLOAT64
            and s.dtype is FLOAT64 and t.ndim and t.size and t.shape == s.shape
            and type(temperature) is float and 0.0 < temperature < math.inf):
        largest_t, largest_s = float(largest(np.abs(t))), float(largest(np.abs(s)))
        if largest_t < math.inf and largest_s < math.inf:  # NaN fails too
            return t, s, temperature, largest_t, largest_s
    t = check_has_axis(as_float_array(teacher_logits, "teacher_logits"), "teacher_logits",
                       "classes")
    s = check_has_axis(as_float_array(student_logits, "student_logits"), "student_logits",
                       "classes")
    check_same_shape(t, s, ("teacher_logits", "student_logits"))
    temperature = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    return (t, s, temperature, float(np.maximum.reduce(np.abs(t), axis=None)),
            float(np.maximum.reduce(np.abs(s), axis=None)))


def _distillation_grad(teacher_logits, student_logits, *, temperature=1.0):
    """Gradient of the summed loss w.r.t. the student's logits: T (q - p)."""
    t, s, temperature, largest_t, largest_s = _distillation_inputs(
        teacher_logits, student_logits, temperature)
    q_minus_p = distillation_kl(t, s, temperature, True, largest_t, largest_s)
    return q_minus_p if temperature == 1.0 else temperature * q_minus_p  # (1 x is x)


def _distillation_symbolic(k=3):
    r"""One row: :math:`T^2 \sum_j p_j \log(p_j / q_j)`, p and q the softmaxes of
    :math:`v/T` and :math:`z/T`, in the symbols of ``logit_symbols(k)``."""
    v, z = logit_symbols(k)
    T = temperature_symbol
    p = [sp.exp(vj / T) / sum(sp.exp(vi / T) for vi in v) for vj in v]
    q = [sp.exp(zj / T) / sum(sp.exp(zi / T) for zi in z) for zj in z]
    return T**2 * sum(pj * sp.log(pj / qj) for pj, qj in zip(p, q, strict=True))


@register_loss(
    family="generative",
    chapter="generative/knowledge-distillation",
    estimates=("the teacher's softened distribution: zero exactly when softmax(z/T) = "
               "softmax(v/T), i.e. student logits = teacher logits + a constant per row"),
    bounded_gradient=True,
    arguments=(
        Argument("teacher_logits", sp.Symbol("v"), components=lambda k: logit_symbols(k)[0],
                 domain="real logits (..., k): the teacher's, a fixed target"),
        Argument("student_logits", sp.Symbol("z"), differentiable=True,
                 components=lambda k: logit_symbols(k)[1],
                 domain="real logits (..., k), same shape as teacher_logits"),
    ),
    parameters={"temperature": temperature_symbol},
    element="class axis",
    formula=(r"T^2 \sum_{j=1}^{k} p_j \log\frac{p_j}{q_j},\quad p = \operatorname{softmax}(v/T),"
             r"\ q = \operatorname{softmax}(z/T)"),
    gradients=(r"\frac{\partial \ell}{\partial z_j} = T\,(q_j - p_j)",),
    grad=_distillation_grad,
    symbolic=_distillation_symbolic,
)
def distillation_loss(teacher_logits, student_logits, *, temperature=1.0):
    r"""Knowledge-distillation loss (Hinton, Vinyals & Dean, 2015), per sample.

    .. math:: \ell(v, z) = T^2\, D_{\mathrm{KL}}\big(\operatorname{softmax}(v/T)
        \,\big\|\, \operatorname{softmax}(z/T)\big) = T^2 \sum_j p_j \log\frac{p_j}{q_j}

    with teacher logits :math:`v`, student logits :math:`z`, temperature :math:`T`.
    The :math:`T^2` keeps the gradient :math:`T(q_j - p_j)` comparable across
    temperatures (Hinton et al., section 2). It differs from the soft-target
    cross-entropy :math:`-T^2\sum_j p_j \log q_j` by :math:`T^2 H(p)`, which does
    not depend on the student: the same gradient, and 0 at the optimum.

    Parameters
    ----------
    teacher_logits : array_like, shape (..., k)
        The teacher's logits (a target: never differentiated).
    student_logits : array_like, shape (..., k)
        The student's logits, same shape (never broadcast).
    temperature : float, default 1.0
        :math:`T > 0`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the samples (rows, PyTorch's ``"batchmean"``);
        ``"none"`` returns one value per row, shape ``(...)``.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-row losses for ``"none"``.

    Notes
    -----
    With :math:`d = (z - v)/T` and :math:`x = d - \mathbb E_p[d]`, the divergence is
    :math:`\log(1 + A + B) - B` with :math:`A = \sum_j p_j(e^{x_j} - 1 - x_j) \ge 0`
    and :math:`B = \sum_j p_j x_j \approx 0` (rounding only), and
    :math:`q_j - p_j = p_j(e^{x_j} - 1 - A - B)/(1 + A + B)`: a student close to its
    teacher gets its tiny loss and gradient with full relative accuracy, not the
    rounding noise of a difference of two log-softmaxes (which is about
    :math:`10^{-16}\max|z|/T` in absolute terms); rows with a divergence above 30
    use a log-sum-exp. :math:`z_j - v_j` is formed exactly (as a sum of two floats),
    so a student equal to its teacher plus a large constant per row loses nothing.
    What remains is the rounding of the scaled logit gaps :math:`(v_j - \max v)/T`
    and :math:`(z_j - z_r)/T`, as in any floating-point softmax: a probability
    :math:`e^{-G}` in a tail carries a relative error of up to about
    :math:`G \cdot 2^{-53}` (some :math:`10^{-14}` at :math:`G = 100`, before the
    tail underflows at :math:`G \approx 745`), and so do the loss and gradient
    entries that such a tail dominates. Where the gradient is a difference of
    nearly equal probabilities (:math:`q_j \approx p_j` although the rows differ),
    its error is relative to :math:`T(p_j + q_j)`, not to itself.

    Examples
    --------
    >>> import numpy as np
    >>> from lossbook import distillation_loss
    >>> float(distillation_loss([0.0, 0.0], [0.0, 0.0]))
    0.0
    >>> float(distillation_loss([2.0, 0.0], [0.0, 2.0], temperature=2.0))  # 4 tanh(1/2)
    1.848468629040039
    >>> distillation_loss.grad([[1e3, 0.0]], [[0.0, 1e3]])  # T (q - p)
    array([[-1.,  1.]])
    """
    t, s, temperature, largest_t, largest_s = _distillation_inputs(
        teacher_logits, student_logits, temperature)
    kl = distillation_kl(t, s, temperature, False, largest_t, largest_s)
    return kl if temperature == 1.0 else temperature * temperature * kl  # (1 * kl is kl)


# --------------------------------------------------------------------------
# The Gaussian KL of the VAE (Kingma & Welling, 2014, appendix B)
# --------------------------------------------------------------------------


def latent_symbols(k):
    r"""Symbols of one latent row: means :math:`\mu_0, \dots` and log-variances
    :math:`\lambda_0, \dots` (:math:`\lambda_j = \log s_j^2`), as two tuples.

    Examples
    --------
    >>> from lossbook.generative import latent_symbols
    >>> latent_symbols(2)
    ((mu_0, mu_1), (lambda_0, lambda_1))
    """
    return sp.symbols(f"mu_0:{k}", real=True), sp.symbols(f"lambda_0:{k}", real=True)


def _gaussian_kl_inputs(mu, logvar):
    mu = check_has_axis(as_float_array(mu, "mu"), "mu", "latent dimensions")
    logvar = check_has_axis(as_float_array(logvar, "logvar"), "logvar", "latent dimensions")
    check_same_shape(mu, logvar, ("mu", "logvar"))
    return mu, logvar


def _gaussian_kl_grad(mu, logvar):
    """(d/dmu, d/dlogvar) of the summed loss: (mu, expm1(logvar) / 2)."""
    mu, logvar = _gaussian_kl_inputs(mu, logvar)
    if may_overflow(logvar):  # inf, without a warning
        with np.errstate(over="ignore"):
            return mu.copy(), HALF * np.expm1(logvar)
    return mu.copy(), HALF * np.expm1(logvar)


def _gaussian_kl_symbolic(k=2):
    r"""One row: :math:`-\tfrac12 \sum_j (1 + \lambda_j - \mu_j^2 - e^{\lambda_j})`."""
    mu, lam = latent_symbols(k)
    return -sum(1 + lj - mj**2 - sp.exp(lj) for mj, lj in zip(mu, lam, strict=True)) / 2


@register_loss(
    family="generative",
    chapter="generative/elbo-vae",
    estimates=("the prior N(0, I): zero exactly at mu = 0, logvar = 0 (the KL term of the "
               "ELBO, which pulls the encoder's posterior towards the prior)"),
    bounded_gradient=False,
    arguments=(
        Argument("mu", sp.Symbol("mu"), differentiable=True,
                 components=lambda k: latent_symbols(k)[0],
                 domain="real means, rows (..., d): one latent vector per sample"),
        Argument("logvar", sp.Symbol("lambda"), differentiable=True,
                 components=lambda k: latent_symbols(k)[1],
                 domain="real log-variances, same shape as mu"),
    ),
    parameters={},
    element="embedding row",
    formula=(r"-\tfrac12 \sum_{j=1}^{d} \big(1 + \lambda_j - \mu_j^2 - e^{\lambda_j}\big),"
             r"\quad \lambda_j = \log s_j^2"),
    gradients=(r"\mu_j", r"\tfrac12\,(e^{\lambda_j} - 1)"),
    grad=_gaussian_kl_grad,
    symbolic=_gaussian_kl_symbolic,
)
def gaussian_kl(mu, logvar):
    r"""KL divergence of a diagonal Gaussian from the standard normal, per sample.

    .. math:: D_{\mathrm{KL}}\big(\mathcal N(\mu, \operatorname{diag} e^{\lambda})
        \,\big\|\, \mathcal N(0, I)\big)
        = -\tfrac12 \sum_j \big(1 + \lambda_j - \mu_j^2 - e^{\lambda_j}\big)

    the closed-form KL term of the VAE's evidence lower bound (Kingma & Welling,
    2014, appendix B), with :math:`\lambda = \log s^2` the encoder's log-variance.

    Parameters
    ----------
    mu : array_like, shape (..., d)
        Means of the approximate posterior, one latent vector per row.
    logvar : array_like, shape (..., d)
        Log-variances :math:`\lambda_j`, same shape (never broadcast).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the samples (rows); ``"none"`` returns one
        divergence per row, shape ``(...)``.

    Returns
    -------
    float or ndarray
        The reduced divergence (float64), or per-row divergences for ``"none"``.

    Notes
    -----
    Evaluated as :math:`\tfrac12\sum_j (\mu_j^2 + \psi(\lambda_j))`,
    :math:`\psi(x) = e^x - 1 - x \ge 0`: a sum of non-negative terms, accurate to a
    few units in the last place for every input (``expm1(x) - x`` in a row where its
    error is that small next to the row's sum, ``exp_excess`` elsewhere), including
    :math:`\lambda = 10^{-8}` (:math:`\psi \approx 5\cdot 10^{-17}`, lost entirely
    by ``1 + logvar - exp(logvar)``) and :math:`|\lambda|` up to 700; only a true
    value above the largest double (:math:`\lambda > 709.78` or
    :math:`|\mu| > 1.3\cdot 10^{154}`) overflows to ``inf``. ``.grad`` returns
    ``(d/dmu, d/dlogvar)`` = :math:`(\mu_j, \tfrac12\operatorname{expm1}(\lambda_j))`.

    Examples
    --------
    >>> from lossbook import gaussian_kl
    >>> float(gaussian_kl([0.0, 0.0], [0.0, 0.0]))
    0.0
    >>> float(gaussian_kl([0.0], [1e-8]))  # (1e-16 / 4) (1 + 1e-8 / 3)
    2.5000000083333336e-17
    >>> gaussian_kl.grad([[3.0, 0.0]], [[0.0, 2.0]])
    (array([[3., 0.]]), array([[0.        , 3.19452805]]))
    """
    if not (type(mu) is np.ndarray and type(logvar) is np.ndarray and mu.dtype is FLOAT64
            and logvar.dtype is FLOAT64 and mu.ndim and mu.size and mu.shape == logvar.shape):
        mu, logvar = _gaussian_kl_inputs(mu, logvar)
        return _gaussian_kl_rows(mu, logvar)
    # Float arrays of one shape: their finiteness is checked on the result, one reduction
    # instead of one per input. An inf or NaN entry makes its row inf or NaN (silently:
    # exp_excess(inf) is NaN without a warning); only then, or where a true value
    # overflows, the full validation runs, and raises its error for a non-finite input.
    kl = _gaussian_kl_rows(mu, logvar)
    if not _total(kl) < math.inf:
        _gaussian_kl_inputs(mu, logvar)
    return kl


def _total(kl):
    """A number that is finite exactly when every divergence in ``kl`` is, or that
    overflows with their sum (then the full validation runs and passes): the sum of a
    Python list for a few rows (NaN and inf propagate into it), a quarter of the cost of
    a numpy reduction there; the largest divergence otherwise."""
    if kl.ndim == 1 and kl.size <= 64:
        return sum(kl.tolist())
    return np.maximum.reduce(kl, axis=None)


def _gaussian_kl_rows(mu, logvar):
    """The divergence of each row: (1/2) sum_j (mu_j^2 + psi(logvar_j))."""
    return HALF * excess_row_sums(logvar, mu * mu)


# --------------------------------------------------------------------------
# GAN objectives
# --------------------------------------------------------------------------


def _gan_discriminator_inputs(real_logits, fake_logits, kind):
    r, f = check_pair(real_logits, fake_logits, names=("real_logits", "fake_logits"))
    return r, f, _check_kind(kind, DISCRIMINATOR_KINDS)


def _gan_discriminator_grad(real_logits, fake_logits, *, kind="minimax"):
    """(d/dreal_logits, d/dfake_logits) of the summed loss."""
    r, f, kind = _gan_discriminator_inputs(real_logits, fake_logits, kind)
    if kind == "minimax":
        return -sigmoid_pair(r, exp_minus_abs(r))[1], sigmoid_pair(f, exp_minus_abs(f))[0]
    if kind == "hinge":
        return -(r < 1.0).astype(np.float64), (f > -1.0).astype(np.float64)
    return np.full(r.shape, -1.0), np.ones(f.shape)


def _gan_discriminator_symbolic(kind="minimax"):
    """One pair (z_r, z_f) of real and fake logits."""
    kind = _check_kind(kind, DISCRIMINATOR_KINDS)
    if kind == "minimax":
        return sp.log(1 + sp.exp(-z_real)) + sp.log(1 + sp.exp(z_fake))
    if kind == "hinge":
        return sp.Max(0, 1 - z_real) + sp.Max(0, 1 + z_fake)
    return z_fake - z_real


@register_loss(
    family="generative",
    chapter="generative/gan-objectives",
    estimates=("minimax: D = sigmoid(logit) estimates p_data / (p_data + p_g), the logit the "
               "log density ratio; hinge: sign(p_data - p_g) (the logit clipped to +-1); "
               "wasserstein: a critic whose mean gap estimates W1 only under a 1-Lipschitz "
               "constraint (unbounded below otherwise)"),
    bounded_gradient=True,
    arguments=(
        Argument("real_logits", z_real, differentiable=True,
                 domain="real logits of the discriminator on data samples"),
        Argument("fake_logits", z_fake, differentiable=True,
                 domain="real logits on generated samples, same shape as real_logits"),
    ),
    parameters={"kind": None},
    element="scalar",
    formula=(r"\text{minimax: } \operatorname{softplus}(-z_r) + \operatorname{softplus}(z_f);"
             r"\ \text{hinge: } \max(0, 1 - z_r) + \max(0, 1 + z_f);"
             r"\ \text{wasserstein: } z_f - z_r"),
    gradients=(r"-\sigma(-z_r);\ -\mathbb 1[z_r < 1];\ -1",
               r"\sigma(z_f);\ \mathbb 1[z_f > -1];\ 1"),
    grad=_gan_discriminator_grad,
    symbolic=_gan_discriminator_symbolic,
)
def gan_discriminator_loss(real_logits, fake_logits, *, kind="minimax"):
    r"""The discriminator's (critic's) loss of a GAN, per pair of real and fake logits.

    .. math::
        \ell_{\text{minimax}} = -\log\sigma(z_r) - \log(1 - \sigma(z_f))
            = \operatorname{softplus}(-z_r) + \operatorname{softplus}(z_f), \\
        \ell_{\text{hinge}} = \max(0, 1 - z_r) + \max(0, 1 + z_f), \qquad
        \ell_{\text{wasserstein}} = z_f - z_r

    "minimax" is binary cross-entropy with label 1 for data and 0 for generated
    samples (Goodfellow et al., 2014); "hinge" is the geometric GAN's (Lim & Ye,
    2017); "wasserstein" is the WGAN critic's (Arjovsky et al., 2017), meaningful
    only with a Lipschitz constraint (weight clipping, a gradient penalty) that
    this loss does not impose.

    Parameters
    ----------
    real_logits : array_like
        The discriminator's logits :math:`z_r` on data samples.
    fake_logits : array_like
        Its logits :math:`z_f` on generated samples, same shape (pairs are formed
        element by element; never broadcast).
    kind : {"minimax", "hinge", "wasserstein"}, default "minimax"
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-pair losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-pair losses for ``"none"``.

    Notes
    -----
    ``.grad`` returns ``(d/dreal_logits, d/dfake_logits)``; at the hinge's kinks
    (:math:`z_r = 1`, :math:`z_f = -1`) it takes the derivative 0, as PyTorch's
    ``relu`` does. The softplus terms are sums of non-negative parts and the
    hinge terms one rounding each: relative accuracy for every finite logit.
    The Wasserstein value :math:`z_f - z_r` is one correctly rounded
    subtraction, within half an ulp of the exact difference of the given
    floats; where :math:`z_f \approx z_r` it cancels, so an error already in the
    logits is amplified by :math:`(|z_f| + |z_r|)/|z_f - z_r|`: relative to the
    inputs' magnitudes is all any evaluation can promise there.

    Examples
    --------
    >>> from lossbook import gan_discriminator_loss
    >>> float(gan_discriminator_loss([0.0], [0.0]))  # 2 log 2
    1.3862943611198906
    >>> gan_discriminator_loss([3.0, 0.5], [-2.0, 0.0], kind="hinge", reduction="none")
    array([0. , 1.5])
    >>> gan_discriminator_loss.grad([0.0], [0.0])
    (array([-0.5]), array([0.5]))
    """
    r, f, kind = _gan_discriminator_inputs(real_logits, fake_logits, kind)
    if kind == "minimax":
        return softplus_pair(r, exp_minus_abs(r))[1] + softplus_pair(f, exp_minus_abs(f))[0]
    if kind == "hinge":
        return np.maximum(1.0 - r, 0.0) + np.maximum(1.0 + f, 0.0)
    return f - r


def _gan_generator_inputs(fake_logits, kind):
    return as_float_array(fake_logits, "fake_logits"), _check_kind(kind, GENERATOR_KINDS)


def _gan_generator_grad(fake_logits, *, kind="non_saturating"):
    """d/dfake_logits of the summed loss."""
    f, kind = _gan_generator_inputs(fake_logits, kind)
    if kind == "minimax":
        return -sigmoid_pair(f, exp_minus_abs(f))[0]
    if kind == "non_saturating":
        return -sigmoid_pair(f, exp_minus_abs(f))[1]
    return np.full(f.shape, -1.0)


def _gan_generator_symbolic(kind="non_saturating"):
    """One fake logit z_f."""
    kind = _check_kind(kind, GENERATOR_KINDS)
    if kind == "minimax":
        return -sp.log(1 + sp.exp(z_fake))
    if kind == "non_saturating":
        return sp.log(1 + sp.exp(-z_fake))
    return -z_fake


@register_loss(
    family="generative",
    chapter="generative/gan-objectives",
    estimates=("a generator the discriminator cannot tell from the data: against the optimal "
               "discriminator, minimax and non-saturating are both minimised at p_g = p_data"),
    bounded_gradient=True,
    arguments=(
        Argument("fake_logits", z_fake, differentiable=True,
                 domain="real logits of the discriminator on generated samples"),
    ),
    parameters={"kind": None},
    element="scalar",
    formula=(r"\text{minimax: } -\operatorname{softplus}(z_f) = \log(1 - \sigma(z_f));"
             r"\ \text{non-saturating: } \operatorname{softplus}(-z_f) = -\log\sigma(z_f);"
             r"\ \text{hinge, wasserstein: } -z_f"),
    gradients=(r"-\sigma(z_f);\ -\sigma(-z_f);\ -1",),
    grad=_gan_generator_grad,
    symbolic=_gan_generator_symbolic,
)
def gan_generator_loss(fake_logits, *, kind="non_saturating"):
    r"""The generator's loss of a GAN, per logit of the discriminator on a generated sample.

    .. math::
        \ell_{\text{minimax}} = \log(1 - \sigma(z_f)) = -\operatorname{softplus}(z_f),
        \qquad \ell_{\text{non-saturating}} = -\log\sigma(z_f)
            = \operatorname{softplus}(-z_f), \\
        \ell_{\text{hinge}} = \ell_{\text{wasserstein}} = -z_f

    "minimax" is the generator's side of Goodfellow et al.'s (2014) game; its
    gradient :math:`-\sigma(z_f)` vanishes when the discriminator confidently
    rejects the fakes (:math:`z_f \to -\infty`), which is why the same paper
    recommends the "non_saturating" loss (gradient :math:`-\sigma(-z_f) \to -1`
    there). "hinge" (Lim & Ye, 2017) and "wasserstein" (Arjovsky et al., 2017)
    both use :math:`-z_f`.

    Parameters
    ----------
    fake_logits : array_like
        The discriminator's logits :math:`z_f` on generated samples.
    kind : {"minimax", "non_saturating", "hinge", "wasserstein"}, default "non_saturating"
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-element losses.

    Returns
    -------
    float or ndarray
        The reduced loss (float64), or per-element losses for ``"none"``.

    Notes
    -----
    The minimax loss is negative (it is :math:`\log(1 - D)`), and unbounded below
    as :math:`z_f \to \infty`. Both softplus forms keep full relative accuracy
    for every finite logit.

    Examples
    --------
    >>> from lossbook import gan_generator_loss
    >>> float(gan_generator_loss([0.0]))  # log 2
    0.6931471805599453
    >>> gan_generator_loss.grad([-40.0, -40.0], kind="minimax")  # saturated
    array([-4.24835426e-18, -4.24835426e-18])
    >>> gan_generator_loss.grad([-40.0], kind="non_saturating")
    array([-1.])
    """
    f, kind = _gan_generator_inputs(fake_logits, kind)
    if kind == "minimax":
        return -softplus_pair(f, exp_minus_abs(f))[0]
    if kind == "non_saturating":
        return softplus_pair(f, exp_minus_abs(f))[1]
    return -f
