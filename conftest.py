"""pytest configuration for the whole repository: strict nbval also compares the figures.

The book renders the outputs stored in the notebooks without executing them, and strict nbval
is what proves that those outputs equal a fresh run. nbval compares text, HTML and LaTeX
outputs but skips PNG images, so a figure left over from older code would be published
unnoticed. Here each PNG a cell stores is compared with the one the fresh run draws: equal
bytes pass at once; otherwise the two are decoded and compared pixel by pixel, and the cell
fails when more than ``CHANGED_PIXELS`` pixels differ by more than ``PIXEL_LEVELS`` (of 255)
in some channel. The allowance absorbs anti-aliasing that moves with the last bit of a
coordinate; a curve, a label or a number that changed moves far more pixels than that.

This file sits at the repository root so that it applies to every ``pytest --nbval`` run
over ``chapters/`` (``make test``, ``make notebooks`` users running nbval by hand, and the
stale-output test in ``tests/test_notebooks.py``, which copies it).
"""

import base64
import io

PNG = "image/png"
PIXEL_LEVELS = 48
CHANGED_PIXELS = 8


def _pngs(outputs):
    return [output["data"][PNG] for output in outputs if PNG in output.get("data", {})]


def figure_difference(stored, fresh):
    """None if the PNG ``fresh`` (base64) shows what ``stored`` shows; else how it differs."""
    if stored == fresh:
        return None
    import numpy as np
    from PIL import Image

    def pixels(encoded):
        image = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGBA")
        return np.asarray(image, dtype=np.int16)

    old, new = pixels(stored), pixels(fresh)
    if old.shape != new.shape:
        return f"{old.shape[1]}x{old.shape[0]} px stored, {new.shape[1]}x{new.shape[0]} px now"
    changed = np.abs(old - new).max(axis=-1) > PIXEL_LEVELS
    count = int(changed.sum())
    if count <= CHANGED_PIXELS:
        return None
    rows, columns = np.nonzero(changed)
    return (f"{count} pixels differ, in x {columns.min()}-{columns.max()} and "
            f"y {rows.min()}-{rows.max()} of {old.shape[1]}x{old.shape[0]} px")


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to extend
        return
    if getattr(IPyNbCell.compare_outputs, "compares_figures", False):
        return
    compare_text = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        if not compare_text(self, test, ref, skip_compare):
            return False
        stored, fresh = _pngs(ref), _pngs(test)
        if len(stored) != len(fresh):
            problems = [f"{len(stored)} figure(s) stored, {len(fresh)} drawn now"]
        else:
            problems = [f"figure {index}: {difference}"
                        for index, (old, new) in enumerate(zip(stored, fresh, strict=True), 1)
                        if (difference := figure_difference(old, new)) is not None]
        if problems:
            self.comparison_traceback = [
                "A stored figure differs from the one a fresh run draws (re-execute the "
                "notebook: make notebooks NB=<notebook>):", *problems]
            return False
        return True

    compare_outputs.compares_figures = True
    IPyNbCell.compare_outputs = compare_outputs
