# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

LOCK := requirements.lock

.PHONY: run test test-fast ci bench sysdeps install lock lockcheck lint migration clean

# Installs exactly what requirements.lock pins, each file checked against its hash, then the app
# itself without dependencies. Rebuilt when the lock (or pyproject) changes.
$(STAMP): $(LOCK) pyproject.toml | lockcheck
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# A dependency changed in pyproject.toml without `make lock` stops here, saying how to update.
lockcheck:
	@$(PYTHON) scripts/lockfile.py check

# After changing a dependency in pyproject.toml: resolve again and rewrite both lock files.
lock:
	$(PYTHON) scripts/lockfile.py write

install: sysdeps $(STAMP)

sysdeps:
	@bash scripts/system-deps.sh

run: install
	$(BIN)/sysreview db upgrade
	$(BIN)/sysreview frameworks load
	$(BIN)/sysreview demo seed
	$(BIN)/sysreview serve --host $(HOST) --port $(PORT)

# Two workers (pytest-xdist, a database each): on two idle cores the whole suite takes about
# three quarters of the time of one process. `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2

test: install
	@SYSREVIEW_TEST_TOOLS=1 bash scripts/system-deps.sh
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The quick tier only: everything not marked `slow` (see tests/conftest.py).
test-fast: install
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

# Regenerates the single initial migration from the models (pre-release only).
migration: install
	bash scripts/regen-initial-migration.sh

clean:
	rm -rf $(VENV) .pytest_cache
