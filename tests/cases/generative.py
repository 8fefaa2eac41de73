"""Test cases for the losses of generative models and distillation.

The mpmath references are the papers' formulas written literally, sharing
nothing with lossbook's numpy code: Hinton et al.'s softmax with temperature
``exp(v_j / T) / sum_i exp(v_i / T)`` and ``T^2 sum_j p_j log(p_j / q_j)``;
Kingma & Welling's ``-1/2 sum_j (1 + log s_j^2 - mu_j^2 - s_j^2)``; the GAN
losses as ``-log D(x) - log(1 - D(G(z)))`` with ``D = 1 / (1 + e^-z)`` and one
minus a probability by subtraction, ``max(0, 1 - z_r) + max(0, 1 + z_f)`` and
``z_f - z_r``. The working precision is raised where the formula cancels
(``1 - D`` next to 1 needs about |z| / ln 10 extra digits; ``1 + l - e^l`` at
l = 1e-8 loses 16 digits; a student within 1e-8 of its teacher, 16 more).

The contract grids keep, in each element, every gradient entry within some
1e90 of the element's loss: mpmath's ``diff`` differences values rounded to
about 113 digits (``tests/mpmath_harness.py``).
"""

import math

import mpmath as mp
import numpy as np

from ._case import LossCase


def _extra_digits(*values):
    """Digits that keep e^-|z| next to 1 for large |z|, and a tiny |z| next to 1."""
    tiny = max((-math.log10(abs(v)) for v in values if 0 < abs(v) < 1), default=0)
    return int(max(abs(v) for v in values) / math.log(10) + tiny) + 30


# ------------------------------------------------------------- distillation
def mp_softmax(logits, temperature):
    """Hinton et al.'s softmax with temperature, literally."""
    weights = [mp.exp(v / temperature) for v in logits]
    total = mp.fsum(weights)
    return [w / total for w in weights]


def distillation_reference(t, s, params):
    """T^2 KL(softmax(t / T) || softmax(s / T)), from the definition of the KL divergence."""
    temperature = mp.mpf(params.get("temperature", 1.0))
    with mp.extradps(60):
        p, q = mp_softmax(t, temperature), mp_softmax(s, temperature)
        return temperature**2 * mp.fsum(pj * mp.log(pj / qj) for pj, qj in zip(p, q, strict=True))


# Rows: logits of +-1e3 (probabilities 0, 1 and in between), a student within 1e-8 of its
# teacher (KL ~ 1e-17), large logits with a student 1e-6 off, a mix of moderate differences,
# a divergence above 30 (the log-sum-exp route), a single class.
DISTILLATION_TEACHER = [
    [1e3, -1e3, -1e3, 999.5],
    [1.0, 2.0, 3.0, -1.0],
    [1000.0, 990.0, 1005.0, 1001.0],
    [0.3, -1.2, 2.0, 0.0],
    [5.0, 0.0, 0.0, -3.0],
    [0.0, 60.0, -60.0, 20.0],
    [-2.0, -2.0, -2.0, -2.0],
]
DISTILLATION_STUDENT = [
    [-1e3, 1e3, -999.5, 999.0],
    [1.0 + 1e-8, 2.0, 3.0 - 1e-8, -1.0 + 2e-8],
    [1000.000001, 990.0, 1005.0, 1000.9999995],
    [1.5, 0.2, -0.7, 3.0],
    [0.0, 0.0, 8.0, -2.0],
    [60.0, 0.0, 20.0, -60.0],
    [-2.0, 1.0, -3.0, 0.5],
]


def _distillation_sample(rng):
    teacher = rng.normal(size=(5, 4)) * 2
    return teacher, teacher + rng.normal(size=(5, 4)), {"temperature": 2.0}


# --------------------------------------------------------------- gaussian_kl
def gaussian_kl_reference(mu, logvar, params):
    """Kingma & Welling (2014), appendix B: -1/2 sum_j (1 + log s_j^2 - mu_j^2 - s_j^2)."""
    with mp.extradps(60):
        return -mp.fsum(1 + lv - m**2 - mp.exp(lv) for m, lv in zip(mu, logvar, strict=True)) / 2


