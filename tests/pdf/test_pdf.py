"""The PDF of the book (`make pdf`), read back with poppler (pdftotext, pdffonts, pdfinfo).

Every part and chapter of _toc.yml is in it, numbered as in the site (the landing page is
front matter, so the first chapter of the first part is chapter 1); no reference is left
unresolved; the glossary's Chinese names are text set in an embedded CJK font; the page count
is sane for the number of chapters. The site's landing page links the PDF, and the file it
links is this PDF.

``LOSSBOOK_PDF`` overrides the PDF's path (default ``_build/pdf/_build/latex/lossbook.pdf``,
where ``make pdf`` builds it); ``LOSSBOOK_HTML_DIR`` the site's (default ``_build/html``).
"""

import json
import re
import subprocess
from functools import cache
from html.parser import HTMLParser

import pytest
import yaml

from tests.built import HTML_DIR, PDF
from tests.built import REPO_ROOT as ROOT

PAGES_PER_CHAPTER = (4, 30)  # a sane range, per document of the table of contents
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def _poppler(*command):
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@cache
def pdf_text():
    if not PDF.is_file():
        raise pytest.UsageError(f"no PDF at {PDF}: run `make pdf`")
    return _poppler("pdftotext", "-enc", "UTF-8", str(PDF), "-")


def flat(text):
    """Whitespace collapsed, for matching titles that the PDF breaks across lines."""
    return re.sub(r"\s+", " ", text).strip()


def toc():
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def title_of(docname):
    """The first `# ` heading of a chapter (notebook or Markdown)."""
    notebook = ROOT / f"{docname}.ipynb"
    if notebook.is_file():
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(cell["source"]) for cell in cells
                         if cell["cell_type"] == "markdown")
    else:
        text = (ROOT / f"{docname}.md").read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.MULTILINE)
    assert match, f"{docname} has no title"
    return match.group(1).strip()


def plain_pieces(title):
    """The parts of a title that pdftotext gives back verbatim: markup dropped, maths
    (typeset in math italics) left out."""
    title = title.replace("`", "").replace("*", "")
    return [flat(piece) for piece in re.split(r"\$[^$]*\$", title) if piece.strip()]


def chapters():
    """(number, part caption, docname) of every chapter, numbered through the book."""
    out, number = [], 0
    for part in toc()["parts"]:
        for chapter in part["chapters"]:
            number += 1
            out.append((number, part["caption"], chapter["file"]))
    return out


@pytest.mark.parametrize("number, part, docname", chapters(), ids=[c[2] for c in chapters()])
def test_chapter_title_and_number(number, part, docname):
    text = flat(pdf_text())
    pieces = plain_pieces(title_of(docname))
    for piece in pieces:
        assert piece in text, f"chapter title {piece!r} not in the PDF"
    # The table of contents numbers it as the site's order does: "<n> <title>".
    assert re.search(rf"(^| ){number} {re.escape(pieces[0])}", text), \
        f"chapter {number} is not {pieces[0]!r} in the PDF's table of contents"


ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def test_parts_numbered_in_order():
    """Each caption of _toc.yml is a part, "Part I" to "Part N" in the toc's order."""
    text = flat(pdf_text())
    positions = []
    for roman, part in zip(ROMAN, toc()["parts"], strict=False):
        match = re.search(rf"\bPart {roman} {re.escape(part['caption'])}\b", text)
        assert match, f"no 'Part {roman} {part['caption']}' in the PDF"
        positions.append(match.start())
    assert positions == sorted(positions), "parts out of order"


def test_landing_page_is_front_matter():
    """The landing page's sections are not numbered chapters: chapter 1 is the first
    chapter of the first part, and the landing page's text comes before Part I."""
    text = flat(pdf_text())
    first_part = re.search(rf"\bI {re.escape(toc()['parts'][0]['caption'])}", text)
    landing = text.find("How to read it")
    assert landing != -1, "the landing page is not in the PDF"
    assert not re.search(r"(^| )1 How to read it", text), "the landing page became chapter 1"
    assert first_part and landing < text.rfind(toc()["parts"][0]["caption"])


