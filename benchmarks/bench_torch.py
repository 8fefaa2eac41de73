"""Ratio of lossbook's CPU time to single-threaded float64 PyTorch on 1e6 elements.

Run ``python benchmarks/bench_torch.py [--repeats N]`` in an environment with
``benchmarks/requirements.txt`` installed (PyTorch is a benchmark-only
dependency, never one of the book or its tests). Prints a Markdown table of
median CPU times (``time.process_time``) over N repeats of 10 calls each, default 5, for the
losses PyTorch also has. Both sides start from the same float64 arrays
(``torch.from_numpy`` shares their memory, outside the timed region) and use
one thread (``torch.set_num_threads(1)``; numpy runs these ufuncs on one thread).

"value" times one call of the loss with its default (mean) reduction. "grad"
times lossbook's ``.grad(..., reduction="mean")`` against PyTorch's forward
plus ``backward()`` through autograd (PyTorch has no gradient without its
forward). PyTorch's ``kl_div`` takes log-probabilities: its time includes
``q.log()``, so both sides compute D(p || q) from the same p and q, and its
gradient is taken with respect to q. Before timing, values and gradients of the
two libraries are checked to agree, so the table compares like with like.
"""

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

import lossbook

N_ELEMENTS = 1_000_000
N_CLASSES = 100
SEED = 20240501


def median_ms(func, repeats, number=10):
    """Median over ``repeats`` (after one warm-up call) of the mean CPU time of ``number``
    calls, in ms: single calls of a millisecond vary several-fold on a shared machine."""
    func()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            func()
        times.append((time.process_time() - start) / number)
    return 1e3 * statistics.median(times)


def cases(rng):
    """(name, inputs label, lossbook args, differentiated numpy array, torch loss of a leaf)."""
    y_true, y_pred = rng.normal(size=N_ELEMENTS), rng.normal(size=N_ELEMENTS)
    t_true = torch.from_numpy(y_true)
    yield ("mse", "1e6", (y_true, y_pred), y_pred, lambda x: F.mse_loss(x, t_true))
    yield ("huber", "1e6", (y_true, y_pred), y_pred,
           lambda x: F.huber_loss(x, t_true, delta=1.0))
    yield ("smooth_l1", "1e6", (y_true, y_pred), y_pred,
           lambda x: F.smooth_l1_loss(x, t_true, beta=1.0))

    labels = rng.integers(0, 2, size=N_ELEMENTS).astype(float)
    logits = rng.normal(size=N_ELEMENTS) * 3
    t_labels = torch.from_numpy(labels)
    yield ("binary_cross_entropy_with_logits", "1e6", (labels, logits), logits,
           lambda x: F.binary_cross_entropy_with_logits(x, t_labels))

    rows = N_ELEMENTS // N_CLASSES
    classes = rng.integers(0, N_CLASSES, size=rows)
    class_logits = rng.normal(size=(rows, N_CLASSES)) * 3
    t_classes = torch.from_numpy(classes).long()
    yield ("cross_entropy", "1e4 x 100", (classes, class_logits), class_logits,
           lambda x: F.cross_entropy(x, t_classes))

    p, q = rng.dirichlet(np.ones(N_CLASSES), size=(2, rows))
    t_p = torch.from_numpy(p)
    yield ("kl_divergence", "1e4 x 100", (p, q), q,
           lambda x: F.kl_div(x.log(), t_p, reduction="batchmean"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| loss | inputs | lossbook value (ms) | PyTorch value (ms) | ratio "
          "| lossbook grad (ms) | PyTorch fwd+bwd (ms) | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, shape, arrays, diff, torch_loss in cases(np.random.default_rng(SEED)):
        loss = lossbook.LOSSES[name]
        leaf = torch.from_numpy(diff.copy()).requires_grad_(True)
        fixed = torch.from_numpy(diff)

        def torch_grad(leaf=leaf, torch_loss=torch_loss):
            leaf.grad = None
            torch_loss(leaf).backward()

        # Like with like: the two libraries agree before they are timed.
        torch_grad()
        np.testing.assert_allclose(loss(*arrays), torch_loss(fixed).item(), rtol=1e-9)
        np.testing.assert_allclose(loss.grad(*arrays, reduction="mean"), leaf.grad.numpy(),
                                   rtol=1e-7, atol=1e-15)

        lb_value = median_ms(lambda: loss(*arrays), args.repeats)  # noqa: B023
        pt_value = median_ms(lambda: torch_loss(fixed), args.repeats)  # noqa: B023
        lb_grad = median_ms(lambda: loss.grad(*arrays, reduction="mean"),  # noqa: B023
                            args.repeats)
        pt_grad = median_ms(torch_grad, args.repeats)
        print(f"| {name} | {shape} | {lb_value:.1f} | {pt_value:.1f} | "
              f"{lb_value / pt_value:.2f} | {lb_grad:.1f} | {pt_grad:.1f} | "
              f"{lb_grad / pt_grad:.2f} |")


if __name__ == "__main__":
    main()
