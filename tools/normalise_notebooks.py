"""Normalise the book's notebooks, re-executing the ones that changed first.

usage: python tools/normalise_notebooks.py [--execute {none,changed,all}] [NOTEBOOK ...]

With no NOTEBOOK, every notebook of the book (``_toc.yml`` order, then any other
``chapters/**/*.ipynb``). ``make notebooks`` runs ``--execute changed``.

``--execute changed`` re-executes, in place and in order, the notebooks whose content, once
normalised, differs from the last commit (new ones included) and that this script has not
re-executed since (it records their hashes in ``_build/notebooks-executed.json``); outside a
git checkout, every notebook not yet recorded. ``--execute all`` re-executes every selected
notebook; ``--execute none`` (the default) only normalises.

Normalising makes a notebook depend only on its sources and on what its code prints:

* no execution timestamps or other volatile metadata (cell metadata ``execution``,
  ``ExecuteTime``, ``scrolled``, ``collapsed``; notebook metadata ``widgets``, ``papermill``,
  ``vscode`` and the like; the Python version in ``language_info``);
* the kernel spec ``python3``;
* stable cell ids: a valid, unique id is kept; a missing, invalid or duplicated one is replaced
  by an id derived from the cell's position and source;
* execution counts 1, 2, … in cell order, and consecutive stream outputs of one stream merged
  (both depend on how a notebook was run, not on what it computes).

Run it from the repository root. It lives in ``tools/`` (contributor tooling, not part of the
``lossbook`` package readers install, and not a test) so that it runs standalone:
``.venv/bin/python tools/normalise_notebooks.py``.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "_build" / "notebooks-executed.json"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "scrolled", "collapsed")
VOLATILE_NOTEBOOK_METADATA = (
    "widgets", "papermill", "vscode", "colab", "toc", "varInspector", "interpreter",
    "orig_nbformat", "celltoolbar",
)
VOLATILE_LANGUAGE_INFO = ("version",)
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TIMEOUT = 120  # seconds per cell, as the book's execution config


def toc_documents(toc):
    """The document names of a parsed _toc.yml (its ``root`` and every ``file``), in order."""
    if isinstance(toc, dict):
        for key, value in toc.items():
            if key in ("root", "file"):
                yield value
            else:
                yield from toc_documents(value)
    elif isinstance(toc, list):
        for item in toc:
            yield from toc_documents(item)


def book_notebooks(root=None):
    """Every notebook of the book: the ones in _toc.yml in their order, then the others."""
    import yaml

    root = root or ROOT
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    ordered = [root / f"{doc}.ipynb" for doc in toc_documents(toc)]
    ordered = [path for path in ordered if path.is_file()]
    others = sorted(set((root / "chapters").glob("**/*.ipynb")) - set(ordered))
    return ordered + [path for path in others if ".ipynb_checkpoints" not in path.parts]


def _new_cell_id(index, cell, taken):
    digest = hashlib.sha1(f"{index}\0{cell.get('source', '')}".encode()).hexdigest()
    for start in range(0, len(digest) - 8):
        candidate = digest[start:start + 8]
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free cell id")  # 32 candidates all taken: never in practice


def _merge_streams(outputs):
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            text = previous["text"] if isinstance(previous["text"], str) \
                else "".join(previous["text"])
            more = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
            previous["text"] = text + more
        else:
            merged.append(output)
    return merged


def normalise(nb):
    """Normalise a notebook (an ``nbformat.NotebookNode``) in place and return it."""
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)
    metadata = nb.setdefault("metadata", nbformat.NotebookNode())
    for key in VOLATILE_NOTEBOOK_METADATA:
        metadata.pop(key, None)
    metadata["kernelspec"] = nbformat.NotebookNode(KERNELSPEC)
    for key in VOLATILE_LANGUAGE_INFO:
        metadata.get("language_info", {}).pop(key, None)

    taken, count = set(), 0
    for index, cell in enumerate(nb.cells):
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in taken:
            cell["id"] = _new_cell_id(index, cell, taken)
        taken.add(cell["id"])
        if cell.cell_type != "code":
            continue
        cell.outputs = _merge_streams(cell.get("outputs", []))
        if cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = count
    return nb


def read(path, text=None):
    """A notebook read without validation: nbformat's reader would replace a duplicated cell
    id by a random one, and the ids must stay deterministic. ``text`` instead of the file's."""
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    nb = nbformat.v4.nbjson.JSONReader().to_notebook(json.loads(text))  # sources joined
    if nb.get("nbformat") != 4:
        raise ValueError(f"{path}: nbformat {nb.get('nbformat')}, expected 4")
    return nb


def normalised_text(path, text=None):
    """The text of the notebook at ``path`` (or ``text``) once normalised; no file changes."""
    nb = normalise(read(path, text))
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def write(path, nb):
    nbformat.validate(nb)
    Path(path).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def execute(path):
    """Execute the notebook at ``path`` in place (kernel ``python3``, in its own folder)."""
    from nbclient import NotebookClient

    nb = read(path)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return nb


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def git_changed(root=None):
    """Notebooks whose normalised content differs from the last commit's (new notebooks
    included), or None outside a git checkout. A notebook that only normalising changed is
    not "changed": it needs no execution."""
    root = root or ROOT
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--",
                              "*.ipynb"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    changed = set()
    for line in out.stdout.splitlines():
        path = (root / line[3:].split(" -> ")[-1].strip('"')).resolve()
        if not path.is_file():
            continue
        committed = subprocess.run(["git", "show", f"HEAD:{path.relative_to(root).as_posix()}"],
                                   cwd=root, capture_output=True, text=True)
        if committed.returncode != 0 or \
                normalised_text(path, committed.stdout) != normalised_text(path):
            changed.add(path)
    return changed


def main(argv=None, root=None):
    root = root or ROOT
    record_file = root / RECORD.relative_to(ROOT)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--execute", choices=("none", "changed", "all"), default="none")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)

    notebooks = [path.resolve() for path in args.notebooks] or book_notebooks(root)
    record = json.loads(record_file.read_text()) if record_file.is_file() else {}
    if args.execute == "changed":
        changed = git_changed(root)
        to_run = [path for path in notebooks
                  if (changed is None or path in changed)
                  and record.get(path.relative_to(root).as_posix()) != digest(path)]
    else:
        to_run = notebooks if args.execute == "all" else []

    env_path = os.environ.get("PYTHONPATH", "")
    if str(root) not in env_path.split(os.pathsep):  # kernels import this checkout's lossbook
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env_path]))
    rewritten = 0
    for path in notebooks:
        name = path.relative_to(root).as_posix()
        if path in to_run:
            start = time.perf_counter()
            print(f"executing {name} ...", end=" ", flush=True)
            try:
                nb = execute(path)
            except Exception as error:  # report which notebook, then stop: order matters
                print("FAILED")
                print(f"{name}: {type(error).__name__}: {error}"[:4000], file=sys.stderr)
                return 1
            print(f"{time.perf_counter() - start:.1f} s")
        else:
            nb = read(path)
        before = path.read_text(encoding="utf-8")
        write(path, normalise(nb))
        rewritten += path.read_text(encoding="utf-8") != before
        if path in to_run:
            record[name] = digest(path)
    if to_run:
        record_file.parent.mkdir(parents=True, exist_ok=True)
        record_file.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"{len(to_run)} notebook(s) executed, {rewritten} of {len(notebooks)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
