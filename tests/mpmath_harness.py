"""The one mpmath harness: a loss's values and gradients against its case's reference.

The reference (``tests/cases``) is one element's loss written in mpmath from the
textbook formula; its gradient is taken here by mpmath's numerical
differentiation, at a working precision far above float64.
"""

import mpmath as mp
import numpy as np

from tests.cases import CASES
from tests.cases._case import as_tuple


def derivative(func, x, step):
    """d func / dx in mpmath with a step of ``step * |x|`` (mpmath's default at x = 0),
    so that tiny and huge x keep full accuracy."""
    if x == 0:
        return mp.diff(func, x)
    return mp.diff(func, x, h=abs(x) * step)


def close(actual, expected, rtol):
    """Elementwise |a - e| <= rtol |e|, with an absolute floor at the smallest normal double."""
    return np.abs(actual - expected) <= rtol * np.abs(expected) + 1e-300


def _to_mp(element):
    """A float64 element (0-d or with axes) as an mpf or nested lists of mpf."""
    if element.ndim == 0:
        return mp.mpf(float(element))
    return [_to_mp(sub) for sub in element]


def _replace(nested, index, value):
    """A copy of ``nested`` with the entry at ``index`` (a tuple) replaced by ``value``."""
    if not index:
        return value
    head, *rest = index
    return [_replace(sub, tuple(rest), value) if i == head else sub
            for i, sub in enumerate(nested)]


def _get(nested, index):
    for i in index:
        nested = nested[i]
    return nested


def assert_matches_mpmath(loss, arrays, params, *, rtol=1e-14, dps=50, step=None,
                          reference=None):
    """Assert every value and every gradient entry of ``loss`` at ``arrays`` is within
    ``rtol`` (relative) of the mpmath reference.

    The elements are read off the per-element values: element ``k`` of each
    argument is its slice at the ``k``-th position of the values' shape (a
    scalar, a row or a box). The derivative step is ``step * |x|``, by default
    ``10**(-dps // 4)``.
    """
    reference = reference or CASES[loss.__name__].reference
    step = mp.mpf(10) ** (-(dps // 4)) if step is None else mp.mpf(step)
    info = loss.info
    values = np.asarray(loss(*arrays, reduction="none", **params))
    n = values.size
    grads = as_tuple(loss.grad(*arrays, **params))
    lead = values.ndim
    elements = [a.reshape(n, *a.shape[lead:]) for a in arrays]
    grads = [g.reshape(n, *g.shape[lead:]) for g in grads]
    differentiable = [i for i, a in enumerate(info.arguments) if a.differentiable]
    values = values.reshape(-1)
    with mp.workdps(dps):
        for k in range(n):
            point = [_to_mp(e[k]) for e in elements]
            expected = float(reference(*point, params))
            assert close(values[k], expected, rtol), (k, point, values[k], expected)
            for grad, i in zip(grads, differentiable, strict=True):
                expected_grad = np.empty(grad.shape[1:])
                for index in np.ndindex(*grad.shape[1:]):
                    def along(v, i=i, index=index, point=point):
                        moved = list(point)
                        moved[i] = _replace(point[i], index, v)
                        return reference(*moved, params)

                    expected_grad[index] = float(derivative(along, _get(point[i], index), step))
                assert np.all(close(grad[k], expected_grad, rtol)), (
                    k, info.arguments[i].name, point, grad[k], expected_grad)
