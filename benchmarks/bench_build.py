"""Time the book's build and its strict notebook check, in a throw-away copy of the repository.

usage: python benchmarks/bench_build.py [--repo DIR] [--workdir DIR] [--enforce]

Measures, in a fresh copy (so a build in progress in the checkout is never disturbed):

1. the cold build: ``jupyter-book build --all -W -n --keep-going`` with no execution cache,
   so every notebook is executed;
2. the cached rebuild: the same build again with nothing changed;
3. strict nbval over ``chapters/`` (``pytest -n 2 --dist loadfile --nbval``), as ``make test``;
4. each notebook's execution time during the cold build (from the jupyter-cache records).

Prints a Markdown table with each time against its target. Exits 1 if a step fails, and, with
``--enforce``, also if a time is over its target. The copy imports its own ``lossbook``
(``PYTHONPATH``), not the checkout's editable install.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Targets on a 2-core machine, in seconds.
TARGET_COLD, TARGET_CACHED, TARGET_NBVAL = 120, 20, 120
TARGET_NOTEBOOK, TARGET_SIMULATION = 15, 60
SIMULATION_NOTEBOOKS = {"chapters/detection/box-regression-simulation.ipynb"}
# Everything a build or a test run creates, or that is not part of the book's sources.
NOT_COPIED = shutil.ignore_patterns(
    "_build", ".venv", ".git", ".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__",
    "*.egg-info", ".ipynb_checkpoints",
)


def timed(command, cwd, env):
    """Run ``command``; return (seconds, return code, the tail of its output)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
    return seconds, result.returncode, tail


def notebook_times(copy):
    """Execution time of each notebook of the cold build, from the jupyter-cache records."""
    from jupyter_cache import get_cache

    cache_dir = copy / "_build" / ".jupyter_cache"
    if not cache_dir.is_dir():  # the build failed before executing anything
        return {}
    latest = {}
    for record in get_cache(cache_dir).list_cache_records():
        uri = Path(record.uri).resolve().relative_to(copy.resolve()).as_posix()
        if uri not in latest or record.created > latest[uri].created:
            latest[uri] = record
    return {uri: record.data["execution_seconds"] for uri, record in sorted(latest.items())}


def row(name, seconds, target, status):
    verdict = "ok" if seconds <= target else "OVER"
    return f"| {name} | {seconds:.1f} | {target} | {verdict if status == 0 else 'FAILED'} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to copy")
    parser.add_argument("--workdir", type=Path, help="where to copy it (default: a temp dir)")
    parser.add_argument("--enforce", action="store_true", help="fail when over a target")
    args = parser.parse_args()

    parent = Path(tempfile.mkdtemp(prefix="lossbook-bench-")) if args.workdir is None \
        else args.workdir
    copy = parent / "book"
    shutil.copytree(args.repo, copy, ignore=NOT_COPIED)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    build = [str(BIN / "jupyter-book"), "build", "--warningiserror", "--nitpick",
             "--keep-going", "."]
    nbval = [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
             "--dist", "loadfile", "--nbval", "--nbval-sanitize-with",
             "tests/nbval-sanitize.cfg", "chapters"]

    steps = [
        ("cold build (no cache, `--all`)", build[:2] + ["--all"] + build[2:], TARGET_COLD),
        ("cached rebuild (nothing changed)", build, TARGET_CACHED),
        ("strict nbval over chapters/ (2 workers)", nbval, TARGET_NBVAL),
    ]
    lines = ["| step | seconds | target | result |", "|---|---:|---:|---|"]
    failed = over = False
    per_notebook = {}
    for name, command, target in steps:
        seconds, status, tail = timed(command, copy, env)
        lines.append(row(name, seconds, target, status))
        failed |= status != 0
        over |= seconds > target
        if status != 0:
            print(f"--- {name} failed (exit {status}); last lines:\n{tail}\n", file=sys.stderr)
        if name.startswith("cold"):
            per_notebook = notebook_times(copy)

    lines += ["", "| notebook (cold build) | seconds | target | result |", "|---|---:|---:|---|"]
    notebooks = sorted(path.relative_to(copy).as_posix()
                       for path in copy.glob("chapters/**/*.ipynb"))
    for notebook in notebooks:
        target = TARGET_SIMULATION if notebook in SIMULATION_NOTEBOOKS else TARGET_NOTEBOOK
        if notebook not in per_notebook:  # executed with an error (or not in the toc)
            lines.append(f"| `{notebook}` | – | {target} | not cached: see _build/html/reports |")
            continue
        lines.append(row(f"`{notebook}`", per_notebook[notebook], target, 0))
        over |= per_notebook[notebook] > target

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Build benchmark of {args.repo} in {copy} ({os.cpu_count()} cores, "
          f"load average {load} at the end)\n")
    print("\n".join(lines))
    if args.workdir is None:
        shutil.rmtree(parent)
    return 1 if failed or (args.enforce and over) else 0


if __name__ == "__main__":
    sys.exit(main())
