"""Time every loss in ``lossbook.LOSSES``: value and gradient on about 1e6 elements.

Run ``python benchmarks/bench_losses.py [--repeats N]``; prints a Markdown
table of median CPU times (``time.process_time``: numpy runs these on one
thread, and on a shared machine wall time mostly measures the other processes)
over N repeats, default 5.

Input sizes: 1e6 predictions per loss. Elementwise losses (and the penalties)
get 1e6 scalars; softmax cross-entropy, the KL divergence and the other
class-axis losses 1e4 rows of 100 classes; the box losses 2.5e5 box pairs,
i.e. 1e6 predicted coordinates; the overlap losses 1e4 masks of 10 x 10; the
embedding losses 1e4 rows of 100 per input; InfoNCE 1e3 queries and keys of
dimension 1e3; distribution focal loss about 5.9e4 edges of 17 bins; the
Gaussian KL 6.25e4 latent rows of 16; CTC 32 sequences of 200 frames over 30
classes (about 2e5 logits: its dynamic programme loops over the frames). A
second, small call of about 100 predictions (one row of 100 classes, 25 boxes,
one 10 x 10 mask, one CTC sequence of 10 frames over 10 classes) is timed per
call in microseconds, where validation and dispatch dominate. Inputs are drawn
once per loss from a fixed seed. A loss with no input generator here (a new
family, or a classification loss with new input conventions) stops the
benchmark with a KeyError, so that it cannot be skipped silently.
"""

import argparse
import os
import statistics
import time
import timeit

# BLAS on one thread, before numpy loads it: with OpenBLAS's default of one thread per core,
# its idle workers keep spinning for a while after a large matrix product, and process_time
# counted that spinning in the small calls timed next (InfoNCE's small call read 28 µs of CPU
# for 15 µs of wall time).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402

import lossbook  # noqa: E402

N_ELEMENTS = 1_000_000
N_SMALL = 100
N_CLASSES = 100
SEED = 20240501


def _real_pairs(rng, n=N_ELEMENTS):
    return rng.normal(size=n), rng.normal(size=n)


def _binary_labels_and_logits(rng, n=N_ELEMENTS):
    return rng.integers(0, 2, size=n).astype(float), rng.normal(size=n) * 3


def _soft_labels_and_logits(rng, n=N_ELEMENTS):
    return rng.uniform(size=n), rng.normal(size=n) * 3


def _labels_and_probabilities(rng, n=N_ELEMENTS):
    labels, logits = _binary_labels_and_logits(rng, n)
    return labels, 1.0 / (1.0 + np.exp(-logits))


def _signed_labels_and_scores(rng, n=N_ELEMENTS):
    return rng.choice([-1.0, 1.0], size=n), rng.normal(size=n) * 2


