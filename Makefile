# kernsim: `make run` and `make test` set everything up on a fresh machine
# (only Python 3.11 and make needed). Both install exact versions from
# requirements.lock and are idempotent: the venv is built once and
# reinstalled only when pyproject.toml or the lock file changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
PIN    := -c $(LOCK)
# the tools that build the environment are pinned too
PIP_VERSION := 26.3
UV_VERSION  := 0.13.8
EXPERIMENT ?= quickstart
PYTEST_ARGS ?=

.PHONY: run test bench lint deps lock floors wheel clean setup

$(BIN)/python:
	@echo "kernsim: creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check pip==$(PIP_VERSION)

# base install: enough to run experiments
$(VENV)/.base: $(BIN)/python pyproject.toml $(LOCK)
	@echo "kernsim: installing kernsim and its locked base dependencies (first time: about a minute)"
	$(BIN)/python -m pip install -q $(PIN) -e .
	@touch $@

# everything the test suite needs: dev tools, notebooks, dask, the bench rivals
$(VENV)/.dev: $(VENV)/.base
	@echo "kernsim: installing the locked test, notebook and dask dependencies (first time: a few minutes)"
	$(BIN)/python -m pip install -q $(PIN) -e ".[dev,notebooks,dask,bench]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

setup: $(VENV)/.dev

run: $(VENV)/.base
	@echo "kernsim: running the shipped study '$(EXPERIMENT)' into results/$(EXPERIMENT) (a progress bar follows)"
	$(BIN)/kernsim run $(EXPERIMENT) --out results/$(EXPERIMENT)
	@echo ""
	@echo "kernsim: done. Next:"
	@echo "  $(BIN)/kernsim summary results/$(EXPERIMENT)   # every metric: mean and 95% CI per design point"
	@echo "  $(BIN)/kernsim report results/$(EXPERIMENT)    # an HTML report with plots: results/$(EXPERIMENT)/report.html"
	@echo "  make setup && $(BIN)/jupyter lab notebooks/00-tour.ipynb   # the tour, in Jupyter"

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --nbmake tests notebooks $(PYTEST_ARGS)

# every third-party import is declared (also run inside `make test`)
deps: $(VENV)/.dev
	$(BIN)/deptry model

bench: $(VENV)/.dev
	$(BIN)/kernsim bench

lint: $(VENV)/.dev
	$(BIN)/ruff check model tests

# regenerate requirements.lock from pyproject.toml (newest versions that fit)
lock: $(BIN)/python
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--no-header -o $(LOCK)

# a venv at the lowest versions pyproject.toml allows, and the test suite in it
floors: $(BIN)/python
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	rm -rf .venv-floors
	$(BIN)/uv venv -q --python $(PYTHON) .venv-floors
	$(BIN)/uv pip install -q --python .venv-floors/bin/python --resolution lowest-direct \
		-e ".[dev,notebooks,dask,bench]"
	.venv-floors/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	.venv-floors/bin/python -m pytest -n 2 --nbmake tests notebooks $(PYTEST_ARGS)

wheel: $(BIN)/python
	rm -rf dist
	$(BIN)/python -m pip wheel -q --no-deps . -w dist

clean:
	rm -rf $(VENV) .venv-floors results dist build .pytest_cache
