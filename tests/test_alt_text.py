"""Every figure of the book has alt text that says what it shows (issue 18).

A screen reader reads a figure's alt text instead of the picture. myst-nb writes an image
output's file name (``../../_images/<sha256>.png``) as its alt text unless the figure's cell
says otherwise, so the chapter standard asks for the alt text in the figure cell's metadata::

    {"mystnb": {"image": {"alt": "Huber loss (y axis) against the residual r (x axis) ..."}}}

This test reads the notebooks and Markdown pages in ``chapters/`` (and ``intro.md``) and fails
for any figure whose alt text is missing, is a path or a hash, or is too short to say what is
plotted against what. The browser test checks the same on the built pages
(``tests/browser/test_a11y.py``).
"""

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "chapters").glob("*/*.ipynb"))
MARKDOWN_PAGES = sorted((REPO / "chapters").glob("*/*.md")) + [REPO / "intro.md"]

MIN_WORDS = 8  # "what is plotted against what, and the point it makes" takes more than this
IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp|pdf)\b", re.IGNORECASE)
# Paths as myst-nb writes them (../../_images/<hash>.png), absolute paths and URLs; not a
# fraction such as "1/n" or "and/or" in the prose of an alt text.
PATH_LIKE = re.compile(r"(^|\s)(\.{1,2}/|/[\w.-]+/)|_images/|[a-z]+://|[A-Za-z]:\\")
# A hex digest (sha256 file names, object ids): 12+ hex characters with letters and digits.
HASH_LIKE = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}\b", re.IGNORECASE)


def alt_text_problem(alt):
    """Why ``alt`` does not do as a figure's alt text, or None if it does.

    >>> alt_text_problem("../../_images/6e8a69d4cd1d8c5b.png")
    'alt text is a file path: ../../_images/6e8a69d4cd1d8c5b.png'
    >>> alt_text_problem("Binary cross-entropy against p for y = 1: unbounded as p goes to 0.")
    """
    if alt is None or not str(alt).strip():
        return "no alt text"
    alt = " ".join(str(alt).split())
    if IMAGE_FILE.search(alt) or PATH_LIKE.search(alt):
        return f"alt text is a file path: {alt}"
    if HASH_LIKE.search(alt):
        return f"alt text is a hash: {alt}"
    words = re.findall(r"[^\W\d_]+", alt)
    if len(words) < MIN_WORDS:
        return (f"alt text of {len(words)} words is too short to say what is plotted against "
                f"what and the point the figure makes: {alt!r}")
    return None


def _cell_alt(cell):
    """The alt text a notebook cell gives its image outputs (myst-nb cell metadata)."""
    mystnb = cell.get("metadata", {}).get("mystnb") or {}
    image = mystnb.get("image") or {}
    return image.get("alt")


GLUE_FIGURE = re.compile(
    r"^(?P<fence>```+|:::+)\{glue:figure\}\s*(?P<name>\S+)\s*\n(?P<body>.*?)^(?P=fence)",
    re.MULTILINE | re.DOTALL,
)
GLUE_OTHER = re.compile(r"\{glue(?::any|:text|:md|:math)?\}`(?P<name>[^`]+)`"
                        r"|^(```+|:::+)\{glue(?::any|:md|:math)?\}\s*(?P<block>\S+)", re.MULTILINE)
MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)[^)]*\)")
IMAGE_DIRECTIVE = re.compile(
    r"^(?P<fence>```+|:::+)\{(?P<kind>image|figure)\}\s*(?P<src>\S+)\s*\n(?P<body>.*?)^(?P=fence)",
    re.MULTILINE | re.DOTALL,
)
ALT_OPTION = re.compile(r"^:alt:\s*(?P<alt>.+)$", re.MULTILINE)


def markdown_figures(text, where):
    """(where, alt) for each image of a Markdown text: ``![alt](src)``, ``{image}``,
    ``{figure}`` and ``{glue:figure}`` (whose ``:alt:`` option is the alt text)."""
    for match in MD_IMAGE.finditer(text):
        yield f"{where}: ![...]({match['src']})", match["alt"]
    for match in IMAGE_DIRECTIVE.finditer(text):
        alt = ALT_OPTION.search(match["body"])
        yield f"{where}: {{{match['kind']}}} {match['src']}", alt and alt["alt"]
    for match in GLUE_FIGURE.finditer(text):
        alt = ALT_OPTION.search(match["body"])
        yield f"{where}: {{glue:figure}} {match['name']}", alt and alt["alt"]


