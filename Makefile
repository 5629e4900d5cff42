# Thin wrappers over the package and pytest. Everything runs inside .venv,
# created from the machine's python3 on first use and reused while pins are unchanged.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
NO_BROWSER ?=
LAB_ARGS ?=

# nbgrader runs `alembic` from PATH; jupyter finds kernels and extensions from the venv.
export PATH := $(abspath $(BIN)):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Jupyter refuses to run as root unless told; CI and many containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
BROWSER_FLAG := $(if $(NO_BROWSER),--no-browser,)

.PHONY: help setup setup-grading setup-test lab test lint bench doctor exercises clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make a second run skip pip entirely until a pin file changes.
$(VENV)/.course-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/malicourse role
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.course-installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# The browser tests drive the system's Chromium through Playwright (never `playwright install`,
# which downloads a browser). Installed once with apt; while the file exists, make skips this.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))

$(CHROMIUM):
	@if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || [ -n "$(SUDO)" ]; }; then \
		echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "The browser tests (tests/browser/) need Chromium at $(CHROMIUM) and will fail" \
			"without it: install the Debian/Ubuntu package 'chromium' as root" \
			"(apt-get install chromium), or set CHROMIUM=/path/to/chromium." >&2; \
	fi

# Grading (and `malicourse check`) runs each submission inside bubblewrap, Debian's maintained
# sandbox tool. Installed once with apt, like Chromium; while the file exists, make skips this.
BWRAP ?= /usr/bin/bwrap

$(BWRAP):
	@if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || [ -n "$(SUDO)" ]; }; then \
		echo "Installing bubblewrap for grading (apt-get install bubblewrap)"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y bubblewrap; \
	else \
		echo "Grading and the self-check need bubblewrap at $(BWRAP): install the Debian/Ubuntu" \
			"package 'bubblewrap' as root (apt-get install bubblewrap)." >&2; \
	fi

setup: $(VENV)/.course-installed  ## create .venv with the pinned course environment

setup-grading: setup $(BWRAP)  ## course environment and bubblewrap, to grade or self-check

setup-test: $(VENV)/.test-installed $(CHROMIUM) $(BWRAP)  ## course environment, test tools, Chromium, bubblewrap

lab: setup  ## open the course in JupyterLab (PORT=, NO_BROWSER=1, LAB_ARGS="...")
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb --ServerApp.root_dir=$(CURDIR) --port=$(PORT) $(BROWSER_FLAG) $(ROOT_FLAG) $(LAB_ARGS)

test: setup-test  ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-test  ## ruff over the package, tests and notebooks
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup-test  ## benchmark scripts: tables of ratios against a baseline measured in the same run
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

doctor: setup  ## check the environment and say in plain words what is wrong
	$(BIN)/malicourse doctor

exercises: setup  ## regenerate exercises/ from solutions/ with nbgrader
	$(BIN)/malicourse exercises

# JupyterHub for a class on this machine (run as root: it creates the accounts). Ctrl-C stops it.
HUB_ARGS ?=
.PHONY: hub
hub: setup  ## a classroom on this machine: JupyterHub, accounts, nbgrader exchange (root; HUB_ARGS="--students 30")
	$(BIN)/malicourse hub $(HUB_ARGS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
