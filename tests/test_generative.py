"""Tests of lossbook.generative beyond the contract: identities with other losses,
quadrature and Monte Carlo for the Gaussian KL, mpmath at other temperatures and
kinds, and the bad-input battery."""

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, stats

import lossbook
from lossbook import (
    binary_cross_entropy_with_logits,
    distillation_loss,
    gan_discriminator_loss,
    gan_generator_loss,
    gaussian_kl,
    kl_divergence,
    softmax,
)
from lossbook._divergence import exp_excess
from lossbook.generative import DISCRIMINATOR_KINDS, GENERATOR_KINDS
from tests.cases import symbolic_values_and_grads
from tests.cases.generative import (
    GAN_FAKE,
    GAN_FAKE_ALONE,
    GAN_REAL,
    distillation_reference,
    gaussian_kl_reference,
    mp_softmax,
)
from tests.mpmath_harness import assert_matches_mpmath

RNG = np.random.default_rng(16)


# ------------------------------------------------------------- exp_excess
def test_exp_excess_matches_mpmath_across_the_range():
    x = np.concatenate([-np.logspace(-300, np.log10(700), 200), [0.0],
                        np.logspace(-300, np.log10(709), 200), [-1.0, 1.0, -1 - 1e-15, 1 + 1e-15]])
    with mp.workdps(700):  # e^x - 1 - x ~ x^2 / 2 next to x = 1e-300
        expected = np.array([float(mp.exp(mp.mpf(v)) - 1 - mp.mpf(v)) for v in x])
    np.testing.assert_allclose(exp_excess(x), expected, rtol=4e-16, atol=1e-300)


# ----------------------------------------------------------- distillation
@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
def test_distillation_is_t_squared_kl_of_the_softmaxes(temperature):
    teacher, student = RNG.normal(size=(2, 3, 5, 6)) * 3
    expected = temperature**2 * kl_divergence(softmax(teacher / temperature),
                                              softmax(student / temperature), reduction="none")
    values = distillation_loss(teacher, student, temperature=temperature, reduction="none")
    assert values.shape == (3, 5)
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    np.testing.assert_allclose(distillation_loss(teacher, student, temperature=temperature),
                               expected.mean(), rtol=1e-12)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
def test_distillation_gradient_is_t_times_q_minus_p(temperature):
    """d/dz_j of T^2 KL(p || q) = T (q_j - p_j): the factor is T (Hinton et al.'s
    (1/T)(q - p) for the cross-entropy, times T^2)."""
    teacher, student = RNG.normal(size=(2, 4, 5)) * 2
    p, q = softmax(teacher / temperature), softmax(student / temperature)
    grad = distillation_loss.grad(teacher, student, temperature=temperature)
    np.testing.assert_allclose(grad, temperature * (q - p), rtol=1e-12, atol=1e-15)
    ratio = grad / (q - p)
    np.testing.assert_allclose(ratio, temperature, rtol=1e-10)
    mean_grad = distillation_loss.grad(teacher, student, temperature=temperature,
                                       reduction="mean")
    np.testing.assert_allclose(mean_grad, grad / 4, rtol=1e-15)


def test_distillation_high_temperature_is_logit_matching():
    """Hinton et al., section 2.1: for zero-mean logits and T >> |logits|, the gradient
    T (q_j - p_j) tends to (z_j - v_j) / N."""
    teacher, student = RNG.normal(size=(2, 3, 5))
    teacher -= teacher.mean(axis=-1, keepdims=True)
    student -= student.mean(axis=-1, keepdims=True)
    grad = distillation_loss.grad(teacher, student, temperature=1e4)
    np.testing.assert_allclose(grad, (student - teacher) / 5, rtol=1e-3)


def test_distillation_is_zero_and_flat_for_a_shifted_teacher():
    teacher = RNG.normal(size=(4, 5)) * 100
    shift = RNG.normal(size=(4, 1)) * 1e3
    values = distillation_loss(teacher, teacher + shift, temperature=0.7, reduction="none")
    assert np.all(values < 1e-25)
    grad = distillation_loss.grad(teacher, teacher + shift, temperature=0.7)
    assert np.all(np.abs(grad) < 1e-12)
    np.testing.assert_array_equal(distillation_loss(teacher, teacher, reduction="none"), 0.0)
    np.testing.assert_array_equal(distillation_loss.grad(teacher, teacher), 0.0)


