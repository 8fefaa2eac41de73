/* Accessible names for the controls that scripts create (issue 18).
 *
 * sphinx-togglebutton names every toggle "Toggle hidden content"; this names each one after
 * what it reveals ("Show solution to Exercise 9.1", "Hide solution to Exercise 9.1"), in step
 * with its aria-expanded state. The colour-mode button of the theme gets the current mode in
 * its name ("Color mode: dark"). The visible hint of a toggle ("Show"/"Hide", set by
 * togglebutton_hint in _config.yml) starts the name, so speech input can say what it sees.
 */
(() => {
  "use strict";

  const titleText = (button) => {
    const title = button.closest(".admonition-title");
    if (!title) return "";
    const copy = title.cloneNode(true);
    copy.querySelectorAll("button, .headerlink").forEach((node) => node.remove());
    const text = copy.textContent.replace(/\s+/g, " ").trim();
    return text.charAt(0).toLowerCase() + text.slice(1);
  };

  const nameToggle = (button) => {
    const what = button.dataset.lossbookWhat;
    if (!what) return;
    const shown = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-label", `${shown ? "Hide" : "Show"} ${what}`);
  };

  const nameToggles = () => {
    const observer = new MutationObserver((changes) => {
      changes.forEach((change) => nameToggle(change.target));
    });
    document.querySelectorAll("button.toggle-button").forEach((button) => {
      button.dataset.lossbookWhat = titleText(button) || "hidden content";
      nameToggle(button);
      observer.observe(button, { attributes: true, attributeFilter: ["aria-expanded"] });
    });
  };

  const MODE_NAMES = { light: "light", dark: "dark", auto: "system setting" };
  const nameModeButtons = () => {
    const update = () => {
      const mode = MODE_NAMES[document.documentElement.dataset.mode] || "";
      document.querySelectorAll(".theme-switch-button").forEach((button) => {
        button.setAttribute("aria-label", mode ? `Color mode: ${mode}` : "Color mode");
      });
    };
    update();
    new MutationObserver(update).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-mode"],
    });
  };

  /* Keyboard access to scroll boxes: an element of the article that scrolls (a wide formula's
   * div.math, a wide table in a notebook output, code) and holds nothing focusable gets
   * tabindex=0 while it overflows, so it can be scrolled with the arrow keys (WCAG 2.1.1).
   * The theme does the same for code blocks, cell outputs and tables, but only on its own
   * schedule; this pass covers every scroller and runs once the maths is typeset, on resize,
   * and after a click (an opened solution may hold a wide formula). An inline formula wider
   * than its line gets the class lossbook-scrolls first (see lossbook-a11y.css). */
  const FOCUSABLE =
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const scrolls = (el) => {
    const style = getComputedStyle(el);
    const x = /(auto|scroll)/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const y = /(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
    return x || y;
  };
  const markWideInlineFormulas = (article) => {
    const spans = Array.from(article.querySelectorAll("span.math"));
    spans.forEach((span) => span.classList.remove("lossbook-scrolls"));
    spans
      .filter((span) => {
        const formula = span.querySelector("mjx-container");
        return formula && formula.getBoundingClientRect().width >
          span.getBoundingClientRect().width + 1;
      })
      .forEach((span) => span.classList.add("lossbook-scrolls"));
  };
  const updateScrollers = () => {
    const article = document.querySelector(".bd-article");
    if (!article) return;
    markWideInlineFormulas(article);
    article.querySelectorAll("*").forEach((el) => {
      if (el.closest("mjx-container")) return;
      const ours = el.hasAttribute("data-lossbook-scroller");
      if (scrolls(el)) {
        // A labelled equation's permalink is hidden until hover, so it does not count.
        const reachable = Array.from(el.querySelectorAll(FOCUSABLE))
          .some((inner) => !inner.classList.contains("headerlink"));
        if (el.tabIndex < 0 && !reachable) {
          el.tabIndex = 0;
          el.setAttribute("data-lossbook-scroller", "");
        }
      } else if (ours) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-lossbook-scroller");
      }
    });
  };
  let pending = null;
  const scheduleScrollers = () => {
    clearTimeout(pending);
    pending = setTimeout(updateScrollers, 100);
  };
  const watchScrollers = () => {
    // Widths are final once the maths is typeset and the web fonts have loaded.
    const typeset = window.MathJax?.startup?.promise ?? Promise.resolve();
    Promise.allSettled([typeset, document.fonts.ready]).then(updateScrollers);
    window.addEventListener("load", scheduleScrollers);
    window.addEventListener("resize", scheduleScrollers);
    document.addEventListener("click", scheduleScrollers);
  };

  const start = () => {
    nameToggles();
    nameModeButtons();
    watchScrollers();
  };
  // togglebutton.js, loaded before this file, adds its buttons on DOMContentLoaded; this
  // listener is registered after its listener, so it runs after the buttons exist.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
