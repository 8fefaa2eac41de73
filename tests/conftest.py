"""Collection rules for the whole test suite.

Three folders test the system rather than the package, and ``make test`` runs each as a
stage of its own, by path, once what it needs exists: ``tests/browser`` needs a built book,
``tests/pdf`` a built PDF, and ``tests/lab`` starts ``make lab`` (a server, and the kernel
``lossbook`` registered in ``.venv``). A plain ``pytest`` from the repository root
(``testpaths`` holds ``tests``) must not fail on what was never built, nor start servers:
unless a folder is asked for by path, the browser and PDF tests are left out when the book or
the PDF is missing, the ``make lab`` test always, and the run says so, one line per folder.
"""

import os
from pathlib import Path

from hypothesis import settings

from tests.built import HTML_DIR, PDF, REPO_ROOT

# Property tests draw the same examples on every run, so CI cannot turn red on a draw that no
# one has seen locally; a new counter-example is found by running with a fresh profile
# (HYPOTHESIS_PROFILE=explore).
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# folder -> why a plain run leaves it out (None: it runs)
SYSTEM_TESTS = {
    REPO_ROOT / "tests" / "browser": lambda: None if (HTML_DIR / "index.html").is_file()
    else f"no built book at {HTML_DIR} (`make book`, or set LOSSBOOK_HTML_DIR)",
    REPO_ROOT / "tests" / "pdf": lambda: None if PDF.is_file()
    else f"no PDF at {PDF} (`make pdf`, or set LOSSBOOK_PDF)",
    REPO_ROOT / "tests" / "lab": lambda: "it starts `make lab`; ask for it by path",
}


def _asked_for(config, folder):
    """Whether a command-line path points into (or is) ``folder``."""
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == folder or folder in path.parents:
            return True
    return False


def _left_out(config):
    """{folder: why} for the system-test folders that this run leaves out."""
    reasons = {}
    for folder, why in SYSTEM_TESTS.items():
        if not _asked_for(config, folder) and (reason := why()) is not None:
            reasons[folder] = reason
    return reasons


def pytest_ignore_collect(collection_path, config):
    if Path(collection_path).resolve() in _left_out(config):
        return True
    return None


def pytest_report_header(config):
    return [f"{folder.relative_to(REPO_ROOT).as_posix()} left out: {why}"
            for folder, why in _left_out(config).items()] or None
