"""Time every loss in ``lossbook.LOSSES``: value and gradient on about 1e6 elements.

Run ``python benchmarks/bench_losses.py [--repeats N]``; prints a Markdown
table of median wall times (``time.perf_counter``) over N repeats, default 5.

Input sizes: 1e6 predictions per loss. Elementwise losses get 1e6 scalars;
softmax cross-entropy and the KL divergence get 1e4 rows of 100 classes; the
box losses get 2.5e5 box pairs, i.e. 1e6 predicted coordinates; the overlap
losses 1e4 masks of 10 x 10; the embedding losses 1e4 rows of 100 per input;
InfoNCE a batch of 1e3 queries and keys of dimension 1e3. Inputs are
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


def _masks(rng):
    """1e4 masks of 10 x 10 pixels: a thin foreground, predictions in (0, 1)."""
    rows = N_ELEMENTS // N_CLASSES
    y_true = (rng.uniform(size=(rows, 10, 10)) < 0.05).astype(float)
    return y_true, rng.uniform(0.01, 0.99, size=(rows, 10, 10))


def _embedding_rows(rng, count=2):
    """1e4 rows of 100-dimensional embeddings per input."""
    return tuple(rng.normal(size=(N_ELEMENTS // N_CLASSES, N_CLASSES)) for _ in range(count))


def _pair_labels_and_embeddings(rng, labels=(0.0, 1.0)):
    x1, x2 = _embedding_rows(rng)
    return rng.choice(labels, size=x1.shape[0]), x1, x2


def _queries_and_keys(rng):
    """A batch of 1e3 queries and keys of dimension 1e3 (1e6 coordinates each)."""
    q = rng.normal(size=(1000, 1000))
    return q, q + rng.normal(size=q.shape)


def _distances(rng):
    return rng.choice([-1.0, 1.0], size=N_ELEMENTS), rng.exponential(size=N_ELEMENTS)


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
    "multi_margin_loss": _class_indices_and_logits,
    "contrastive_loss": _pair_labels_and_embeddings,
    "cosine_embedding_loss": lambda rng: _pair_labels_and_embeddings(rng, (-1.0, 1.0)),
    "triplet_margin_loss": lambda rng: _embedding_rows(rng, 3),
    "info_nce": _queries_and_keys,
    "hinge_embedding_loss": _distances,
}
BY_FAMILY = {"regression": _real_pairs, "boxes": _box_pairs, "overlap": _masks,
             "penalty": lambda rng: (rng.normal(size=N_ELEMENTS),)}


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
        arrays = generators[name](np.random.default_rng(SEED))
        value_ms = median_ms(lambda: loss(*arrays), args.repeats)  # noqa: B023
        grad_ms = median_ms(lambda: loss.grad(*arrays), args.repeats)  # noqa: B023
        shape = "x".join(str(n) for n in arrays[-1].shape)
        print(f"| {name} | {loss.info.family} | {shape} | {value_ms:.1f} | {grad_ms:.1f} |")


if __name__ == "__main__":
    main()
