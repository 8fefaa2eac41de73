"""Time the book's build, its strict notebook check and its PDF, in a throw-away copy.

usage: python benchmarks/bench_build.py [--repo DIR] [--workdir DIR] [--ci] [--enforce]

Measures, in a fresh copy of the repository (so a build in the checkout is never disturbed),
with this interpreter's environment (an installed ``.venv``):

1. the cold build, ``jupyter-book build --all -W -n --keep-going`` into an empty ``_build``:
   what ``make book`` does after the install (the notebooks are not executed);
2. the rebuild with nothing changed;
3. strict nbval over ``chapters/`` with 2 workers, as ``make test`` runs it, and each
   notebook's share of it (the sum of its cells' times, from a JUnit report);
4. the PDF, as ``make pdf`` builds it (needs the TeX packages: ``make require-pdf``).

With ``--ci``, also ``.ci/run`` on a fresh ``git clone`` of the repository's last commit,
which creates its own ``.venv`` (system packages already installed are not reinstalled).

Prints a Markdown table with each time against its target. Exits 1 if a step fails, and, with
``--enforce``, also if a time is over its target. The copy imports its own ``lossbook``
(``PYTHONPATH``), not the checkout's editable install.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Targets on a 2-core machine, in seconds.
TARGET_COLD, TARGET_CACHED, TARGET_NBVAL, TARGET_PDF, TARGET_CI = 30, 20, 120, 180, 480
TARGET_NOTEBOOK, TARGET_SIMULATION = 15, 60
SIMULATION_NOTEBOOKS = {"chapters/detection/box-regression-simulation.ipynb"}
# Everything a build or a test run creates, or that is not part of the book's sources.
NOT_COPIED = shutil.ignore_patterns(
    "_build", ".venv", ".git", ".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__",
    "*.egg-info", ".ipynb_checkpoints",
)


def cpu_seconds():
    """User + system CPU time of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, cwd, env):
    """Run ``command``; return (wall seconds, CPU seconds, return code, tail of its output).
    On a busy machine the wall time grows with the load; the CPU time hardly does."""
    start, cpu_start = time.perf_counter(), cpu_seconds()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
    return seconds, cpu, result.returncode, tail


def notebook_times(report):
    """Seconds of strict nbval per notebook (the sum over its cells), from a JUnit report."""
    if not report.is_file():
        return {}
    totals = defaultdict(float)
    for case in ElementTree.parse(report).iter("testcase"):
        totals[case.get("file", "")] += float(case.get("time", 0))
    return dict(totals)


def row(name, seconds, target, status, cpu=None):
    verdict = "ok" if seconds <= target else "OVER"
    cpu_cell = "" if cpu is None else f" {cpu:.1f} |"
    return f"| {name} | {seconds:.1f} |{cpu_cell} {target} | " \
        f"{verdict if status == 0 else 'FAILED'} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to copy")
    parser.add_argument("--workdir", type=Path, help="where to copy it (default: a temp dir)")
    parser.add_argument("--ci", action="store_true", help="also time .ci/run on a fresh clone")
    parser.add_argument("--enforce", action="store_true", help="fail when over a target")
    args = parser.parse_args()

    parent = Path(tempfile.mkdtemp(prefix="lossbook-bench-")) if args.workdir is None \
        else args.workdir
    copy = parent / "book"
    shutil.copytree(args.repo, copy, ignore=NOT_COPIED)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    build = [str(BIN / "jupyter-book"), "build", "--warningiserror", "--nitpick",
             "--keep-going", "."]
    report = parent / "nbval.xml"
    nbval = [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
             "--dist", "loadfile", "--nbval", "--nbval-sanitize-with",
             "tests/nbval-sanitize.cfg", f"--junitxml={report}", "-o", "junit_family=xunit1",
             "chapters"]

    steps = [
        ("cold `make book` after the install (`--all`, empty `_build`)",
         build[:2] + ["--all"] + build[2:], TARGET_COLD, copy),
        ("rebuild with nothing changed", build, TARGET_CACHED, copy),
        ("strict nbval over `chapters/` (2 workers)", nbval, TARGET_NBVAL, copy),
        ("`make pdf` (LaTeX build and XeLaTeX runs)",
         build[:2] + ["--all", "--builder", "pdflatex"] + build[2:], TARGET_PDF, copy),
    ]
    ci_env = env
    if args.ci:
        clone = parent / "clone"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(args.repo), str(clone)],
                       check=True)
        ci_env = {key: value for key, value in os.environ.items()
                  if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        steps.append(("cold `.ci/run` on a fresh clone (new `.venv`; system packages present)",
                      ["./.ci/run"], TARGET_CI, clone))
    lines = ["| step | wall s | CPU s | target (wall s) | result |", "|---|---:|---:|---:|---|"]
    failed = over = False
    for name, command, target, cwd in steps:
        seconds, cpu, status, tail = timed(command, cwd, ci_env if cwd.name == "clone" else env)
        lines.append(row(name, seconds, target, status, cpu))
        failed |= status != 0
        over |= seconds > target
        if status != 0:
            print(f"--- {name} failed (exit {status}); last lines:\n{tail}\n", file=sys.stderr)

    per_notebook = notebook_times(report)
    lines += ["", "| notebook (strict nbval, its cells' time) | seconds | target | result |",
              "|---|---:|---:|---|"]
    for notebook in sorted(path.relative_to(copy).as_posix()
                           for path in copy.glob("chapters/**/*.ipynb")):
        target = TARGET_SIMULATION if notebook in SIMULATION_NOTEBOOKS else TARGET_NOTEBOOK
        if notebook not in per_notebook:
            lines.append(f"| `{notebook}` | – | {target} | not in the nbval report |")
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