@pytest.mark.parametrize("temperature", [0.05, 1.0, 7.0])
def test_distillation_matches_mpmath_at_other_temperatures(temperature):
    teacher = np.array([[1e3, -1e3, -1e3, 999.5], [1e3, 1e3 - 1e-10, 999.0, 998.0],
                        [0.5, 0.25, -0.25, 2.0], [3.0, 0.0, 0.0, -2.0]])
    student = np.array([[-1e3, 1e3, -999.5, 999.0], [1e3 + 1e-10, 1e3, 999.0 - 3e-10, 998.0],
                        [0.5 + 1e-9, 0.25, -0.25 - 2e-9, 2.0 + 1e-9], [0.0, 0.0, 6.0, -1.0]])
    if temperature > 2:  # keep every gradient entry 0 or within 1e90 of the loss
        teacher, student = teacher[1:], student[1:]
    assert_matches_mpmath(distillation_loss, (teacher, student), {"temperature": temperature},
                          rtol=1e-14, dps=50, step=1e-20)


def _mp_probabilities(teacher, student, temperature):
    with mp.workdps(80):
        t = [[mp.mpf(float(v)) for v in row] for row in teacher]
        s = [[mp.mpf(float(v)) for v in row] for row in student]
        temp = mp.mpf(temperature)
        p = np.array([[float(v) for v in mp_softmax(row, temp)] for row in t])
        q = np.array([[float(v) for v in mp_softmax(row, temp)] for row in s])
        diff = np.array([[float(b - a) for a, b in zip(mp_softmax(r, temp), mp_softmax(w, temp),
                                                        strict=True)]
                         for r, w in zip(t, s, strict=True)])
    return p, q, diff


def test_distillation_gradient_relative_to_the_probabilities():
    """Where q_j ~ p_j although the rows differ (a difference of two probabilities), the
    gradient is accurate relative to T (p_j + q_j); values stay relative to themselves."""
    temperature = 1.5
    teacher = np.array([[0.0, 40.0, 0.5, -3.0],  # entry 0: p_0 = q_0 exactly
                        [0.0, 200.0, 1.0, -1e3],  # the log-sum-exp route, p_0 = q_0
                        [1e3, 0.0, 999.0, 998.5],
                        [2.0, 1.0, 0.0, -1.0]])
    student = np.array([[0.0, 0.5, 40.0, -3.0],
                        [0.0, 1.0, 200.0, -1e3],
                        [999.0, 0.0, 1e3, 998.5],  # entries 1 and 3 move together
                        [2.0, 1.0 + 1e-7, 0.0, -1.0]])
    p, q, diff = _mp_probabilities(teacher, student, temperature)
    grad = distillation_loss.grad(teacher, student, temperature=temperature)
    bound = 1e-14 * temperature * (p + q) + 1e-300
    assert np.all(np.abs(grad - temperature * diff) <= bound)
    values = distillation_loss(teacher, student, temperature=temperature, reduction="none")
    with mp.workdps(50):
        expected = [float(distillation_reference([mp.mpf(float(v)) for v in t],
                                                 [mp.mpf(float(v)) for v in s],
                                                 {"temperature": temperature}))
                    for t, s in zip(teacher, student, strict=True)]
    np.testing.assert_allclose(values, expected, rtol=1e-14, atol=0)


def test_distillation_near_the_teacher_keeps_relative_accuracy():
    """A student within 1e-12 of the teacher, at logits of 1e3: KL ~ 1e-25, and
    T (q - p) ~ 1e-12, both to 1e-14 relative (a difference of log-softmaxes would give
    rounding noise of 1e-13 absolute)."""
    teacher = np.array([[1000.0, 999.0, 998.0, 990.0]])
    student = teacher + np.array([[2 ** -30, 0.0, -(2 ** -31), 2 ** -29]])
    assert_matches_mpmath(distillation_loss, (teacher, student), {"temperature": 1.0},
                          rtol=1e-14, dps=50, step=1e-20)
    assert 0 < distillation_loss(teacher, student) < 1e-17


