"""Where the tests find what `make` builds: the site and the PDF, each overridable by an
environment variable (``LOSSBOOK_HTML_DIR``, ``LOSSBOOK_PDF``). Written once for the collection
rules (``tests/conftest.py``), the browser test and the PDF test."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("LOSSBOOK_HTML_DIR", REPO_ROOT / "_build" / "html")).resolve()
# where `make pdf` writes it
PDF = Path(os.environ.get("LOSSBOOK_PDF",
                          REPO_ROOT / "_build" / "pdf" / "_build" / "latex" / "lossbook.pdf"))
