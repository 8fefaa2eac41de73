"""Accessibility fixes for the HTML that the book's Sphinx extensions write (issue 18).

Each fix changes the markup where it is produced, so the built pages are right without any
script rewriting them in the reader's browser:

* citations (the bibliography page): docutils writes ``<div role="list">`` whose children carry
  ``role="doc-biblioentry"``, a role DPUB-ARIA 1.1 deprecated and that is not a list item, so
  assistive technology sees a list without items. Each citation becomes ``role="listitem"``.
* hidden code cells (myst-nb): the ``<summary>`` of a hidden cell had the fixed label "Toggle
  hidden content", which hid its visible text ("Show code cell source"). Without the label, the
  summary is named by what it shows.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. The browser test
(``tests/browser/test_a11y.py``) checks the result with axe-core on every page.
"""

from html import escape

from docutils import nodes
from sphinx.util.docutils import SphinxTranslator


def visit_citation(self: SphinxTranslator, node: nodes.citation) -> None:
    # As docutils' HTML5 writer, with the list item role the surrounding role="list" requires.
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self: SphinxTranslator, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hidden_cell(self: SphinxTranslator, node) -> None:
    # As myst-nb's visit_HideCellInput, without aria-label: the summary's visible prompt (the
    # collapsed or the expanded one, whichever is displayed) is its accessible name.
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(
        f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n'
    )
    self.body.append(
        f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n'
    )
    self.body.append("</summary>\n")


def depart_hidden_cell(self: SphinxTranslator, node) -> None:
    self.body.append("</details>\n")


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    app.add_node(
        HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell)
    )
    return {"parallel_read_safe": True, "parallel_write_safe": True}
