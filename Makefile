# `make run` and `make test` set everything up on a fresh machine (Python 3.11 + pip).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: run test lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The service on the embedded defaults: SQLite under ROUTECAST_DATA_DIR (default ./data),
# local workers, and the synthetic-city travel model trained on first start.
run: $(STAMP)
	ROUTECAST_DEMO_MODEL=1 $(BIN)/routecast serve

# ruff first (a lint error fails the build like a test), then the suite.
test: lint
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check solver surrogate api tests benchmarks
