# Two entry points (see README): `make book` and `make test`.
# Both create .venv on first use and reinstall only when requirements change.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOSSBOOK_SRC := $(wildcard lossbook/*.py)
# jupyter-cache keys notebooks on their code cells only; this stamp clears the
# execution cache whenever lossbook changes, so the book never shows outputs of old code.
CACHE_STAMP := _build/.lossbook-cache-stamp
JB_FLAGS := --warningiserror --nitpick --keep-going
PYTEST_NB := -n 2 --dist loadfile --nbval --nbval-sanitize-with tests/nbval-sanitize.cfg

.PHONY: book test unit build browser lint clean

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(CACHE_STAMP): $(LOSSBOOK_SRC) | $(STAMP)
	rm -rf _build/.jupyter_cache
	mkdir -p _build && touch $(CACHE_STAMP)

build: $(STAMP) $(CACHE_STAMP)
	$(if $(JB_EXTRA),rm -rf _build/html)
	$(BIN)/jupyter-book build $(JB_FLAGS) $(JB_EXTRA) .

book: build
	@echo "Book built: open file://$(CURDIR)/_build/html/index.html"

# Unit tests, doctests and strict nbval over every chapter notebook, in one pytest run.
unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_NB) --ignore=tests/browser lossbook tests chapters

browser: build
	$(BIN)/python -m pytest -q tests/browser

lint: $(STAMP)
	$(BIN)/ruff check lossbook tests benchmarks chapters

# The test build starts from an empty _build/html and re-reads every page (--all), so warnings
# of unchanged pages are reported and no stale page from a removed chapter is browser-tested.
test: JB_EXTRA := --all
test: lint unit build browser
	@echo "All tests passed."

clean:
	rm -rf _build
