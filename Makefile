# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast ci bench sysdeps install lint migration clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: sysdeps $(STAMP)

sysdeps:
	@bash scripts/system-deps.sh

run: install
	$(BIN)/sysreview db upgrade
	$(BIN)/sysreview frameworks load
	$(BIN)/sysreview demo seed
	$(BIN)/sysreview serve --host $(HOST) --port $(PORT)

test: install
	@SYSREVIEW_TEST_TOOLS=1 bash scripts/system-deps.sh
	$(BIN)/pytest $(PYTEST_ARGS)

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
