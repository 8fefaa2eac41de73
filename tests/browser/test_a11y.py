"""The book for every reader (issue 18): WCAG 2.1 AA, keyboards, screen readers, phones, dark mode.

Per page, from the visits recorded in ``conftest.py``: no axe-core violation (WCAG 2.0/2.1 A
and AA, plus heading order and the skip link); no formula is a Tab stop and every formula keeps
its assistive MathML; toggles are named after what they reveal; heading permalinks are not
read as "#"; every figure has alt text that says what it shows; at 390 px nothing is wider than
the screen and every box that scrolls sideways can be reached from the keyboard.

On single pages: the first solution toggle of a formula-heavy chapter is a few Tab stops away;
the skip link and keyboard search work; the colour-mode switch exists, turns the page dark, and
in both modes the page passes axe and its figures stay readable.
"""

import io

import numpy as np
import pytest
from PIL import Image

from tests.test_alt_text import alt_text_problem

from .conftest import PHONE, format_violations, run_axe

FORMULA_HEAVY = "chapters/classification/binary-cross-entropy.html"
WITH_FIGURES = "chapters/regression/huber-smooth-l1.html"
# Tab stops from the top of the page to the first "show solution" toggle of FORMULA_HEAVY:
# the header and the chapter list (32 stops), then the links, code blocks and copy buttons of
# the chapter's text; 73 when this was written. With every formula a Tab stop it was 149 (on
# a shorter version of the chapter). The bounds leave room for the chapter to grow.
MAX_TAB_STOPS_FROM_TOP = 100
# The same from the skip link's target, the start of the chapter's text (41 stops).
MAX_TAB_STOPS_FROM_MAIN = 60

def test_no_axe_violations(visitor, page_path):
    audit = visitor.visit(page_path).audit
    assert not audit["axe"], "axe-core violations:\n" + format_violations(audit["axe"])


def test_page_language_is_set(visitor, page_path):
    assert visitor.visit(page_path).audit["lang"] == "en"


def test_formulas_are_not_tab_stops_and_keep_assistive_mathml(visitor, page_path):
    audit = visitor.visit(page_path).audit
    if audit["formulas"] == 0:
        pytest.skip("no formulas on this page")
    assert audit["tabbableFormulas"] == 0, (
        f"{audit['tabbableFormulas']} of {audit['formulas']} formulas are Tab stops")
    assert audit["formulasWithoutMathml"] == 0, (
        f"{audit['formulasWithoutMathml']} formulas have no assistive MathML")


def test_toggles_are_named_after_what_they_reveal(visitor, page_path):
    audit = visitor.visit(page_path).audit
    if not audit["toggles"] and not audit["summaries"]:
        pytest.skip("no toggles on this page")
    for toggle in audit["toggles"]:
        verb = "Hide" if toggle["expanded"] == "true" else "Show"
        assert toggle["name"].startswith(f"{verb} "), toggle
        # the name says what the box holds: its title, as shown ("Solution to Exercise 9.1")
        assert toggle["name"][5:].lower() == toggle["title"].lower(), toggle
        if toggle["title"].startswith("Solution to"):
            assert toggle["name"].startswith(f"{verb} solution to Exercise "), toggle
    for name in audit["summaries"]:
        assert name and name != "Toggle hidden content", f"hidden cell summary named {name!r}"
        assert name.startswith(("Show ", "Hide ")), f"hidden cell summary named {name!r}"


def test_permalinks_are_named(visitor, page_path):
    permalinks = visitor.visit(page_path).audit["permalinks"]
    if not permalinks:
        pytest.skip("no permalinks on this page")
    names = {link["name"] for link in permalinks}
    assert names == {"Link to this heading"}, f"permalinks read as {sorted(names)}"
    assert not any(link["hiddenNameShows"] for link in permalinks), (
        "the permalinks' hidden name is visible on the page")


def test_figures_have_meaningful_alt_text(visitor, page_path):
    images = [image for image in visitor.visit(page_path).audit["images"]
              if not image["decorative"]]
    if not images:
        pytest.skip("no figures on this page")
    problems = [f"{image['src']}: {problem}" for image in images
                if (problem := alt_text_problem(image["alt"])) is not None]
    assert not problems, "\n".join(problems)


def test_page_fits_a_phone(phone_visitor, page_path):
    audit = phone_visitor.visit(page_path).audit
    assert audit["viewport"] == PHONE["width"]
    assert audit["pageWidth"] <= audit["viewport"], (
        f"page is {audit['pageWidth']} px wide on a {audit['viewport']} px screen")
    assert not audit["tooWide"], "wider than the screen, outside any scroll box:\n" + "\n".join(
        audit["tooWide"])
    assert not audit["unreachableScrollers"], (
        "boxes that scroll sideways but cannot be reached from the keyboard:\n"
        + "\n".join(audit["unreachableScrollers"]))


# --- single pages --------------------------------------------------------------------------

def _open(visitor, path):
    visit, page = visitor.open(path)
    assert not visit.console_errors, "\n".join(visit.console_errors)
    return page