def notebook_figures(path):
    """(where, alt) for every figure a notebook shows: each image output of a code cell, and
    each image in its Markdown cells. A figure stored with ``glue`` (shown elsewhere) must be
    shown through ``{glue:figure}`` with an ``:alt:`` option; any other way of showing it
    (``{glue}``, ``{glue:any}``) writes the file path as alt text."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    name = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name
    glued_images = set()
    markdown = []
    for index, cell in enumerate(notebook["cells"]):
        where = f"{name} cell {cell.get('id', index)}"
        source = "".join(cell.get("source", []))
        if cell["cell_type"] == "markdown":
            markdown.append(source)
            yield from markdown_figures(source, where)
            continue
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            images = [mime for mime in output.get("data", {}) if mime.startswith("image/")]
            if not images:
                continue
            glue = output.get("metadata", {}).get("scrapbook")
            if glue:
                glued_images.add(glue.get("name"))
            else:
                yield f"{where} ({images[0]} output)", _cell_alt(cell)
    text = "\n".join(markdown)
    for match in GLUE_OTHER.finditer(text):
        glued = match["name"] or match["block"]
        if glued in glued_images:
            yield f"{name}: glued figure {glued!r} shown without {{glue:figure}} :alt:", None


def all_figures():
    for path in NOTEBOOKS:
        yield from notebook_figures(path)
    for path in MARKDOWN_PAGES:
        if path.is_file():
            where = path.relative_to(REPO).as_posix()
            yield from markdown_figures(path.read_text(encoding="utf-8"), where)


def problems_in(figures):
    return [f"{where}: {problem}" for where, alt in figures
            if (problem := alt_text_problem(alt)) is not None]


def test_the_book_has_figures():
    assert sum(1 for _ in all_figures()) >= len(NOTEBOOKS), "expected a figure per chapter"


def test_every_figure_has_meaningful_alt_text():
    problems = problems_in(all_figures())
    assert not problems, (
        f"{len(problems)} figures without alt text that says what they show; set it in the "
        'figure cell\'s metadata: {"mystnb": {"image": {"alt": "..."}}}\n' + "\n".join(problems)
    )


# --- the check itself, on small notebooks made here -------------------------------------

PNG = (  # a 1x1 white PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)
GOOD_ALT = ("Huber loss against the residual r for delta = 1: quadratic inside |r| < 1 and "
            "linear outside, so large residuals pull less than under the squared error.")


def _notebook(tmp_path, cell_metadata, markdown=""):
    cells = [{
        "cell_type": "code", "id": "fig", "execution_count": 1, "metadata": cell_metadata,
        "source": ["plt.plot(r, huber(r));"],
        "outputs": [{"output_type": "display_data", "metadata": {},
                     "data": {"image/png": PNG,
                              "text/plain": ["<Figure size 640x480 with 1 Axes>"]}}],
    }]
    if markdown:
        cells.append({"cell_type": "markdown", "id": "md", "metadata": {}, "source": [markdown]})
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


@pytest.mark.parametrize("metadata, problem", [
    ({}, "no alt text"),
    ({"mystnb": {"image": {"width": "80%"}}}, "no alt text"),
    ({"mystnb": {"image": {"alt": ""}}}, "no alt text"),
    ({"mystnb": {"image": {"alt": "../../_images/6e8a69d4cd1d8c5beffba310214e344f.png"}}},
     "file path"),
    ({"mystnb": {"image": {"alt": "6e8a69d4cd1d8c5beffba310214e344f784cf0c7"}}}, "hash"),
    ({"mystnb": {"image": {"alt": "figure.png"}}}, "file path"),
    ({"mystnb": {"image": {"alt": "Plot of the loss."}}}, "too short"),
])
def test_a_figure_without_meaningful_alt_text_fails(tmp_path, metadata, problem):
    problems = problems_in(notebook_figures(_notebook(tmp_path, metadata)))
    assert len(problems) == 1 and problem in problems[0], problems


def test_a_figure_with_meaningful_alt_text_passes(tmp_path):
    notebook = _notebook(tmp_path, {"mystnb": {"image": {"alt": GOOD_ALT}}})
    assert [alt for _, alt in notebook_figures(notebook)] == [GOOD_ALT]
    assert problems_in(notebook_figures(notebook)) == []


@pytest.mark.parametrize("markdown, ok", [
    ("![](../figures/loss.png)", False),
    (f"![{GOOD_ALT}](../figures/loss.png)", True),
    ("```{figure} ../figures/loss.png\nA caption is not alt text.\n```", False),
    (f"```{{image}} ../figures/loss.png\n:alt: {GOOD_ALT}\n```", True),
])
def test_markdown_images_need_alt_text(tmp_path, markdown, ok):
    notebook = _notebook(tmp_path, {"mystnb": {"image": {"alt": GOOD_ALT}}}, markdown)
    assert (problems_in(notebook_figures(notebook)) == []) == ok


def test_on_copies_of_a_chapter(tmp_path):
    """A copy of a real chapter fails without alt text and passes once each figure has it."""
    source = REPO / "chapters" / "regression" / "gaussian-mse.ipynb"
    notebook = json.loads(source.read_text(encoding="utf-8"))
    figure_cells = [
        cell for cell in notebook["cells"]
        if cell["cell_type"] == "code" and any(mime.startswith("image/")
                                               for out in cell.get("outputs", [])
                                               for mime in out.get("data", {}))
    ]
    assert figure_cells, f"{source.name} has no figure"

    for cell in figure_cells:
        cell["metadata"].pop("mystnb", None)
    without = tmp_path / "without-alt.ipynb"
    without.write_text(json.dumps(notebook), encoding="utf-8")
    assert len(problems_in(notebook_figures(without))) == len(figure_cells)

    for cell in figure_cells:
        cell["metadata"]["mystnb"] = {"image": {"alt": GOOD_ALT}}
    with_alt = tmp_path / "with-alt.ipynb"
    with_alt.write_text(json.dumps(notebook), encoding="utf-8")
    assert problems_in(notebook_figures(with_alt)) == []
