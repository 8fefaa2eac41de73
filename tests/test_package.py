"""The shape of the package (issue 12): small modules, one-directional imports, every public
name re-exported, old import paths kept."""

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest

import lossbook

PACKAGE = Path(lossbook.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
# The ground every family stands on: the private modules (_validation, _registry, shared
# numerics such as _box_geometry) and the public ones below; ground imports only ground.
GROUND = {name for name in MODULES if name.startswith("_")} | {"symbols", "logits"}
# Modules that use the losses (may import families); nothing imports them but __init__.
CONSUMERS = {"likelihood", "checks"}
FAMILIES = sorted(set(MODULES) - GROUND - CONSUMERS)
MAX_LINES = 600


def _imported_modules(name):
    """The lossbook modules that module ``name`` imports (relative or absolute)."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("lossbook."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("lossbook."))
    return found


@pytest.mark.parametrize("name", MODULES)
def test_no_module_over_600_lines(name):
    lines = len((PACKAGE / f"{name}.py").read_text().splitlines())
    assert lines <= MAX_LINES, f"lossbook/{name}.py has {lines} lines; split it by chapter"


@pytest.mark.parametrize("name", MODULES)
def test_import_graph_has_no_upward_or_sideways_arrow(name):
    imported = _imported_modules(name)
    if name in GROUND:
        assert imported <= GROUND, f"ground module {name} imports {imported - GROUND}"
    elif name in CONSUMERS:
        assert not imported & CONSUMERS, f"{name} imports {imported & CONSUMERS}"
    else:
        assert imported <= GROUND, f"family module {name} imports {imported - GROUND}"


def test_every_public_name_is_re_exported():
    for name in FAMILIES:
        module = importlib.import_module(f"lossbook.{name}")
        for public in module.__all__:
            assert getattr(lossbook, public) is getattr(module, public), (name, public)
    for loss in lossbook.LOSSES.values():
        assert getattr(lossbook, loss.__name__) is loss


@pytest.mark.parametrize("path", [
    # Paths the chapters import (grep chapters/ for "lossbook."): they must keep working.
    "lossbook.classification.sigmoid", "lossbook.classification.log_sigmoid",
    "lossbook.classification.softmax", "lossbook.classification.log_softmax",
    "lossbook.classification.class_symbols", "lossbook.classification.epsilon",
    "lossbook.classification.w_pos", "lossbook.information.distribution_symbols",
    "lossbook.boxes.BOX_TRUE_SYMBOLS", "lossbook.boxes.CIOU_ALPHA",
    "lossbook.regularisation.soft_threshold", "lossbook.regularisation.elastic_net_prox",
    "lossbook.checks.gradient_descent", "lossbook.checks.proximal_gradient",
    "lossbook.checks.fit_linear", "lossbook.checks.minimise_on_grid",
    "lossbook.sigmoid", "lossbook.softmax", "lossbook.focal", "lossbook.quality_focal",
])
def test_old_import_paths_still_work(path):
    module, _, attribute = path.rpartition(".")
    assert getattr(importlib.import_module(module), attribute) is not None


def test_finiteness_check_is_not_fooled_by_an_overflowing_sum():
    """The validator's fast path sums the entries; huge finite entries overflow that sum."""
    huge = [1.7e308, 1.7e308, -1.0]
    assert lossbook.mae(huge, huge) == 0.0
    with pytest.raises(ValueError, match="finite"):
        lossbook.mae([1.0, 2.0], [np.inf, -np.inf])
    with pytest.raises(ValueError, match="finite"):
        lossbook.mae([1.0, 2.0], [np.nan, 0.0])
