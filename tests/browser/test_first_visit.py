"""A reader's first visit: a new browser (no cache, no storage) opens the site's root URL.

Every request the server sees during the visit, including those the browser makes on its own
(the page icon), must be answered with a success; no request may fail, and the console must
stay free of errors, on the redirect page and on the landing page it leads to. (The landing
page's link to the PDF is checked by ``tests/pdf``, against the PDF it builds.)
"""

import functools
import http.server
import threading

import pytest

from .conftest import HTML_DIR


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records (status, path) of every request."""

    log_message = staticmethod(lambda *args: None)

    def __init__(self, *args, record, **kwargs):
        self.record = record
        super().__init__(*args, **kwargs)

    def send_response(self, code, message=None):
        self.record.append((code, self.path))
        super().send_response(code, message)

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture()
def recorded_site():
    record = []
    handler = functools.partial(_RecordingHandler, directory=str(HTML_DIR), record=record)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", record
    server.shutdown()
    server.server_close()


def test_first_visit_is_clean(browser_context, recorded_site):
    base_url, record = recorded_site
    context = browser_context.browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console, failed = [], []
    page.on("console", lambda msg: msg.type == "error" and console.append(msg.text))
    page.on("pageerror", lambda exc: console.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: failed.append((req.failure, req.url)))
    try:
        page.goto(base_url)  # index.html: a redirect to the landing page
        page.wait_for_url("**/intro.html", timeout=15_000)
        page.wait_for_load_state("networkidle")
        icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href")
        assert icon, "the landing page declares no icon, so browsers ask for /favicon.ico"
        assert page.request.get(icon).status == 200, f"icon {icon} does not load"
    finally:
        context.close()
    errors = [(status, path) for status, path in record if status >= 400]
    assert not errors, f"requests answered with an error: {errors}"
    assert not failed, f"failed requests: {failed}"
    assert not console, "console errors:\n" + "\n".join(console)
    assert any(path.endswith("intro.html") for _, path in record)