# What the focused element is: a formula (or a formula's box that does not scroll), or the
# first solution toggle.
FOCUS_JS = """
() => {
  const el = document.activeElement;
  const formula = el.matches("mjx-container, mjx-container *")
    || (el.matches(".math") && el.scrollWidth <= el.clientWidth + 1);
  const name = el.getAttribute("aria-label") || el.textContent.trim().slice(0, 40);
  return {
    formula,
    target: el.matches(".solution button.toggle-button"),
    what: `${el.tagName.toLowerCase()} ${JSON.stringify(name)}`,
  };
}
"""


def _tab_to_first_solution(page, limit):
    """Press Tab until the first solution toggle has focus: the number of presses (or None
    after ``limit``), and the formulas met on the way."""
    formulas = []
    for stop in range(1, limit + 1):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        if focus["formula"]:
            formulas.append(f"stop {stop}: {focus['what']}")
        if focus["target"]:
            return stop, formulas
    return None, formulas


def test_first_solution_toggle_is_a_few_tab_stops_away(visitor):
    page = _open(visitor, FORMULA_HEAVY)
    try:
        first = page.locator(".solution button.toggle-button").first
        name = first.get_attribute("aria-label")
        assert name.startswith("Show solution to Exercise "), name
        assert page.get_by_role("button", name=name, exact=True).count() == 1
        stops, formulas = _tab_to_first_solution(page, MAX_TAB_STOPS_FROM_TOP)
        assert not formulas, "formulas in the Tab order:\n" + "\n".join(formulas)
        assert stops is not None, (
            f"the first solution toggle is more than {MAX_TAB_STOPS_FROM_TOP} Tab stops away")
        # Enter on the toggle shows the solution and renames the toggle.
        page.keyboard.press("Enter")
        assert first.get_attribute("aria-expanded") == "true"
        assert first.get_attribute("aria-label") == "Hide" + name[len("Show"):]
    finally:
        page.close()


def test_skip_link_leads_a_few_tab_stops_from_the_first_solution(visitor):
    """A keyboard reader skips the header and the chapter list with the skip link."""
    page = _open(visitor, FORMULA_HEAVY)
    try:
        page.keyboard.press("Tab")
        assert page.evaluate(
            "() => document.activeElement.matches('.skip-link a[href=\"#main-content\"]')"
        ), "the first Tab stop is not the skip link to the main content"
        page.keyboard.press("Enter")
        stops, formulas = _tab_to_first_solution(page, MAX_TAB_STOPS_FROM_MAIN)
        assert not formulas, "formulas in the Tab order:\n" + "\n".join(formulas)
        assert stops is not None, (
            f"from the skip link, the first solution toggle is more than "
            f"{MAX_TAB_STOPS_FROM_MAIN} Tab stops away")
    finally:
        page.close()


def test_keyboard_search(visitor):
    page = _open(visitor, "intro.html")
    try:
        page.keyboard.press("Control+k")
        search = page.locator("#pst-search-dialog input[name=q]")
        search.wait_for(state="visible", timeout=5_000)
        assert page.evaluate("() => document.activeElement.matches('#pst-search-dialog input')")
        page.keyboard.type("Huber")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search.html?q=Huber*", timeout=10_000)
    finally:
        page.close()


def _luminance(rgb):
    """Relative luminance (WCAG 2.1) of sRGB colours in 0..255, along the last axis."""
    value = np.asarray(rgb, dtype=float) / 255
    linear = np.where(value <= 0.03928, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _figure_contrast(png):
    """(contrast, background) of a figure as rendered: the contrast between its background
    (its commonest colour) and its darkest ink (the mean of its 0.5 % darkest pixels: axes,
    ticks and labels)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    luminance = _luminance(pixels)
    ink = np.sort(luminance)[: max(1, luminance.size // 200)].mean()
    back = float(_luminance(background))
    return (max(back, ink) + 0.05) / (min(back, ink) + 0.05), tuple(int(c) for c in background)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_colour_modes_keep_the_page_and_its_figures_readable(visitor, mode):
    page = _open(visitor, WITH_FIGURES)
    try:
        switch = page.locator("button.theme-switch-button").first
        assert switch.is_visible(), "no visible colour-mode switch"
        for _ in range(3):  # the switch cycles light -> dark -> auto
            if page.evaluate("() => document.documentElement.dataset.theme") == mode:
                break
            switch.click()
        assert page.evaluate("() => document.documentElement.dataset.theme") == mode
        assert (switch.get_attribute("aria-label") or "").startswith("Color mode: ")

        if mode == "dark":  # light mode is the default, checked with every page
            violations = run_axe(page)
            assert not violations, f"axe in {mode} mode:\n" + format_violations(violations)

        figures = page.locator(".bd-article .cell_output img")
        assert figures.count() >= 1
        for index in range(figures.count()):
            figure = figures.nth(index)
            figure.scroll_into_view_if_needed()
            contrast, background = _figure_contrast(figure.screenshot())
            assert _luminance(background) > 0.5, (
                f"figure {index} in {mode} mode is drawn on a dark background {background}")
            assert contrast >= 4.5, (
                f"figure {index} in {mode} mode: its axes and labels have contrast "
                f"{contrast:.1f}:1 against its background")
    finally:
        page.close()
