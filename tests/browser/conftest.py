"""Fixtures for the real-browser test of the built book.

The book is served from 127.0.0.1 by a thread of this process and read by Debian's chromium
through Playwright. Every page is visited once per session (:class:`PageVisit`), and the tests
in ``test_site.py`` assert on what the visit recorded.

Environment variables:

``LOSSBOOK_HTML_DIR``
    The built site (default ``_build/html`` under the repository root).
``LOSSBOOK_CHROMIUM``
    The chromium executable (default ``/usr/bin/chromium``; never ``playwright install``).
"""

import functools
import http.server
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = Path(os.environ.get("LOSSBOOK_HTML_DIR", REPO_ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("LOSSBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES_IN_PARALLEL = 3  # pages loading at once: 33 s instead of 57 s one at a time, on 2 cores
REQUEST_TIMEOUT = 10  # seconds a request may stay unanswered after the page has loaded
# Screenshots go next to the site: _build/screenshots for the default _build/html.
SCREENSHOT_DIR = HTML_DIR.parent / "screenshots"


# The page Jupyter Book writes at the site root: a bare meta refresh to the first chapter.
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)


def html_files():
    """Every ``*.html`` of the site, except the theme's template fragments under ``_static``
    and anything in a hidden folder (a stray ``.pytest_cache``, say)."""
    if not (HTML_DIR / "index.html").is_file():
        raise pytest.UsageError(
            f"no built book at {HTML_DIR}: run `make build` or set LOSSBOOK_HTML_DIR"
        )
    return sorted(
        path.relative_to(HTML_DIR).as_posix()
        for path in HTML_DIR.rglob("*.html")
        if not any(part == "_static" or part.startswith(".")
                   for part in path.relative_to(HTML_DIR).parts)
    )


def redirect_target(page):
    match = REDIRECT.match((HTML_DIR / page).read_text(encoding="utf-8")[:300].strip())
    return match.group(1) if match else None


def site_pages():
    """Every page a reader can open, relative to the site root: the chapters and the
    generated pages (search, genindex, py-modindex, the proof index); not redirects."""
    return [page for page in html_files() if redirect_target(page) is None]


def site_redirects():
    """(page, target) for every redirect page, such as index.html."""
    return [(page, target) for page in html_files()
            if (target := redirect_target(page)) is not None]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass

    def handle(self):
        # The browser may drop a connection it no longer needs (a page closed after a
        # redirect); that is not a fault of the site.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="session")
def html_dir():
    return HTML_DIR


@pytest.fixture(scope="session")
def screenshot_dir():
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def base_url():
    """Serve the site on a free port of 127.0.0.1 for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@dataclass
class PageVisit:
    """What the browser saw while loading one page."""

    path: str
    url: str
    bad_responses: list = field(default_factory=list)  # (status, url) of local responses != 200
    failed_requests: list = field(default_factory=list)  # (error, url) of local requests
    external_requests: list = field(default_factory=list)  # every URL not on 127.0.0.1
    console_errors: list = field(default_factory=list)  # console.error and uncaught exceptions
    dom: dict = field(default_factory=dict)  # the result of COLLECT_JS


# Run in the page once it has loaded: wait for MathJax, web fonts and every image, then report.
COLLECT_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const images = Array.from(document.images);
  await Promise.all(images.map((img) => {
    img.loading = "eager";
    return img.decode().catch(() => null);
  }));
  // Visible prose of the article: code, scripts and typeset maths removed.
  const article = document.querySelector("main") || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, textarea, mjx-container, mjx-assistive-mml")
       .forEach((node) => node.remove());
  return {
    hasMathJax: Boolean(window.MathJax && MathJax.startup),
    mathElements: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    mathErrors: Array.from(document.querySelectorAll("mjx-merror"),
                           (node) => node.getAttribute("data-mjx-error") || node.textContent),
    prose: prose.textContent,
    brokenImages: images.filter((img) => !img.complete || img.naturalWidth === 0)
                        .map((img) => img.getAttribute("src")),
    links: Array.from(document.querySelectorAll("a[href]"), (a) => a.href),
  };
}
"""


class Visitor:
    """Open pages in one shared browser context, each page exactly once per session."""

    def __init__(self, context, base_url):
        self.context = context
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.external_url = re.compile(rf"^(?!{re.escape(base_url)}|data:|blob:|about:)")
        self.visits = {}

    def is_local(self, url):
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or parts.netloc == self.host

    def start(self, path):
        """Open a page at ``path`` (relative to the site root, query allowed) and start
        recording; return once navigation has begun, without waiting for the page."""
        visit = PageVisit(path=path, url=self.base_url + path)
        page = self.context.new_page()
        page.on("console", lambda msg: msg.type == "error" and visit.console_errors.append(
            f"{msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: visit.console_errors.append(f"uncaught: {exc}"))
        page.on("response", lambda resp: self.is_local(resp.url) and resp.status != 200
                and visit.bad_responses.append((resp.status, resp.url)))
        page.on("requestfailed", lambda req: self.is_local(req.url)
                and visit.failed_requests.append((req.failure, req.url)))
        in_flight = set()
        page.on("request", lambda req: in_flight.add(req))
        page.on("requestfinished", lambda req: in_flight.discard(req))
        page.on("requestfailed", lambda req: in_flight.discard(req))

        def block_external(route):
            visit.external_requests.append(route.request.url)
            route.abort()

        # A regular expression is matched inside the browser driver, so local requests never
        # wait on Python. Any route also disables the HTTP cache: every resource is fetched,
        # and checked, on every page.
        page.route(self.external_url, block_external)
        page.goto(visit.url, wait_until="commit")
        return visit, page, in_flight

    def finish(self, visit, page, in_flight):
        """Wait for the page started by :meth:`start` to load, typeset and settle; record."""
        page.wait_for_load_state("load")
        visit.dom = page.evaluate(COLLECT_JS)
        # Once MathJax, fonts and images are done, wait for the requests still in flight (so
        # that every response is checked) instead of for a fixed idle time.
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while in_flight and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        visit.failed_requests += [("no answer", req.url) for req in in_flight]
        return visit

    def open(self, path):
        """Load one page and return (visit, page); the caller closes the page."""
        visit, page, in_flight = self.start(path)
        return self.finish(visit, page, in_flight), page

    def visit(self, path):
        """The visit of a site page. The first call visits every page, a few at a time: the
        browser loads the next pages while this process waits for the current one."""
        if not self.visits:
            started = deque()
            for page_path in site_pages():
                started.append(self.start(page_path))
                if len(started) == PAGES_IN_PARALLEL:
                    self._record(*started.popleft())
            while started:
                self._record(*started.popleft())
        return self.visits[path]

    def _record(self, visit, page, in_flight):
        self.visits[visit.path] = self.finish(visit, page, in_flight)
        page.close()


@pytest.fixture(scope="session")
def browser_context():
    if not Path(CHROMIUM).is_file():
        raise pytest.UsageError(f"{CHROMIUM} not found: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Every page is read as by a first-time reader: the theme keeps its colour mode in
        # localStorage, which would otherwise hide a first-visit error on all later pages.
        context.add_init_script("localStorage.clear(); sessionStorage.clear();")
        yield context
        context.close()
        browser.close()


@pytest.fixture(scope="session")
def visitor(browser_context, base_url):
    return Visitor(browser_context, base_url)


def pytest_generate_tests(metafunc):
    if "page_path" in metafunc.fixturenames:
        metafunc.parametrize("page_path", site_pages())
    if "redirect" in metafunc.fixturenames:
        redirects = site_redirects()
        metafunc.parametrize("redirect", redirects, ids=[page for page, _ in redirects])