def test_no_unresolved_references():
    lines = [line for line in pdf_text().splitlines() if "??" in line]
    assert not lines, f"unresolved references: {lines[:10]}"


def test_glossary_chinese_names_are_text_in_a_cjk_font():
    glossary = (ROOT / "chapters" / "reference" / "glossary.md").read_text(encoding="utf-8")
    names = sorted(set(CJK.findall(glossary)))
    assert names, "the glossary has no Chinese names"
    # A name may be broken across two lines of the PDF: compare without whitespace.
    text = re.sub(r"\s+", "", pdf_text())
    missing = [name for name in names if re.sub(r"\s+", "", name) not in text]
    assert not missing, f"Chinese names not in the PDF's text: {missing}"
    fonts = _poppler("pdffonts", str(PDF)).splitlines()[2:]
    cjk_fonts = [line for line in fonts if "CJK" in line]
    assert cjk_fonts, "no CJK font in the PDF"
    assert all(line.split()[-5] == "yes" for line in cjk_fonts), f"not embedded: {cjk_fonts}"


def test_page_count_is_sane():
    info = _poppler("pdfinfo", str(PDF))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    documents = len(chapters())
    low, high = (bound * documents for bound in PAGES_PER_CHAPTER)
    assert low <= pages <= high, f"{pages} pages for {documents} chapters"


def test_figures_and_theorems_are_in():
    tex = (PDF.with_suffix(".tex")).read_text(encoding="utf-8")
    figures = tex.count("\\sphinxincludegraphics") + tex.count("\\includegraphics")
    assert figures >= len(chapters()) - 4, f"only {figures} figures"  # reference pages: none
    text = flat(pdf_text())
    assert re.search(r"Theorem \d+\.\d+", text), "no numbered theorem"
    assert re.search(r"Exercise \d+\.\d+", text), "no numbered exercise"
    assert "Bibliography" in text and re.search(r"\[[A-Z][a-z]+, \d{4}", text), \
        "no author-year citations"


LABELLED_EQUATION = re.compile(r"\$\$\s*\(([\w:-]+)\)")


def test_labelled_equations_are_numbered():
    """Every `$$ ... $$ (label)` of the sources is numbered in the PDF as (chapter.n)."""
    labels = []
    for number, _part, docname in chapters():
        notebook = ROOT / f"{docname}.ipynb"
        text = notebook.read_text(encoding="utf-8") if notebook.is_file() \
            else (ROOT / f"{docname}.md").read_text(encoding="utf-8")
        text = text.replace("\\n", "\n").replace('\\"', '"')  # a notebook's JSON strings
        labels += [(number, label) for label in LABELLED_EQUATION.findall(text)]
    if not labels:
        pytest.skip("no labelled equation in the book")
    numbers = set(re.findall(r"\((\d+)\.(\d+)\)", pdf_text()))
    for chapter, label in labels:
        assert any(int(c) == chapter for c, _ in numbers), \
            f"equation {label} of chapter {chapter} has no number ({chapter}.n) in the PDF"


class _ArticleLinks(HTMLParser):
    """The href of every link inside the page's <article>."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # how many <article> elements the parser is inside
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif tag == "a" and self.depth and (href := dict(attrs).get("href")):
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1


def test_landing_page_links_this_pdf():
    """The landing page's text links lossbook.pdf, and the site's file is the PDF built here
    (the browser test, which may run before the PDF exists, leaves this link to this test)."""
    landing = HTML_DIR / "intro.html"
    if not landing.is_file():
        raise pytest.UsageError(f"no built site at {HTML_DIR}: run `make book`")
    parser = _ArticleLinks()
    parser.feed(landing.read_text(encoding="utf-8"))
    links = [href for href in parser.links if href.split("#")[0].endswith("lossbook.pdf")]
    assert links, "the landing page does not link lossbook.pdf"
    for href in links:
        target = (landing.parent / href.split("#")[0]).resolve()
        assert target.is_file(), f"the landing page links {href}, which the site lacks"
        assert target.read_bytes() == PDF.read_bytes(), f"{href} is not the PDF built here"
