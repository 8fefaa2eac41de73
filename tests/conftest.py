"""Collection rules for the whole test suite.

The real-browser tests in ``tests/browser`` need a built book. A plain ``pytest`` from the
repository root (``testpaths`` holds ``tests``) must not fail at collection when none is
built: unless the browser tests are asked for by path, they are left out, and the run says
so in one line. ``make test`` builds the book first and then asks for them explicitly.
"""

import os
from pathlib import Path

from hypothesis import settings

# Property tests draw the same examples on every run, so CI cannot turn red on a draw that no
# one has seen locally; a new counter-example is found by running with a fresh profile
# (HYPOTHESIS_PROFILE=explore).
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = REPO_ROOT / "tests" / "browser"
HTML_DIR = Path(os.environ.get("LOSSBOOK_HTML_DIR", REPO_ROOT / "_build" / "html")).resolve()


def _asked_for(config):
    """Whether a command-line path points into (or is) tests/browser."""
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == BROWSER_TESTS or BROWSER_TESTS in path.parents:
            return True
    return False


def _left_out(config):
    return not (HTML_DIR / "index.html").is_file() and not _asked_for(config)


def pytest_ignore_collect(collection_path, config):
    if Path(collection_path).resolve() == BROWSER_TESTS and _left_out(config):
        return True
    return None


def pytest_report_header(config):
    if _left_out(config):
        return (f"tests/browser skipped: no built book at {HTML_DIR} "
                "(build it, or set LOSSBOOK_HTML_DIR)")
    return None