# log-variances at 1e-8, 0, +-700 and in between; means from 1e-8 to 1e152.
GAUSSIAN_KL_MU = [
    [0.0, 1e-8, 0.0, -3.0],
    [1e-8, 0.25, -0.5, 1.0],
    [1e150, 2e151, 1e152, 3e151],
    [1e-3, 2.0, 0.5, -1.0],
    [0.7, -1.3, 4.0, 1e5],
]
GAUSSIAN_KL_LOGVAR = [
    [1e-8, -1e-8, 0.0, 2.0],
    [1e-8, 3e-5, -0.3, 0.9],
    [700.0, 699.5, 650.0, 690.0],
    [-700.0, -699.0, -1e-8, -650.0],
    [1.0, -1.0, 30.0, 25.0],
]


def _gaussian_kl_sample(rng):
    return rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), {}


# ----------------------------------------------------------------------- GAN
def _mp_d(z):
    """The discriminator's probability that a sample is real."""
    return 1 / (1 + mp.exp(-z))


def gan_discriminator_reference(r, f, params):
    kind = params.get("kind", "minimax")
    if kind == "minimax":  # Goodfellow et al. (2014): -log D(x) - log(1 - D(G(z)))
        with mp.extradps(_extra_digits(r, f)):
            return -mp.log(_mp_d(r)) - mp.log(1 - _mp_d(f))
    if kind == "hinge":  # Lim & Ye (2017)
        return max(mp.mpf(0), 1 - r) + max(mp.mpf(0), 1 + f)
    return f - r  # Arjovsky et al. (2017)


def gan_generator_reference(f, params):
    kind = params.get("kind", "non_saturating")
    with mp.extradps(_extra_digits(f)):
        if kind == "minimax":
            return mp.log(1 - _mp_d(f))
        if kind == "non_saturating":
            return -mp.log(_mp_d(f))
    return -f


# Pairs (z_r, z_f) over the whole range, away from the hinge's kinks z_r = 1, z_f = -1;
# each pair keeps the smaller of its two gradients within ~1e90 of the loss.
GAN_REAL = np.array([-1e3, -745.0, -40.0, -1.5, -1e-8, 0.0, 0.5, 3.0, 40.0, 100.0, 745.0,
                     1e3, 2.0, 1e-5])
GAN_FAKE = np.array([-1e3, 745.0, 40.0, -1e-8, 2.5, 0.0, -0.5, -3.0, -40.0, -100.0, -745.0,
                     1e3, -1e-5, 0.75])
# One fake logit per element: the generator losses have no partner term.
GAN_FAKE_ALONE = np.array([-1e3, -745.0, -100.0, -40.0, -1.5, -1e-8, -1e-5, 0.0, 1e-8, 0.5,
                           3.0, 40.0, 100.0, 745.0, 1e3])


def _gan_pair_sample(kind):
    def sample(rng):
        real = rng.normal(size=(4, 3)) * 2
        fake = rng.normal(size=(4, 3)) * 2
        # keep clear of the hinge's kinks
        real = np.where(np.abs(real - 1.0) < 0.1, real + 0.3, real)
        fake = np.where(np.abs(fake + 1.0) < 0.1, fake - 0.3, fake)
        return real, fake, {"kind": kind}
    return sample


def _gan_fake_sample(kind):
    return lambda rng: (rng.normal(size=(4, 3)) * 3, {"kind": kind})


CASES = {
    "distillation_loss": LossCase(
        sample=_distillation_sample,
        stress=lambda: (np.array(DISTILLATION_TEACHER), np.array(DISTILLATION_STUDENT),
                        {"temperature": 2.5}),
        reference=distillation_reference,
    ),
    "gaussian_kl": LossCase(
        sample=_gaussian_kl_sample,
        stress=lambda: (np.array(GAUSSIAN_KL_MU), np.array(GAUSSIAN_KL_LOGVAR), {}),
        reference=gaussian_kl_reference,
    ),
    "gan_discriminator_loss": LossCase(
        sample=_gan_pair_sample("minimax"),
        stress=lambda: (GAN_REAL, GAN_FAKE, {"kind": "minimax"}),
        reference=gan_discriminator_reference,
        symbolic_options={"kind": "minimax"},
    ),
    "gan_generator_loss": LossCase(
        sample=_gan_fake_sample("non_saturating"),
        stress=lambda: (GAN_FAKE_ALONE, {"kind": "non_saturating"}),
        reference=gan_generator_reference,
        symbolic_options={"kind": "non_saturating"},
    ),
}
