"""Fixtures for the real-browser test of the built book.

The book is served from 127.0.0.1 by a thread of this process and read by Debian's chromium
through Playwright. Every page is visited once per session (:class:`PageVisit`), and the tests
in ``test_site.py`` and ``test_a11y.py`` assert on what the visit recorded: the desktop visit
also runs axe-core (vendored in ``vendor/axe-core``, no network) and records the accessibility
facts of the page; a second visit of every page at a phone's 390 px records its layout.

Environment variables:

``LOSSBOOK_HTML_DIR``
    The built site (default ``_build/html`` under the repository root).
``LOSSBOOK_CHROMIUM``
    The chromium executable (default ``/usr/bin/chromium``; never ``playwright install``).
"""

import functools
import hashlib
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

from tests.built import HTML_DIR

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
PHONE = {"width": 390, "height": 844}  # CSS pixels of a common phone held upright

# axe-core, vendored unchanged from the npm package (see vendor/axe-core/README.md); the hash
# pins it, so the accessibility check changes only with a deliberate upgrade.
AXE_FILE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
# WCAG 2.0 and 2.1, levels A and AA; plus two best-practice rules for what already works and
# must stay so: heading levels in order, and a skip link whose target exists.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "rules": {"heading-order": {"enabled": True}, "skip-link": {"enabled": True}},
    "resultTypes": ["violations"],
}


@functools.cache
def axe_source():
    source = AXE_FILE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    if digest != AXE_SHA256:
        raise pytest.UsageError(f"{AXE_FILE} has sha256 {digest}, expected {AXE_SHA256}")
    return source.decode("utf-8")


# An async function run in the page: axe's violations, each as a short object.
AXE_JS = """
async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    nodes: violation.nodes.map((node) =>
      `${node.target.join(" ")}: ${(node.failureSummary || "").replace(/\\s+/g, " ")}`),
  }));
}
"""


def inject_axe(page):
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source())


def run_axe(page):
    """Run axe-core in ``page`` now; return its violations."""
    inject_axe(page)
    return page.evaluate(AXE_JS, AXE_OPTIONS)


def format_violations(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}, "
                     f"{len(violation['nodes'])} elements")
        lines += [f"    {node[:300]}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


# The page Jupyter Book writes at the site root: a bare meta refresh to the first chapter.
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)