# ------------------------------------------------------------ gaussian_kl
@pytest.mark.parametrize(("mu", "logvar"), [(0.0, 0.0), (1.3, -0.7), (-2.0, 1.5), (0.1, -4.0)])
def test_gaussian_kl_matches_quadrature(mu, logvar):
    """KL(q || p) = int q (log q - log p) for q = N(mu, e^logvar), p = N(0, 1)."""
    scale = np.exp(logvar / 2)
    q, p = stats.norm(mu, scale), stats.norm(0.0, 1.0)
    value, _ = integrate.quad(lambda x: q.pdf(x) * (q.logpdf(x) - p.logpdf(x)),
                              mu - 40 * scale, mu + 40 * scale, epsabs=1e-14, epsrel=1e-12,
                              limit=200)
    assert gaussian_kl([mu], [logvar]) == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_gaussian_kl_matches_monte_carlo():
    rng = np.random.default_rng(7)
    mu, logvar = np.array([0.8, -0.3, 1.5]), np.array([0.4, -1.2, 0.1])
    x = mu + np.exp(logvar / 2) * rng.standard_normal(size=(200_000, 3))
    log_ratio = (stats.norm(mu, np.exp(logvar / 2)).logpdf(x)
                 - stats.norm(0.0, 1.0).logpdf(x)).sum(axis=1)
    mean, stderr = lossbook.checks.monte_carlo_mean(log_ratio)
    assert abs(gaussian_kl(mu, logvar) - mean) < 4 * stderr


def test_gaussian_kl_is_a_sum_over_the_latent_axis():
    mu, logvar = RNG.normal(size=(2, 2, 3, 4))
    per_dim = np.stack([gaussian_kl(mu[..., j:j + 1], logvar[..., j:j + 1], reduction="none")
                        for j in range(4)], axis=-1)
    np.testing.assert_allclose(gaussian_kl(mu, logvar, reduction="none"), per_dim.sum(-1),
                               rtol=1e-14)
    d_mu, d_logvar = gaussian_kl.grad(mu, logvar, reduction="mean")
    np.testing.assert_allclose(d_mu, mu / 6, rtol=1e-15)
    np.testing.assert_allclose(d_logvar, np.expm1(logvar) / 12, rtol=1e-15)


def test_gaussian_kl_near_zero_and_at_700():
    logvar = np.array([[1e-8, -1e-8, 1e-12, -1e-15], [-700.0, -1e-8, 3.0, -699.0],
                       [700.0, 690.0, 699.0, 650.0]])
    mu = np.array([[0.0, 1e-9, 0.0, 0.0], [0.0, 0.5, 1.0, 0.0], [0.0, 0.0, 1e150, 0.0]])
    assert_matches_mpmath(gaussian_kl, (mu, logvar), {}, rtol=1e-14, dps=50, step=1e-20)
    # psi(1e-300) = 5e-601 underflows; the gradient expm1(logvar) / 2 does not
    tiny = np.array([[1e-300, -1e-300]])
    np.testing.assert_array_equal(gaussian_kl(np.zeros((1, 2)), tiny, reduction="none"), [0.0])
    np.testing.assert_allclose(gaussian_kl.grad(np.zeros((1, 2)), tiny)[1], tiny / 2,
                               rtol=1e-16)
    naive = -0.5 * (1 + 1e-8 - np.exp(1e-8))  # what the textbook formula gives in floats
    assert abs(naive - gaussian_kl([0.0], [1e-8])) > 0.5 * gaussian_kl([0.0], [1e-8])
    assert np.all(np.isfinite(gaussian_kl(mu, logvar, reduction="none")))
    with mp.workdps(60):
        expected = float(gaussian_kl_reference([mp.mpf(0)], [mp.mpf(700)], {}))
    assert float(gaussian_kl([0.0], [700.0])) == pytest.approx(expected, rel=1e-15)


