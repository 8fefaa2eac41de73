"""The notebooks as stored: normalised (no volatile metadata), and checked for staleness.

The book renders the outputs stored in the notebooks without executing them, so two things
must hold: a committed notebook carries nothing that changes from run to run (the normaliser
in ``tools/normalise_notebooks.py`` defines what that is), and strict nbval, as ``make test``
runs it, fails when a stored output, a number or a figure, is not what the code computes
today (figures through the repository's root ``conftest.py``).
"""

import base64
import copy
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import normalise_notebooks as nn  # noqa: E402 (tools/ is not a package)

GLUE = "application/papermill.record/text/plain"
# The repository's root conftest.py, which makes strict nbval compare figures.
_spec = importlib.util.spec_from_file_location("conftest_root", ROOT / "conftest.py")
conftest_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest_root)
PNG_1X1 = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7w"
           "AAAABJRU5ErkJggg==")


def _make_flag(name):
    """A variable of the Makefile, so this test runs nbval exactly as `make test` does."""
    match = re.search(rf"^{name} := (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"no {name} in the Makefile"
    return match.group(1)


def test_the_book_build_executes_no_notebook():
    """The book renders the stored outputs (strict nbval proves them fresh): executing them
    again in the build would prove nothing and triple its time. Quoted in _config.yml, since
    a bare off is YAML's false."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["execute_notebooks"] == "off", config["execute"]
    # No notebook asks to be executed anyway (myst-nb's per-notebook execution_mode).
    for path in nn.book_notebooks():
        mode = json.loads(path.read_text(encoding="utf-8"))["metadata"].get(
            "mystnb", {}).get("execution_mode")
        assert mode in (None, "off"), f"{path.name}: execution_mode {mode!r}"


def _notebook_with_noise():
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.NotebookNode({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "venv-xyz"},
        "language_info": {"name": "python", "version": "3.11.7"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {}},
    })
    code = nbformat.v4.new_code_cell("print('a'); print('b')", execution_count=7)
    code.metadata = nbformat.NotebookNode({
        "execution": {"iopub.execute_input": "2026-11-24T03:56:08.662403Z"},
        "mystnb": {"image": {"alt": "kept"}},
    })
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    result = nbformat.v4.new_code_cell("1 + 1", execution_count=9)
    result.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"},
                                             execution_count=9)]
    markdown = nbformat.v4.new_markdown_cell("# Title")
    markdown.id = code.id  # a duplicated id
    nb.cells = [code, result, markdown]
    return nb


def test_normalise_removes_volatile_metadata():
    nb = nn.normalise(_notebook_with_noise())
    code, result, markdown = nb.cells
    assert "execution" not in code.metadata
    assert code.metadata["mystnb"] == {"image": {"alt": "kept"}}
    assert "widgets" not in nb.metadata
    assert "version" not in nb.metadata["language_info"]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert [o["text"] for o in code.outputs] == ["a\nb\n"]
    assert (code.execution_count, result.execution_count) == (1, 2)
    assert result.outputs[0]["execution_count"] == 2
    nbformat.validate(nb)


def test_normalise_keeps_ids_and_repairs_duplicates():
    noisy = _notebook_with_noise()
    original = [cell.id for cell in noisy.cells]
    nb = nn.normalise(noisy)
    ids = [cell.id for cell in nb.cells]
    assert ids[:2] == original[:2]
    assert len(set(ids)) == 3
    # The replacement id is derived from the cell, not random: normalising again keeps it.
    assert [cell.id for cell in nn.normalise(copy.deepcopy(nb)).cells] == ids
    assert nn.normalise(_notebook_with_noise()).cells[2].id == ids[2]


def test_normalise_is_idempotent(tmp_path):
    path = tmp_path / "noisy.ipynb"
    path.write_text(json.dumps(_notebook_with_noise()))
    once = nn.normalised_text(path)
    path.write_text(once)
    assert nn.normalised_text(path) == once


def test_the_book_lists_its_notebooks_in_toc_order():
    notebooks = nn.book_notebooks()
    assert notebooks, "no notebooks found"
    assert notebooks[-1].parent.name == "reference" or all(
        path.parent.name != "reference" for path in notebooks)
    assert len(set(notebooks)) == len(notebooks)


def _stale_copy_candidate():
    """A chapter with a glued value and a figure in two different code cells: (path, notebook,
    index of the glue cell, its glue output, index of the figure cell, its PNG output)."""
    for path in nn.book_notebooks():
        nb = nbformat.read(path, as_version=4)
        glued = [(index, output) for index, cell in enumerate(nb.cells)
                 for output in cell.get("outputs", []) if GLUE in output.get("data", {})]
        figures = [(index, output) for index, cell in enumerate(nb.cells)
                   for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
        for glue_index, glue_output in glued:
            for figure_index, figure_output in figures:
                if figure_index != glue_index:
                    return path, nb, glue_index, glue_output, figure_index, figure_output
    pytest.skip("no notebook has a glued value and a figure in different cells")


def _code_cell_number(nb, index):
    """nbval's number of the cell at ``index``: it counts the code cells from 0."""
    return sum(cell.cell_type == "code" for cell in nb.cells[:index])


def _png_with_a_block(encoded, size):
    """The base64 PNG ``encoded`` with a black square of ``size`` pixels drawn at its centre."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGBA")
    x, y = image.width // 2, image.height // 2
    image.paste((0, 0, 0, 255), (x, y, x + size, y + size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_stale_stored_outputs_fail_strict_nbval(tmp_path):
    """A copy of a chapter with a stale stored glue value (the number the book prints in the
    prose) and a stale stored figure fails strict nbval, run as `make test` runs it (the
    Makefile's flags and sanitiser, the repository's conftest.py, which compares figures), at
    exactly those two cells: the number is shown against the fresh one, the figure by the
    pixels that differ."""
    path, nb, glue_index, glue_output, figure_index, figure_output = _stale_copy_candidate()
    fresh = glue_output["data"][GLUE]
    stale = "12345.678"
    assert stale != fresh
    glue_output["data"][GLUE] = stale
    figure_output["data"]["image/png"] = _png_with_a_block(figure_output["data"]["image/png"], 12)
    nbformat.write(nb, tmp_path / path.name)
    sanitize = _make_flag("SANITIZE")
    shutil.copy(ROOT / sanitize, tmp_path / Path(sanitize).name)
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    flags = _make_flag("NBVAL_FLAGS").replace("$(SANITIZE)", Path(sanitize).name).split()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-q", *flags, path.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    report = run.stdout + run.stderr
    assert run.returncode == 1, report[-3000:]
    failed = sorted(int(number) for number in
                    re.findall(r"^FAILED \S+::Cell (\d+) ", report, re.MULTILINE))
    assert failed == sorted([_code_cell_number(nb, glue_index),
                             _code_cell_number(nb, figure_index)]), report[-3000:]
    assert stale in report and fresh in report, report[-3000:]
    assert "A stored figure differs from the one a fresh run draws" in report, report[-3000:]
    assert re.search(r"figure \d+: \d+ pixels differ", report), report[-3000:]


def test_figure_difference_tolerates_only_a_few_pixels():
    """The root conftest.py's comparison of a stored figure with a fresh one."""
    for path in nn.book_notebooks():
        pngs = [output["data"]["image/png"] for cell in nbformat.read(path, as_version=4).cells
                for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
        if pngs:
            break
    figure = pngs[0]
    assert conftest_root.figure_difference(figure, figure) is None
    assert conftest_root.figure_difference(figure, _png_with_a_block(figure, 2)) is None
    message = conftest_root.figure_difference(figure, _png_with_a_block(figure, 12))
    assert message is not None and "pixels differ" in message, message
    assert "px stored, 1x1 px now" in conftest_root.figure_difference(figure, PNG_1X1)


def _git(root, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   cwd=root, check=True, capture_output=True)


def _stored_text(path):
    cell = nbformat.read(path, as_version=4).cells[0]
    return "".join(output.get("text", "") for output in cell.outputs)


def test_make_notebooks_executes_only_what_changed(tmp_path, capsys):
    """`make notebooks` (``--execute changed``): a notebook unchanged since the last commit is
    only normalised, an edited one is re-executed once, and not again until edited again."""
    root = tmp_path.resolve()
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n"
        "  - file: chapters/a/one\n  - file: chapters/a/two\n")
    (root / "chapters" / "a").mkdir(parents=True)
    for name in ("one", "two"):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("print(1 + 1)", execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
        nb.cells = [cell]
        nbformat.write(nb, root / "chapters" / "a" / f"{name}.ipynb")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "notebooks")
    one, two = (root / "chapters" / "a" / f"{name}.ipynb" for name in ("one", "two"))

    assert nn.main(["--execute", "changed"], root=root) == 0
    assert "0 notebook(s) executed" in capsys.readouterr().out
    assert _stored_text(one) == _stored_text(two) == "stale\n"

    nb = nbformat.read(one, as_version=4)
    nb.cells[0].source = "print(2 + 2)"
    nbformat.write(nb, one)
    assert nn.main(["--execute", "changed"], root=root) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out
    assert (_stored_text(one), _stored_text(two)) == ("4\n", "stale\n")
    assert nn.normalised_text(one) == one.read_text()

    assert nn.main(["--execute", "changed"], root=root) == 0
    assert "0 notebook(s) executed" in capsys.readouterr().out


@pytest.mark.parametrize("path", nn.book_notebooks(),
                         ids=lambda path: path.relative_to(ROOT).as_posix())
def test_committed_notebook_is_normalised(path):
    """No notebook of the book carries volatile metadata (execution timestamps, a kernel spec
    other than python3, unstable ids, split streams): `make notebooks` normalises them."""
    import difflib

    text = path.read_text(encoding="utf-8")
    normalised = nn.normalised_text(path)
    diff = list(difflib.unified_diff(text.splitlines(), normalised.splitlines(),
                                     "committed", "normalised", lineterm="", n=1))
    assert not diff, "not normalised, run `make notebooks`:\n" + "\n".join(diff[:30])