def html_files():
    """Every ``*.html`` of the site, except the theme's template fragments under ``_static``
    and anything in a hidden folder (a stray ``.pytest_cache``, say)."""
    if not (HTML_DIR / "index.html").is_file():
        raise pytest.UsageError(
            f"no built book at {HTML_DIR}: run `make book` or set LOSSBOOK_HTML_DIR"
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
    audit: dict = field(default_factory=dict)  # what the visitor's audit recorded


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
    """Open pages in one shared browser context, each page exactly once per session.

    ``audit``, if given (an :class:`Audit`), runs in every site page once it has loaded and
    settled; its result is kept as the visit's ``audit``."""

    def __init__(self, context, base_url, audit=None):
        self.context = context
        self.base_url = base_url
        self.audit = audit
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
        browser loads the next pages, and audits those loaded, while this process waits for
        the current one."""
        if not self.visits:
            started, audited = deque(), deque()  # pages loading; pages being audited
            for page_path in site_pages():
                while len(started) + len(audited) >= PAGES_IN_PARALLEL:
                    if started:
                        audited.append(self._begin(*started.popleft()))
                    else:
                        self._end(*audited.popleft())
                started.append(self.start(page_path))
            while started:
                audited.append(self._begin(*started.popleft()))
            while audited:
                self._end(*audited.popleft())
        return self.visits[path]

    def _begin(self, visit, page, in_flight):
        visit = self.finish(visit, page, in_flight)
        if self.audit is not None:
            self.audit.begin(page)
        return visit, page

    def _end(self, visit, page):
        if self.audit is not None:
            visit.audit = self.audit.end(page)
        self.visits[visit.path] = visit
        page.close()


class Audit:
    """An async JavaScript function run in a loaded page: :meth:`begin` starts it and returns
    at once, :meth:`end` waits for its result, so several pages are audited at a time."""

    def __init__(self, script, argument=None, setup=None):
        self.script = script
        self.argument = argument
        self.setup = setup

    def begin(self, page):
        if self.setup is not None:
            self.setup(page)
        page.evaluate(
            f"(argument) => {{ window.__lossbookAudit = ({self.script})(argument); }}",
            self.argument,
        )

    def end(self, page):
        return page.evaluate("() => window.__lossbookAudit")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        raise pytest.UsageError(f"{CHROMIUM} not found: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser, **options):
    context = browser.new_context(**options)
    # Every page is read as by a first-time reader: the theme keeps its colour mode in
    # localStorage, which would otherwise hide a first-visit error on all later pages.
    context.add_init_script("localStorage.clear(); sessionStorage.clear();")
    return context


@pytest.fixture(scope="session")
def browser_context(browser):
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="session")
def phone_context(browser):
    context = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True,
                          device_scale_factor=2)
    yield context
    context.close()


# What the desktop visit records for test_a11y.py: axe's violations and the page's facts.
A11Y_JS = """
async (axeOptions) => {
  const violations = await (AXE_JS)(axeOptions);
  const article = document.querySelector(".bd-article") || document.body;
  const spoken = (el) => {  // text of el that assistive technology reads (no aria-hidden)
    if (el.hasAttribute("aria-label")) return el.getAttribute("aria-label").trim();
    const copy = el.cloneNode(true);
    copy.querySelectorAll('[aria-hidden="true"]').forEach((node) => node.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
  };
  const shown = (el) => el.getClientRects().length > 0;
  const formulas = Array.from(document.querySelectorAll("mjx-container"));
  return {
    axe: violations,
    lang: document.documentElement.lang,
    formulas: formulas.length,
    // A formula (or its wrapper) in the Tab order; only a wrapper that scrolls may be.
    tabbableFormulas: formulas.filter((el) => el.tabIndex >= 0).length
      + Array.from(document.querySelectorAll(".math"))
        .filter((el) => el.tabIndex >= 0 && el.scrollWidth <= el.clientWidth + 1).length,
    formulasWithoutMathml: formulas.filter((el) => !el.querySelector("mjx-assistive-mml")).length,
    toggles: Array.from(document.querySelectorAll("button.toggle-button"), (el) => ({
      name: spoken(el),
      expanded: el.getAttribute("aria-expanded"),
      title: el.closest(".admonition-title")?.textContent.replace(/\\s+/g, " ").trim() ?? "",
    })),
    summaries: Array.from(document.querySelectorAll("details > summary"), spoken),
    permalinks: Array.from(document.querySelectorAll("a.headerlink"), (el) => ({
      name: spoken(el),
      // the hidden name must not show: its box is at most 1 px wide
      hiddenNameShows: Array.from(el.querySelectorAll(".visually-hidden"))
        .some((span) => span.getBoundingClientRect().width > 1),
    })),
    // figures: every image of the text but Sphinx's expand/collapse icons (py-modindex)
    images: Array.from(article.querySelectorAll("img:not(.toggler)"), (img) => ({
      src: img.getAttribute("src"),
      alt: img.getAttribute("alt"),
      decorative: img.getAttribute("role") === "presentation" || !shown(img),
    })),
  };
}
"""


DESKTOP_AUDIT = Audit(A11Y_JS.replace("AXE_JS", AXE_JS.strip()), AXE_OPTIONS, setup=inject_axe)


# What the phone visit records: is anything wider than the screen, and can every box that
# scrolls sideways be reached from the keyboard?
PHONE_JS = """
async () => {
  const width = document.documentElement.clientWidth;
  const article = document.querySelector(".bd-article") || document.body;
  const focusable = "a[href], button, input, select, textarea, summary, "
    + '[tabindex]:not([tabindex="-1"])';
  const scroller = (el) => /(auto|scroll)/.test(getComputedStyle(el).overflowX);
  const scrolls = (el) => scroller(el) && el.scrollWidth > el.clientWidth + 1;
  const describe = (el) => {
    const classes = String(el.className.baseVal ?? el.className).trim().replace(/\\s+/g, ".");
    const right = Math.round(el.getBoundingClientRect().right);
    return `${el.tagName.toLowerCase()}.${classes} "${el.textContent.trim().slice(0, 50)}"`
      + ` (right edge at ${right} px)`;
  };
  const tooWide = [];
  for (const el of article.querySelectorAll("*")) {
    if (el.closest("mjx-container") && el.tagName !== "MJX-CONTAINER") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let parent = el.parentElement;
    while (parent && parent !== article.parentElement
           && !(scroller(parent) && parent.getBoundingClientRect().right <= width + 1)) {
      parent = parent.parentElement;
    }
    if (!parent || parent === article.parentElement) tooWide.push(describe(el));
  }
  const unreachable = Array.from(article.querySelectorAll("*"))
    .filter((el) => !el.closest("mjx-container") && scrolls(el) && el.tabIndex < 0
                    && !el.querySelector(focusable))
    .map(describe);
  return {
    viewport: width,
    pageWidth: document.documentElement.scrollWidth,
    tooWide: tooWide.slice(0, 8),
    unreachableScrollers: unreachable.slice(0, 8),
  };
}
"""


PHONE_AUDIT = Audit(PHONE_JS)


@pytest.fixture(scope="session")
def visitor(browser_context, base_url):
    return Visitor(browser_context, base_url, audit=DESKTOP_AUDIT)


@pytest.fixture(scope="session")
def phone_visitor(phone_context, base_url):
    return Visitor(phone_context, base_url, audit=PHONE_AUDIT)


def pytest_generate_tests(metafunc):
    if "page_path" in metafunc.fixturenames:
        metafunc.parametrize("page_path", site_pages())
    if "redirect" in metafunc.fixturenames:
        redirects = site_redirects()
        metafunc.parametrize("redirect", redirects, ids=[page for page, _ in redirects])