def test_gaussian_kl_rows_of_either_route_match_mpmath_and_depend_on_themselves():
    """Rows of log-variances of order 1 (summed as expm1(x) - x: their small entries weigh
    nothing next to the rest) and rows of a posterior near the prior (where expm1(x) - x
    would lose every digit: the series), in one batch: each row matches mpmath, and is
    what it is alone. (Alone and in the batch alike for the first rows, which are summed
    entry by entry; the series of the others ends in a BLAS product, whose rounding may
    depend on an entry's position in the call.)"""
    rng = np.random.default_rng(12)
    mu = np.concatenate([rng.normal(size=(4, 8)), 1e-6 * rng.normal(size=(4, 8))])
    logvar = np.concatenate([rng.normal(size=(4, 8)), 1e-4 * rng.normal(size=(4, 8))])
    assert_matches_mpmath(gaussian_kl, (mu, logvar), {}, rtol=1e-14, dps=50, step=1e-20)
    batch = gaussian_kl(mu, logvar, reduction="none")
    alone = [gaussian_kl(mu[i:i + 1], logvar[i:i + 1], reduction="none")[0] for i in range(4)]
    np.testing.assert_array_equal(batch[:4], alone)


# --------------------------------------------------------------------- GAN
def test_minimax_discriminator_is_bce_with_labels_one_and_zero():
    real, fake = RNG.normal(size=(2, 50)) * 30
    expected = (binary_cross_entropy_with_logits(np.ones(50), real, reduction="none")
                + binary_cross_entropy_with_logits(np.zeros(50), fake, reduction="none"))
    np.testing.assert_allclose(gan_discriminator_loss(real, fake, reduction="none"), expected,
                               rtol=1e-15)
    d_real, d_fake = gan_discriminator_loss.grad(real, fake)
    np.testing.assert_allclose(d_real, binary_cross_entropy_with_logits.grad(np.ones(50), real),
                               rtol=1e-15)
    np.testing.assert_allclose(d_fake, binary_cross_entropy_with_logits.grad(np.zeros(50), fake),
                               rtol=1e-15)


def test_generator_losses_against_bce():
    fake = RNG.normal(size=40) * 30
    np.testing.assert_allclose(
        gan_generator_loss(fake, kind="non_saturating", reduction="none"),
        binary_cross_entropy_with_logits(np.ones(40), fake, reduction="none"), rtol=1e-15)
    np.testing.assert_allclose(
        gan_generator_loss(fake, kind="minimax", reduction="none"),
        -binary_cross_entropy_with_logits(np.zeros(40), fake, reduction="none"), rtol=1e-15)
    for kind in ("hinge", "wasserstein"):
        np.testing.assert_array_equal(gan_generator_loss(fake, kind=kind, reduction="none"),
                                      -fake)
        np.testing.assert_array_equal(gan_generator_loss.grad(fake, kind=kind), -1.0)


def test_minimax_generator_saturates_and_non_saturating_does_not():
    fake = np.array([-30.0, -10.0])
    assert np.all(np.abs(gan_generator_loss.grad(fake, kind="minimax")) < 1e-4)
    assert np.all(np.abs(gan_generator_loss.grad(fake, kind="non_saturating")) > 0.9999)


@pytest.mark.parametrize("kind", DISCRIMINATOR_KINDS)
def test_discriminator_every_kind_against_mpmath_and_sympy(kind):
    assert_matches_mpmath(gan_discriminator_loss, (GAN_REAL, GAN_FAKE), {"kind": kind},
                          rtol=1e-14, dps=50, step=1e-20)
    real, fake = np.array([-2.0, 0.3, 1.7, 4.0]), np.array([-3.0, -0.2, 0.4, 2.5])
    values, grads = symbolic_values_and_grads(gan_discriminator_loss, real, fake,
                                              params={"kind": kind}, options={"kind": kind})
    np.testing.assert_allclose(gan_discriminator_loss(real, fake, kind=kind, reduction="none"),
                               values, rtol=1e-13)
    for got, expected in zip(gan_discriminator_loss.grad(real, fake, kind=kind), grads,
                             strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-13)


