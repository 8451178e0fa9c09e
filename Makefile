# `make run` and `make test` set everything up on a fresh machine (Python 3.11 + pip).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Numba's disk cache checks only each kernel's own file, so a kernel whose callee changed
# in another file would load stale code: the cache lives in a folder named after a hash of
# every file of the kernel packages and every other file that mentions Numba or its jit.
KERNELS_HASH := $(shell { find solver/engines/heuristic -name '*.py'; grep -rlE --include='*.py' 'numba|njit' solver surrogate; } | LC_ALL=C sort -u | xargs cat | sha1sum | cut -c1-12)
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache/$(KERNELS_HASH)

.PHONY: run test lint chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The service on the embedded defaults: SQLite under ROUTECAST_DATA_DIR (default ./data),
# local workers, and the synthetic-city travel model trained on first start.
run: $(STAMP)
	ROUTECAST_DEMO_MODEL=1 $(BIN)/routecast serve

# The web-app tests drive Debian's headless Chromium (tests/api/web); install it when missing.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
APT_GET ?= apt-get
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -x $(CHROMEDRIVER) ]; then \
	  echo "installing chromium and chromium-driver for the browser tests ($(APT_GET))"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  command -v $(APT_GET) >/dev/null || { echo "error: the browser tests (tests/api/web) need $(CHROMIUM) and $(CHROMEDRIVER), and $(APT_GET) is not available to install them: install Debian's chromium and chromium-driver by hand" >&2; exit 1; }; \
	  { $$SUDO $(APT_GET) update -qq && $$SUDO $(APT_GET) install -y -qq chromium chromium-driver >/dev/null; } || \
	  { echo "error: '$(APT_GET) install chromium chromium-driver' failed (it needs root or sudo and the Debian mirrors); the browser tests (tests/api/web) need them" >&2; exit 1; }; \
	  [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ] || { echo "error: chromium installed but $(CHROMIUM) or $(CHROMEDRIVER) is still missing" >&2; exit 1; }; \
	fi

# ruff first (a lint error fails the build like a test), then the suite.
test: lint chromium
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check solver surrogate api tests benchmarks
