"""One test case per registered loss, gathered from the per-family modules.

``tests/test_contract.py`` runs the same battery over every entry of
``lossbook.LOSSES`` and fails if a loss has no case. Each family module
defines ``CASES = {name: LossCase(...)}``; the mpmath references there are
written from the textbook formula, independently of ``lossbook``'s numpy code.
"""

import importlib
import pkgutil

from ._case import LossCase, split, symbolic_values_and_grads

CASES = {}
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        _cases = importlib.import_module(f"{__name__}.{_module.name}").CASES
        _clash = CASES.keys() & _cases.keys()
        if _clash:
            raise RuntimeError(f"test cases defined twice: {sorted(_clash)}")
        CASES.update(_cases)

__all__ = ["CASES", "LossCase", "split", "symbolic_values_and_grads"]
