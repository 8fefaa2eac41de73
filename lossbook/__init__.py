"""lossbook: the loss functions of the book, stable, tested and derived.

Every loss is a plain function ``f(y_true, y_pred, *, <params>, reduction="mean")``
with ``f.grad`` (gradient of the sum-reduced loss with respect to ``y_pred``),
``f.symbolic()`` (its sympy definition) and ``f.info`` (catalog metadata).
``LOSSES`` maps every loss name to its function.
"""

from . import checks, likelihood, symbols
from ._registry import LOSSES, LossInfo
from .regression import mse

__version__ = "0.1.0"

__all__ = ["LOSSES", "LossInfo", "checks", "likelihood", "symbols", "mse"]
