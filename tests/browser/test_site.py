"""The built book as readers meet it: every page opened in a real chromium, offline.

Each page is loaded once (see ``conftest.py``); the tests below assert on that visit:
local resources all answer 200, nothing is requested from another host, the console stays
clean, images load, maths is typeset, and every internal link (with its #fragment) resolves.
Then: every toc entry has a page, the root redirect lands, the search page finds pages, and
two representative pages are saved as screenshots under ``_build/screenshots/``.
"""

import html.parser
import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from normalise_notebooks import toc_documents  # noqa: E402 (tools/ is not a package)

# The PDF's place in the site (the landing page links it).
PDF_IN_SITE = "lossbook.pdf"
# LaTeX delimiters that MathJax would have replaced: any left in the prose is raw maths.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{")


def test_every_toc_entry_is_built(html_dir):
    """Every document of the table of contents the site was built from has a page."""
    toc_file = html_dir.parents[1] / "_toc.yml"
    assert toc_file.is_file(), f"expected the book's _toc.yml at {toc_file}"
    entries = list(toc_documents(yaml.safe_load(toc_file.read_text())))
    assert entries, "the table of contents lists no documents"
    missing = [doc for doc in entries if not (html_dir / f"{doc}.html").is_file()]
    assert not missing, f"documents in the toc without a built page: {missing}"


def test_local_resources_answer_200(visitor, page_path):
    visit = visitor.visit(page_path)
    assert not visit.bad_responses, f"non-200 responses: {visit.bad_responses}"
    assert not visit.failed_requests, f"failed requests: {visit.failed_requests}"


def test_nothing_requested_from_other_hosts(visitor, page_path):
    visit = visitor.visit(page_path)
    assert not visit.external_requests, f"requests off 127.0.0.1: {visit.external_requests}"


def test_no_console_errors(visitor, page_path):
    visit = visitor.visit(page_path)
    assert not visit.console_errors, "\n".join(visit.console_errors)


def test_every_image_loads(visitor, page_path):
    visit = visitor.visit(page_path)
    assert not visit.dom["brokenImages"], f"images not loaded: {visit.dom['brokenImages']}"


def test_maths_is_typeset(visitor, page_path):
    visit = visitor.visit(page_path)
    dom = visit.dom
    raw = sorted(set(RAW_MATH.findall(dom["prose"])))
    if dom["mathElements"] == 0 and not raw:
        pytest.skip("no maths on this page")
    assert dom["hasMathJax"], "page has maths but MathJax did not load"
    assert dom["typeset"] > 0, "page has maths but MathJax typeset nothing"
    assert not raw, f"raw LaTeX delimiters left in the visible text: {raw}"
    assert not dom["mathErrors"], f"MathJax errors: {dom['mathErrors']}"


class _AnchorParser(html.parser.HTMLParser):
    """Collect the fragment targets of a page: every id, and the name of every <a>."""

    def __init__(self):
        super().__init__()
        self.anchors = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.anchors.add(attributes["id"])
        if tag == "a" and "name" in attributes:
            self.anchors.add(attributes["name"])


@cache
def anchors_of(file: Path):
    parser = _AnchorParser()
    parser.feed(file.read_text(encoding="utf-8"))
    return frozenset(parser.anchors)


def test_internal_links_resolve(visitor, page_path, html_dir):
    visit = visitor.visit(page_path)
    broken = []
    for href in visit.dom["links"]:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or not visitor.is_local(href):
            continue
        relative = unquote(parts.path).lstrip("/")
        if relative == PDF_IN_SITE:
            continue  # tests/pdf checks this link: the PDF may be built after this test runs
        target = html_dir / relative
        if relative == "" or relative.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href}: no file {target.relative_to(html_dir)}")
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in anchors_of(target):
                broken.append(f"{href}: no element with id {unquote(parts.fragment)!r}")
    assert not broken, "broken links:\n" + "\n".join(sorted(set(broken)))


def test_redirect_lands_on_a_page(visitor, redirect, html_dir):
    page_path, target = redirect
    assert (html_dir / page_path).parent.joinpath(target).is_file(), f"no page {target}"
    page = visitor.context.new_page()
    try:
        page.goto(visitor.base_url + page_path)
        page.wait_for_url(urljoin(visitor.base_url + page_path, target), timeout=10_000)
    finally:
        page.close()


@pytest.mark.parametrize("term", ["squared", "Huber"])
def test_search_finds(visitor, term):
    visit, page = visitor.open(f"search.html?q={term}")
    try:
        page.wait_for_function(
            "() => document.querySelector('#search-results h2')"
            "?.textContent.startsWith('Search Results')",
            timeout=10_000,
        )
        results = page.locator("#search-results ul.search > li").count()
    finally:
        page.close()
    assert not visit.console_errors, "\n".join(visit.console_errors)
    assert results >= 1, f"searching {term!r} found no page"


@pytest.mark.parametrize(
    "docname", ["chapters/regression/gaussian-mse", "chapters/reference/catalog"]
)
def test_screenshot(visitor, docname, screenshot_dir):
    """Save a full-page screenshot of two representative pages under _build/screenshots/."""
    visit, page = visitor.open(f"{docname}.html")
    try:
        assert not visit.bad_responses, f"non-200 responses: {visit.bad_responses}"
        assert page.locator("article h1").first.is_visible(), "no visible title"
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        png = screenshot_dir / f"{docname.rsplit('/', 1)[-1]}.png"
        page.screenshot(path=png, full_page=True)
    finally:
        page.close()
    assert png.stat().st_size > 10_000, "screenshot is implausibly small"
