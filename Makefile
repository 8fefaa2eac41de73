# Two entry points (see README): `make book` and `make test`.
# Both create .venv on first use and reinstall only when requirements change; `make test`
# re-runs a stage only when one of its inputs changed (stamps in _build/), so a second run
# with nothing changed takes seconds. `make retest` forgets the stamps and runs everything.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOSSBOOK_SRC := $(wildcard lossbook/*.py)
NOTEBOOKS := $(wildcard chapters/*/*.ipynb)
PAGES := $(wildcard chapters/*/*.md) intro.md _config.yml _toc.yml references.bib
# The book's own Sphinx extension, theme templates, CSS and JavaScript (issue 18).
PAGES += $(wildcard _ext/*.py _templates/* _static/*)
TEST_SRC := $(wildcard tests/*.py tests/cases/*.py) tests/nbval-sanitize.cfg
BROWSER_TESTS := $(wildcard tests/browser/*.py)
BROWSER_TESTS += tests/test_alt_text.py $(wildcard tests/browser/vendor/axe-core/*)
# jupyter-cache keys notebooks on their code cells only; this stamp clears the
# execution cache whenever lossbook changes, so the book never shows outputs of old code.
CACHE_STAMP := _build/.lossbook-cache-stamp
JB_FLAGS := --warningiserror --nitpick --keep-going
PYTEST_NB := -n 2 --dist loadfile --nbval --nbval-sanitize-with tests/nbval-sanitize.cfg

.PHONY: book test retest lint clean

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(CACHE_STAMP): $(LOSSBOOK_SRC) | $(STAMP)
	rm -rf _build/.jupyter_cache
	mkdir -p _build && touch $(CACHE_STAMP)

book: $(STAMP) $(CACHE_STAMP)
	$(BIN)/jupyter-book build $(JB_FLAGS) .
	@echo "Book built: open file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check lossbook tests benchmarks chapters

# Unit tests, doctests and strict nbval over every chapter notebook, in one pytest run.
_build/.unit-passed: $(STAMP) $(LOSSBOOK_SRC) $(TEST_SRC) $(NOTEBOOKS) pyproject.toml
	$(BIN)/python -m pytest $(PYTEST_NB) --ignore=tests/browser lossbook tests chapters
	mkdir -p _build && touch $@

# The test build starts from an empty _build/html and re-reads every page (--all), so warnings
# of unchanged pages are reported and no stale page of a removed chapter is browser-tested.
_build/.build-passed: $(STAMP) $(CACHE_STAMP) $(LOSSBOOK_SRC) $(NOTEBOOKS) $(PAGES)
	rm -rf _build/html
	$(BIN)/jupyter-book build $(JB_FLAGS) --all .
	touch $@

_build/.browser-passed: _build/.build-passed $(BROWSER_TESTS)
	$(BIN)/python -m pytest -q tests/browser
	touch $@

test: lint _build/.unit-passed _build/.build-passed _build/.browser-passed
	@echo "All tests passed."

retest:
	rm -f _build/.unit-passed _build/.build-passed _build/.browser-passed
	$(MAKE) test

clean:
	rm -rf _build
