# lossbook. Readers: `make book`, `make lab`, `make pdf`. Contributors: edit a notebook,
# `make notebooks`, `make test` (see README). CI: `make test` (that is all `.ci/run` does).
#
# Every target creates .venv on first use (and again when requirements.txt, pyproject.toml or
# the Python version change) and installs the system packages its stage needs when they are
# missing (tools/require.sh: apt-get as root or through sudo, or one line saying what to install).
# The book renders the outputs stored in the notebooks (execute_notebooks: "off"); strict nbval
# in `make test` proves those outputs equal a fresh run. `make test` keeps one stamp per stage in
# _build/stamps/ and re-runs a stage only when one of its inputs changed; nbval re-runs only the
# notebooks that changed (and the catalog, which reads the chapters) unless lossbook, the
# dependencies or the sanitiser changed. `make retest` runs every stage.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_VERSION := $(shell $(PYTHON) -c 'import platform; print(platform.python_version())')
STAMP := $(VENV)/.installed-python-$(PY_VERSION)
# The oldest Python that requirements.txt's pins support (numpy, scipy, scikit-learn).
PY_MIN := 3.11
comma := ,
PY_CHECK := $(PYTHON) -c 'import sys; sys.exit(sys.version_info < ($(subst .,$(comma),$(PY_MIN)),))'
STAMPS := _build/stamps
# Recipes import the lossbook of this checkout, also inside notebook kernels.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