@pytest.mark.parametrize("kind", GENERATOR_KINDS)
def test_generator_every_kind_against_mpmath_and_sympy(kind):
    assert_matches_mpmath(gan_generator_loss, (GAN_FAKE_ALONE,), {"kind": kind},
                          rtol=1e-14, dps=50, step=1e-20)
    fake = np.array([-3.0, -0.2, 0.4, 2.5])
    values, (grad,) = symbolic_values_and_grads(gan_generator_loss, fake,
                                                params={"kind": kind}, options={"kind": kind})
    np.testing.assert_allclose(gan_generator_loss(fake, kind=kind, reduction="none"), values,
                               rtol=1e-13)
    np.testing.assert_allclose(gan_generator_loss.grad(fake, kind=kind), grad, rtol=1e-13)


def test_hinge_kinks_take_derivative_zero_and_wasserstein_is_one_rounding():
    d_real, d_fake = gan_discriminator_loss.grad([1.0, 0.5], [-1.0, -0.5], kind="hinge")
    np.testing.assert_array_equal(d_real, [0.0, -1.0])
    np.testing.assert_array_equal(d_fake, [0.0, 1.0])
    # f - r is correctly rounded: exact here (Sterbenz), even where it cancels
    real, fake = np.array([1.0 + 2**-52, 1e300]), np.array([1.0, 1e300 * (1 + 2**-52)])
    np.testing.assert_array_equal(
        gan_discriminator_loss(real, fake, kind="wasserstein", reduction="none"),
        [-(2**-52), np.spacing(1e300)])


# --------------------------------------------------------------- bad input
def _each_call(loss, *arrays, **params):
    yield lambda: loss(*arrays, **params)
    yield lambda: loss.grad(*arrays, **params)


@pytest.mark.parametrize("kind", ["Minimax", "bce", None, 1, "non_saturating", ["hinge"]])
def test_discriminator_rejects_unknown_kind(kind):
    for call in _each_call(gan_discriminator_loss, [0.0], [0.0], kind=kind):
        with pytest.raises(ValueError, match=r"kind must be one of 'minimax', 'hinge'"):
            call()
    with pytest.raises(ValueError, match="kind"):
        gan_discriminator_loss.symbolic(kind=kind)


@pytest.mark.parametrize("kind", ["NON_SATURATING", "nonsaturating", None, 0, ("minimax",)])
def test_generator_rejects_unknown_kind(kind):
    for call in _each_call(gan_generator_loss, [0.0], kind=kind):
        with pytest.raises(ValueError, match=r"kind must be one of 'minimax', 'non_saturating'"):
            call()


@pytest.mark.parametrize(("temperature", "error", "message"), [
    (0.0, ValueError, r"temperature must lie in \(0"), (-1.0, ValueError, "temperature"),
    (np.nan, ValueError, "temperature must be finite"), (np.inf, ValueError, "temperature"),
    ("2", TypeError, "temperature must be a real number"), (None, TypeError, "temperature"),
])
def test_distillation_rejects_bad_temperature(temperature, error, message):
    for call in _each_call(distillation_loss, [[0.0, 1.0]], [[1.0, 0.0]],
                           temperature=temperature):
        with pytest.raises(error, match=message):
            call()


@pytest.mark.parametrize(("loss", "names"), [
    (distillation_loss, ("teacher_logits", "student_logits")),
    (gaussian_kl, ("mu", "logvar")),
    (gan_discriminator_loss, ("real_logits", "fake_logits")),
])
def test_two_input_losses_name_the_argument(loss, names):
    good = np.zeros((2, 3))
    for i, name in enumerate(names):
        arrays = [good, good]
        arrays[i] = np.zeros((2, 4))
        for call in _each_call(loss, *arrays):
            with pytest.raises(ValueError, match=rf"{names[0]} and {names[1]} must have the same"):
                call()
        for bad in (np.nan, np.inf):
            broken = [good, good]
            broken[i] = good.copy()
            broken[i][0, 0] = bad
            for call in _each_call(loss, *broken):
                with pytest.raises(ValueError, match=rf"{name} must contain only finite"):
                    call()
        broken = [good, good]
        broken[i] = [["a", "b", "c"]] * 2
        with pytest.raises(TypeError, match=rf"{name} must be an array-like of real numbers"):
            loss(*broken)
    # the teacher is validated too, though never differentiated
    with pytest.raises(ValueError, match=rf"{names[0]} must not be empty"):
        loss(np.zeros((0, 3)), np.zeros((0, 3)))


