"""The registry of losses: every public loss is a plain function that carries
its gradient, its sympy definition and a little metadata for the catalog."""

from dataclasses import dataclass

LOSSES = {}


@dataclass(frozen=True)
class LossInfo:
    """What the catalog and the tests need to know about a loss.

    Attributes
    ----------
    family : str
        ``"regression"``, ``"classification"``, ``"information"`` or ``"boxes"``.
    estimates : str
        What the population minimiser of the loss is (e.g. "conditional mean").
    bounded_gradient : bool
        Whether the gradient with respect to the prediction is bounded.
    chapter : str
        Document name (path under ``chapters/`` without suffix) of the chapter
        that derives the loss.
    """

    family: str
    estimates: str
    bounded_gradient: bool
    chapter: str


def register_loss(*, grad, symbolic, family, estimates, bounded_gradient, chapter):
    """Attach ``grad``, ``symbolic`` and :class:`LossInfo` to a loss; add it to ``LOSSES``.

    ``grad(y_true, y_pred, **params)`` returns the gradient of the sum-reduced
    loss with respect to ``y_pred``; ``symbolic()`` returns the sympy
    expression of one element's loss.
    """

    def decorate(func):
        func.grad = grad
        func.symbolic = symbolic
        func.info = LossInfo(family, estimates, bounded_gradient, chapter)
        if func.__name__ in LOSSES:
            raise RuntimeError(f"loss {func.__name__!r} registered twice")
        LOSSES[func.__name__] = func
        return func

    return decorate