LOSSBOOK_SRC := $(wildcard lossbook/*.py)
NOTEBOOKS := $(wildcard chapters/*/*.ipynb)
CATALOG := chapters/reference/catalog.ipynb
PAGES := $(wildcard chapters/*/*.md) intro.md _config.yml _toc.yml references.bib \
         $(shell find _static _templates _ext -type f 2>/dev/null)
# The tests that read the stored notebooks (normalised, alt text, nbval on a stale copy) are
# a stage of their own, re-run when a notebook changes; the unit tests are not.
STORED_TESTS := tests/test_notebooks.py tests/test_alt_text.py
UNIT_SRC := $(filter-out $(STORED_TESTS),$(wildcard tests/*.py tests/cases/*.py)) pyproject.toml \
            tools/require.sh Makefile
SANITIZE := tests/nbval-sanitize.cfg
NBVAL_FLAGS := --nbval --nbval-sanitize-with $(SANITIZE)
# nbval skips PNG outputs; the root conftest.py makes it compare the stored figures too.
NBVAL_CONFTEST := conftest.py
# The browser test's inputs: its files, the alt-text test and the vendored axe-core (issue 18).
BROWSER_TESTS := $(wildcard tests/browser/*.py) tests/test_alt_text.py \
                 $(wildcard tests/browser/vendor/axe-core/*)
JB_FLAGS := --warningiserror --nitpick --keep-going
SYSTEM_TESTS := --ignore=tests/browser --ignore=tests/pdf --ignore=tests/lab
LINTED := lossbook tests benchmarks chapters tools _ext conftest.py

# System packages (Debian names) and the check that says they are there.
REQUIRE := tools/require.sh
VENV_CHECK := $(PYTHON) -c 'import ensurepip, venv'
BROWSER_CHECK := test -x /usr/bin/chromium
PDF_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-lang-chinese \
                latexmk xindy fonts-freefont-otf fonts-noto-cjk poppler-utils
PDF_CHECK := command -v xelatex && command -v latexmk && command -v xindy \
             && command -v pdffonts && command -v pdftotext && kpsewhich xeCJK.sty \
             && fc-list | grep -q 'Noto Serif CJK' && fc-list | grep -q FreeSerif
# The PDF is built in a tree of its own (its own doctrees), so that `make test` can build it
# while the HTML build runs.
PDF_ROOT := _build/pdf
PDF := $(PDF_ROOT)/_build/latex/lossbook.pdf
# The site's copy of the PDF, which the landing page links.
SITE_PDF := _build/html/lossbook.pdf

# `make lab`: JupyterLab on chapters/, kernel `lossbook`. LAB_FLAGS adds server options.
LAB_FLAGS ?=

.PHONY: book pdf lab kernel notebooks test test-stages retest lint clean require-browser \
        require-pdf

# --- the environment -------------------------------------------------------------------------

# The packages are installed by uv (pinned in requirements.txt, bootstrapped with pip): about
# 15-25 s instead of pip's 50-70 s for the same versions, and the venv's install is the start of
# every stage. Every module is compiled up front: with PYTHONDONTWRITEBYTECODE set (as on some
# CI machines) Python would otherwise compile them again in every process (strict nbval took
# 270 s instead of about 110 s).
PIP_FLAGS := --quiet --disable-pip-version-check
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(STAMP): requirements.txt pyproject.toml
	@$(PY_CHECK) || { echo "make: requirements.txt needs Python $(PY_MIN) or later and" \
	  "$(PYTHON) is Python $(PY_VERSION); install a newer one and run make PYTHON=python3.NN" >&2; \
	  exit 1; }
	@$(REQUIRE) "Python's venv module" "$(VENV_CHECK)" python3-venv
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import platform; print(platform.python_version())')" != "$(PY_VERSION)" ]; then \
	  echo "$(PYTHON) is Python $(PY_VERSION) now: recreating $(VENV)"; rm -rf $(VENV); fi
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) "$$(grep -m1 '^uv==' requirements.txt)"
	$(UV) --compile-bytecode -r requirements.txt
	$(UV) --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed*
	touch $@

# The project's environment as the Jupyter kernel `lossbook`, registered inside .venv (not in
# the user's Jupyter), every time: the spec names this checkout's .venv/bin/python.
kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name lossbook --display-name "Python (lossbook)" >/dev/null

require-browser:
	@$(REQUIRE) Chromium "$(BROWSER_CHECK)" chromium
require-pdf:
	@$(REQUIRE) "TeX for the PDF" "$(PDF_CHECK)" $(PDF_PACKAGES)

# --- for readers -----------------------------------------------------------------------------

# Renders the stored outputs: no notebook is executed. Copies the PDF in when `make pdf` made one.
book: $(STAMP)
	$(BIN)/jupyter-book build $(JB_FLAGS) .
	@if [ -f $(PDF) ]; then cp $(PDF) $(SITE_PDF); \
	  else echo "(no PDF yet: \`make pdf\` builds it and puts it in the site)"; fi
	@echo "Book built: open file://$(CURDIR)/_build/html/index.html"

# Sphinx runs make for the LaTeX: an empty MAKEFLAGS, since it could not reach the job server
# of `make test` (make would warn). LATEXMKOPTS=-xelatex, as Sphinx's LaTeX Makefile suggests:
# XeLaTeX runs without writing a PDF (-no-pdf) until the references settle, and xdvipdfmx
# writes the PDF once (95 s of CPU instead of 122 s).
$(PDF): $(STAMP) $(NOTEBOOKS) $(PAGES) $(LOSSBOOK_SRC) | require-pdf
	MAKEFLAGS= LATEXMKOPTS=-xelatex $(BIN)/jupyter-book build $(JB_FLAGS) --all --builder pdflatex --path-output $(PDF_ROOT) .
	@test -f $@ && touch $@  # latexmk leaves the PDF alone when the .tex did not change

pdf: $(PDF)
	@if [ -d _build/html ]; then cp $(PDF) $(SITE_PDF); fi
	@echo "PDF built: $(CURDIR)/$(PDF)"

lab: kernel
	$(BIN)/jupyter lab --ServerApp.root_dir=chapters \
	  --MappingKernelManager.default_kernel_name=lossbook \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_FLAGS)

# --- for contributors ------------------------------------------------------------------------

# Re-execute, in the order of _toc.yml, the notebooks changed since the last commit (and not
# re-executed since), then normalise every notebook. NB="chapters/a/b.ipynb ..." re-executes
# those; NB=all every notebook.
NB ?=
notebooks: $(STAMP)
	$(BIN)/python tools/normalise_notebooks.py \
	  $(if $(NB),--execute all $(filter-out all,$(NB)),--execute changed)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)

# --- make test: one stamp per stage ----------------------------------------------------------

$(STAMPS)/unit: $(STAMP) $(LOSSBOOK_SRC) $(UNIT_SRC)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 $(SYSTEM_TESTS) \
	  $(addprefix --ignore=,$(STORED_TESTS)) lossbook tests
	@mkdir -p $(@D) && touch $@

# The notebooks as stored: no volatile metadata, alt text on every figure, and a stale stored
# output fails strict nbval (run as this Makefile runs it: NBVAL_FLAGS).
$(STAMPS)/stored: $(STAMP) $(LOSSBOOK_SRC) $(NOTEBOOKS) $(STORED_TESTS) tests/conftest.py \
                  tools/normalise_notebooks.py _toc.yml $(SANITIZE) $(NBVAL_CONFTEST) Makefile
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile $(STORED_TESTS)
	@mkdir -p $(@D) && touch $@

# Strict nbval, figures included. A first run, or a change to lossbook, the environment, the
# sanitiser or the figure comparison, checks every notebook; otherwise only the notebooks
# changed since the last pass (plus the catalog).
$(STAMPS)/nbval: $(STAMP) $(LOSSBOOK_SRC) $(SANITIZE) $(NBVAL_CONFTEST) $(NOTEBOOKS)
	@notebooks="$(filter $(NOTEBOOKS),$?)"; \
	if [ ! -f $@ ] || [ -n "$(filter-out $(NOTEBOOKS),$?)" ]; then notebooks="$(NOTEBOOKS)"; \
	else notebooks=$$(printf '%s\n' $$notebooks $(CATALOG) | sort -u); fi; \
	set -- $$notebooks; workers=$$([ $$# -gt 1 ] && echo "-n 2 --dist loadfile" || echo "-n 0"); \
	echo "strict nbval over $$# notebook(s)"; \
	$(BIN)/python -m pytest -q -p no:cacheprovider $$workers $(NBVAL_FLAGS) $$notebooks
	@mkdir -p $(@D) && touch $@

# The test build starts from an empty _build/html and re-reads every page (--all), so the
# warnings of unchanged pages are reported and no page of a removed chapter survives.
$(STAMPS)/html: $(STAMP) $(NOTEBOOKS) $(PAGES) $(LOSSBOOK_SRC)
	rm -rf _build/html
	$(BIN)/jupyter-book build $(JB_FLAGS) --all .
	@mkdir -p $(@D) && touch $@

# The PDF, and the site's copy of it that the landing page links.
$(STAMPS)/pdf: $(PDF) $(STAMPS)/html $(wildcard tests/pdf/*.py) | require-pdf
	cp $(PDF) $(SITE_PDF)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/pdf
	@mkdir -p $(@D) && touch $@

# The PDF stage checks the site's link to the PDF, so the browser test need not wait for it.
$(STAMPS)/browser: $(STAMPS)/html $(BROWSER_TESTS) | require-browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser
	@mkdir -p $(@D) && touch $@

$(STAMPS)/lab: $(STAMP) $(wildcard tests/lab/*.py) Makefile
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/lab
	@mkdir -p $(@D) && touch $@

# The stages run TEST_JOBS at a time, each stage's output printed in one piece when it ends:
# the system installs wait on the network, and the venv's install, the HTML build, XeLaTeX and
# the `make lab` check use one core, so they overlap the stages that use both. Listed longest
# chain first (the site, then the browser test), since make starts them in this order.
TEST_JOBS ?= 3
test:
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-stages
	@echo "All tests passed."

test-stages: lint $(STAMPS)/html $(STAMPS)/browser $(STAMPS)/pdf $(STAMPS)/nbval $(STAMPS)/unit \
             $(STAMPS)/stored $(STAMPS)/lab

# The browser test is the longest stage and the PDF the next: each must take the first free
# job slot, not queue behind the shorter stages. Make gives a freed slot to the next stage in
# the list above that is ready, and keeps it waiting for that stage even if one listed earlier
# becomes ready meanwhile. So strict nbval waits until the browser test can start (the site
# built, Chromium there), the other stages also until the PDF can (TeX there), and Chromium is
# installed before TeX (apt-get runs one install at a time; Chromium's is the shorter).
$(STAMPS)/nbval: | $(STAMPS)/html require-browser
$(STAMPS)/unit $(STAMPS)/stored $(STAMPS)/lab: | $(STAMPS)/html require-browser require-pdf
ifneq ($(filter test-stages,$(MAKECMDGOALS)),)
require-pdf: | require-browser
endif

retest:
	rm -rf $(STAMPS)
	$(MAKE) test

clean:
	rm -rf _build