@pytest.mark.parametrize(("loss", "first"), [(distillation_loss, "teacher_logits"),
                                             (gaussian_kl, "mu")])
def test_row_losses_need_an_axis(loss, first):
    with pytest.raises(ValueError, match=rf"{first} must be at least one-dimensional"):
        loss(0.0, 0.0)


def test_generator_rejects_non_finite_and_empty():
    for bad in (np.nan, -np.inf):
        for call in _each_call(gan_generator_loss, [0.0, bad]):
            with pytest.raises(ValueError, match="fake_logits must contain only finite"):
                call()
    with pytest.raises(ValueError, match="fake_logits must not be empty"):
        gan_generator_loss([])


def test_registered_with_the_right_family_and_chapters():
    chapters = {name: lossbook.LOSSES[name].info.chapter
                for name in ("distillation_loss", "gaussian_kl", "gan_discriminator_loss",
                             "gan_generator_loss")}
    assert chapters == {"distillation_loss": "generative/knowledge-distillation",
                        "gaussian_kl": "generative/elbo-vae",
                        "gan_discriminator_loss": "generative/gan-objectives",
                        "gan_generator_loss": "generative/gan-objectives"}
    assert {lossbook.LOSSES[n].info.family for n in chapters} == {"generative"}
    assert [a.name for a in distillation_loss.info.differentiable] == ["student_logits"]
    assert [a.name for a in gaussian_kl.info.differentiable] == ["mu", "logvar"]


def test_distillation_shifted_student_and_one_hot_teacher():
    """A student = teacher + a large shift + a small change (the shift must not cost digits:
    z - v is formed exactly), and a nearly one-hot teacher whose KL (~1e-18) sits far below
    the rounding of E_p[d] (B must be centred to rounding level)."""
    teacher = np.array([[1.7123428522127675, 1.3321268752610425, 0.5],
                        [0.0, -40.0, -41.0]])
    student = np.array([[-15.800741243246192, -16.170078302582624, -17.0],
                        [65.25, 25.5, 24.0]])
    assert_matches_mpmath(distillation_loss, (teacher, student),
                          {"temperature": 0.35791706717199817}, rtol=1e-14, dps=50, step=1e-20)
    assert_matches_mpmath(distillation_loss, (teacher, student), {"temperature": 1.0},
                          rtol=1e-14, dps=50, step=1e-20)


def test_distillation_tail_dominated_rows_at_logits_of_a_thousand():
    """Student and teacher agree except on one class with probability ~e^-586: the whole
    divergence sits in the tail, and must still be accurate to 1e-14."""
    teacher = np.array([[-389.9609511810548, -976.3387545002113, -390.9769242211639],
                        [912.3456789012345, 316.0987654321987, 911.5]])
    student = np.array([[-389.9609511810548, -977.2625065921573, -390.9769242211639],
                        [912.3456789012345, 316.5308654321987, 911.5]])
    values = distillation_loss(teacher, student, reduction="none")
    grads = distillation_loss.grad(teacher, student)
    with mp.workdps(800):  # log(p_0 / q_0) = O(e^-586) needs some 260 digits
        for row, (t, s) in enumerate(zip(teacher, student, strict=True)):
            p = mp_softmax([mp.mpf(float(v)) for v in t], mp.mpf(1))
            q = mp_softmax([mp.mpf(float(v)) for v in s], mp.mpf(1))
            kl = mp.fsum(pj * mp.log(pj / qj) for pj, qj in zip(p, q, strict=True))
            assert abs(values[row] - float(kl)) <= 1e-14 * float(kl), (row, values[row], kl)
            for j in range(3):
                bound = 1e-14 * float(p[j] + q[j]) + 1e-300
                assert abs(grads[row, j] - float(q[j] - p[j])) <= bound, (row, j)
