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


def _counts_and_log_rates(rng):
    log_rate = rng.normal(size=N_ELEMENTS)
    return rng.poisson(np.exp(log_rate)).astype(float), log_rate


def _positive_pairs(rng):
    y = rng.gamma(2.0, 1.5, size=N_ELEMENTS)
    return y, y * np.exp(rng.normal(0, 0.5, size=N_ELEMENTS))


def _means_and_scales(rng):
    y_true, y_pred = _real_pairs(rng)
    return y_true, y_pred, rng.uniform(0.5, 2.0, size=N_ELEMENTS)


# Keyed by loss name first, then by family for families with one convention.
# A generator returns the loss's arrays in argument order.
BY_NAME = {
    "binary_cross_entropy": _labels_and_probabilities,
    "binary_cross_entropy_with_logits": _binary_labels_and_logits,
    "focal": _binary_labels_and_logits,
    "quality_focal": _soft_labels_and_logits,
    "hinge": _signed_labels_and_scores,
    "exponential": _signed_labels_and_scores,
    "cross_entropy": _class_indices_and_logits,
    "kl_divergence": _two_distributions,
    "poisson_nll_loss": _counts_and_log_rates,
    "poisson_deviance": _positive_pairs,
    "gamma_deviance": _positive_pairs,
    "tweedie_deviance": _positive_pairs,
    "gaussian_nll_loss": _means_and_scales,
    "crps_gaussian": _means_and_scales,
}
# Keyword parameters other than the defaults, where the default is a trivial case.
PARAMS = {"tweedie_deviance": {"power": 1.5}}
BY_FAMILY = {"regression": _real_pairs, "boxes": _box_pairs,
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
        params = PARAMS.get(name, {})
        value_ms = median_ms(lambda: loss(*arrays, **params), args.repeats)  # noqa: B023
        grad_ms = median_ms(lambda: loss.grad(*arrays, **params), args.repeats)  # noqa: B023
        shape = "x".join(str(n) for n in arrays[-1].shape)
        print(f"| {name} | {loss.info.family} | {shape} | {value_ms:.1f} | {grad_ms:.1f} |")


if __name__ == "__main__":
    main()