def _class_indices_and_logits(rng, n=N_ELEMENTS):
    rows = max(n // N_CLASSES, 1)
    return rng.integers(0, N_CLASSES, size=rows), rng.normal(size=(rows, N_CLASSES)) * 3


def _two_distributions(rng, n=N_ELEMENTS):
    rows = max(n // N_CLASSES, 1)
    p, q = rng.dirichlet(np.ones(N_CLASSES), size=(2, rows))
    return p, q


def _box_pairs(rng, n=N_ELEMENTS):
    n_boxes = n // 4
    corner = rng.uniform(0, 100, size=(n_boxes, 2))
    size = rng.uniform(1, 20, size=(n_boxes, 2))
    boxes_true = np.concatenate([corner, corner + size], axis=1)
    # A mix of overlapping and disjoint predictions.
    pred_corner = corner + rng.normal(0, 8, size=(n_boxes, 2))
    pred_size = size * np.exp(rng.normal(0, 0.3, size=(n_boxes, 2)))
    return boxes_true, np.concatenate([pred_corner, pred_corner + pred_size], axis=1)


def _teacher_and_student(rng, n=N_ELEMENTS):
    rows = max(n // N_CLASSES, 1)
    teacher = rng.normal(size=(rows, N_CLASSES)) * 3
    return teacher, teacher + rng.normal(size=(rows, N_CLASSES))


def _latent_rows(rng, n=N_ELEMENTS):
    rows = max(n // 16, 1)
    return rng.normal(size=(rows, 16)), rng.normal(size=(rows, 16))


def _fake_logits(rng, n=N_ELEMENTS):
    return (rng.normal(size=n) * 3,)


def _weights(rng, n=N_ELEMENTS):
    return (rng.normal(size=n),)


def _iou_targets_and_logits(rng, n=N_ELEMENTS):
    """Varifocal targets: IoU in (0, 1] for a tenth of the anchors, 0 (background) elsewhere."""
    positive = rng.uniform(size=n) < 0.1
    iou = np.where(positive, rng.uniform(0.05, 1.0, size=n), 0.0)
    return iou, rng.normal(size=n) * 3


def _edge_targets_and_bin_logits(rng, n=N_ELEMENTS):
    """DFL: 17 bins (GFL's reg_max = 16) per box edge, continuous targets in [0, 16]."""
    rows = max(n // 17, 1)
    return rng.uniform(0, 16, size=rows), rng.normal(size=(rows, 17)) * 3


def _label_sequences_and_frame_logits(rng, n=N_ELEMENTS):
    """CTC: 1e6 logits are 32 sequences of 200 frames over 30 classes (about 2e5 logits, the
    dynamic programme loops over frames) with 40 labels each; 100 are one sequence of 10 frames
    over 10 classes with 3 labels."""
    if n >= 32 * 200 * 30:
        count, frames, classes, length = 32, 200, 30, 40
    else:
        count, frames, classes, length = 1, 10, 10, 3
    labels = rng.integers(1, classes, size=(count, length))
    return labels, rng.normal(size=(count, frames, classes)) * 3


def _counts_and_log_rates(rng, n=N_ELEMENTS):
    log_rate = rng.normal(size=n)
    return rng.poisson(np.exp(log_rate)).astype(float), log_rate


def _positive_pairs(rng, n=N_ELEMENTS):
    y = rng.gamma(2.0, 1.5, size=n)
    return y, y * np.exp(rng.normal(0, 0.5, size=n))


def _means_and_scales(rng, n=N_ELEMENTS):
    y_true, y_pred = _real_pairs(rng, n)
    return y_true, y_pred, rng.uniform(0.5, 2.0, size=n)


def _masks(rng, n=N_ELEMENTS):
    """n / 100 masks of 10 x 10 pixels: a thin foreground, predictions in (0, 1)."""
    rows = max(n // 100, 1)
    y_true = (rng.uniform(size=(rows, 10, 10)) < 0.05).astype(float)
    return y_true, rng.uniform(0.01, 0.99, size=(rows, 10, 10))


def _embedding_rows(rng, n=N_ELEMENTS, count=2):
    """n / 100 rows of 100-dimensional embeddings per input."""
    rows = max(n // N_CLASSES, 1)
    return tuple(rng.normal(size=(rows, N_CLASSES)) for _ in range(count))


def _pair_labels_and_embeddings(rng, n=N_ELEMENTS, labels=(0.0, 1.0)):
    x1, x2 = _embedding_rows(rng, n)
    return rng.choice(labels, size=x1.shape[0]), x1, x2


def _signed_pairs_and_embeddings(rng, n=N_ELEMENTS):
    return _pair_labels_and_embeddings(rng, n, (-1.0, 1.0))


def _embedding_triplets(rng, n=N_ELEMENTS):
    return _embedding_rows(rng, n, 3)


def _queries_and_keys(rng, n=N_ELEMENTS):
    """A batch of sqrt(n) queries and keys of dimension sqrt(n) (n coordinates each)."""
    side = max(int(round(n ** 0.5)), 1)
    q = rng.normal(size=(side, side))
    return q, q + rng.normal(size=q.shape)


def _distances(rng, n=N_ELEMENTS):
    return rng.choice([-1.0, 1.0], size=n), rng.exponential(size=n)


# Keyed by loss name first, then by family for families with one convention. A generator
# ``gen(rng, n=N_ELEMENTS)`` returns the loss's arrays, in argument order, with about n
# predictions.
BY_NAME = {
    "binary_cross_entropy": _labels_and_probabilities,
    "binary_cross_entropy_with_logits": _binary_labels_and_logits,
    "focal": _binary_labels_and_logits,
    "quality_focal": _soft_labels_and_logits,
    "hinge": _signed_labels_and_scores,
    "exponential": _signed_labels_and_scores,
    "cross_entropy": _class_indices_and_logits,
    "kl_divergence": _two_distributions,
    "tukey_biweight": _real_pairs,
    "general_robust_loss": _real_pairs,
    "generalized_cross_entropy": _class_indices_and_logits,
    "varifocal_loss": _iou_targets_and_logits,
    "distribution_focal_loss": _edge_targets_and_bin_logits,
    "ctc_loss": _label_sequences_and_frame_logits,
    "poisson_nll_loss": _counts_and_log_rates,
    "poisson_deviance": _positive_pairs,
    "gamma_deviance": _positive_pairs,
    "tweedie_deviance": _positive_pairs,
    "gaussian_nll_loss": _means_and_scales,
    "crps_gaussian": _means_and_scales,
    "multi_margin_loss": _class_indices_and_logits,
    "contrastive_loss": _pair_labels_and_embeddings,
    "cosine_embedding_loss": _signed_pairs_and_embeddings,
    "triplet_margin_loss": _embedding_triplets,
    "info_nce": _queries_and_keys,
    "hinge_embedding_loss": _distances,
    "distillation_loss": _teacher_and_student,
    "gaussian_kl": _latent_rows,
    "gan_discriminator_loss": _real_pairs,
    "gan_generator_loss": _fake_logits,
}
# Keyword parameters other than the defaults, where the default is a trivial case.
PARAMS = {"tweedie_deviance": {"power": 1.5}}
BY_FAMILY = {"regression": _real_pairs, "boxes": _box_pairs, "penalty": _weights,
             "overlap": _masks}


def input_generator(name, loss):
    """The generator of valid inputs for ``loss``; KeyError if there is none."""
    if name in BY_NAME:
        return BY_NAME[name]
    if loss.info.family in BY_FAMILY:
        return BY_FAMILY[loss.info.family]
    raise KeyError(
        f"no benchmark input generator for loss {name!r} (family {loss.info.family!r}); "
        "add one to benchmarks/bench_losses.py"
    )


def per_call_us(func, calls=2000, repeats=5):
    """Median over ``repeats`` of the mean CPU time of one call, in microseconds (CPU time:
    on a shared machine wall time mostly measures the other processes)."""
    times = timeit.repeat(func, number=calls, repeat=repeats, timer=time.process_time)
    return 1e6 * statistics.median(times) / calls


def median_ms(func, repeats):
    """Median CPU time of one call over ``repeats`` calls, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return 1e3 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    # Look every generator up before timing anything: a missing one fails at once.
    generators = {name: input_generator(name, loss) for name, loss in lossbook.LOSSES.items()}
    print("| loss | family | inputs | value (ms) | grad (ms) | inputs | value (µs) | grad (µs) |")
    print("| --- | --- | --- | ---: | ---: | --- | ---: | ---: |")
    for name in sorted(lossbook.LOSSES):
        loss = lossbook.LOSSES[name]
        arrays = generators[name](np.random.default_rng(SEED), N_ELEMENTS)
        params = PARAMS.get(name, {})
        value_ms = median_ms(lambda: loss(*arrays, **params), args.repeats)  # noqa: B023
        grad_ms = median_ms(lambda: loss.grad(*arrays, **params), args.repeats)  # noqa: B023
        shape = "x".join(str(n) for n in arrays[-1].shape)
        small = generators[name](np.random.default_rng(SEED), N_SMALL)
        value_us = per_call_us(lambda: loss(*small, **params), repeats=args.repeats)  # noqa: B023
        grad_us = per_call_us(lambda: loss.grad(*small, **params), repeats=args.repeats)  # noqa: B023
        small_shape = "x".join(str(n) for n in small[-1].shape)
        print(f"| {name} | {loss.info.family} | {shape} | {value_ms:.1f} | {grad_ms:.1f} "
              f"| {small_shape} | {value_us:.1f} | {grad_us:.1f} |")


if __name__ == "__main__":
    main()
