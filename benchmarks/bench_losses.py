"""Time every loss in ``lossbook.LOSSES``: value and gradient on about 1e6 elements.

Run ``python benchmarks/bench_losses.py [--repeats N]``; prints a Markdown
table of median wall times (``time.perf_counter``) over N repeats, default 5.

Input sizes: 1e6 predictions per loss. Elementwise losses get 1e6 scalars;
softmax cross-entropy and the KL divergence get 1e4 rows of 100 classes; the
box losses get 2.5e5 box pairs, i.e. 1e6 predicted coordinates. Inputs are
drawn once per loss from a fixed seed. A loss with no input generator here
(a new family, or a classification loss with new input conventions) stops the
benchmark with a KeyError, so that it cannot be skipped silently.
"""

import argparse
import statistics
import time

import numpy as np

import lossbook

N_ELEMENTS = 1_000_000
N_CLASSES = 100
SEED = 20240501


def _real_pairs(rng):
    return rng.normal(size=N_ELEMENTS), rng.normal(size=N_ELEMENTS)


def _binary_labels_and_logits(rng):
    return rng.integers(0, 2, size=N_ELEMENTS).astype(float), rng.normal(size=N_ELEMENTS) * 3


def _soft_labels_and_logits(rng):
    return rng.uniform(size=N_ELEMENTS), rng.normal(size=N_ELEMENTS) * 3


def _labels_and_probabilities(rng):
    labels, logits = _binary_labels_and_logits(rng)
    return labels, 1.0 / (1.0 + np.exp(-logits))


def _signed_labels_and_scores(rng):
    return rng.choice([-1.0, 1.0], size=N_ELEMENTS), rng.normal(size=N_ELEMENTS) * 2


def _class_indices_and_logits(rng):
    rows = N_ELEMENTS // N_CLASSES
    return rng.integers(0, N_CLASSES, size=rows), rng.normal(size=(rows, N_CLASSES)) * 3


def _two_distributions(rng):
    rows = N_ELEMENTS // N_CLASSES
    p, q = rng.dirichlet(np.ones(N_CLASSES), size=(2, rows))
    return p, q


def _box_pairs(rng):
    n_boxes = N_ELEMENTS // 4
    corner = rng.uniform(0, 100, size=(n_boxes, 2))
    size = rng.uniform(1, 20, size=(n_boxes, 2))
    boxes_true = np.concatenate([corner, corner + size], axis=1)
    # A mix of overlapping and disjoint predictions.
    pred_corner = corner + rng.normal(0, 8, size=(n_boxes, 2))
    pred_size = size * np.exp(rng.normal(0, 0.3, size=(n_boxes, 2)))
    return boxes_true, np.concatenate([pred_corner, pred_corner + pred_size], axis=1)


def _iou_targets_and_logits(rng):
    """Varifocal targets: IoU in (0, 1] for a tenth of the anchors, 0 (background) elsewhere."""
    positive = rng.uniform(size=N_ELEMENTS) < 0.1
    iou = np.where(positive, rng.uniform(0.05, 1.0, size=N_ELEMENTS), 0.0)
    return iou, rng.normal(size=N_ELEMENTS) * 3


def _edge_targets_and_bin_logits(rng):
    """DFL: 17 bins (GFL's reg_max = 16) per box edge, continuous targets in [0, 16]."""
    rows = N_ELEMENTS // 17
    return rng.uniform(0, 16, size=rows), rng.normal(size=(rows, 17)) * 3


def _label_sequences_and_frame_logits(rng):
    """CTC: 32 sequences of 200 frames over 30 classes (about 2e5 logits), 40 labels each."""
    n, frames, classes = 32, 200, 30
    labels = rng.integers(1, classes, size=(n, 40))
    return labels, rng.normal(size=(n, frames, classes)) * 3


# Keyed by loss name first, then by family for families with one convention.
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
}
BY_FAMILY = {"regression": _real_pairs, "boxes": _box_pairs}


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


def median_ms(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    # Look every generator up before timing anything: a missing one fails at once.
    generators = {name: input_generator(name, loss) for name, loss in lossbook.LOSSES.items()}
    print("| loss | family | inputs | value (ms) | grad (ms) |")
    print("| --- | --- | --- | ---: | ---: |")
    for name in sorted(lossbook.LOSSES):
        loss = lossbook.LOSSES[name]
        y_true, y_pred = generators[name](np.random.default_rng(SEED))
        value_ms = median_ms(lambda: loss(y_true, y_pred), args.repeats)  # noqa: B023
        grad_ms = median_ms(lambda: loss.grad(y_true, y_pred), args.repeats)  # noqa: B023
        shape = "x".join(str(n) for n in y_pred.shape)
        print(f"| {name} | {loss.info.family} | {shape} | {value_ms:.1f} | {grad_ms:.1f} |")


if __name__ == "__main__":
    main()
