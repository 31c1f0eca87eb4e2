# kernsim: `make run` and `make test` set everything up on a fresh machine
# (only Python 3.11 and make needed). Both are idempotent: the venv is built
# once and reinstalled only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
EXPERIMENT ?= experiments/quickstart.toml
PYTEST_ARGS ?=

.PHONY: run test bench lint clean setup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# base install: enough to run experiments
$(VENV)/.base: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

# everything the test suite needs: dev tools, notebooks, dask
$(VENV)/.dev: $(VENV)/.base
	$(BIN)/python -m pip install -q -e ".[dev,notebooks,dask]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

setup: $(VENV)/.dev

run: $(VENV)/.base
	$(BIN)/kernsim run $(EXPERIMENT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --nbmake tests notebooks $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/kernsim bench

lint: $(VENV)/.dev
	$(BIN)/ruff check model tests

clean:
	rm -rf $(VENV) results .pytest_cache
