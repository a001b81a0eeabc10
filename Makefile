# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint run bench

$(BIN)/tradeguard: requirements-dev.lock requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(BIN)/tradeguard

install: $(BIN)/tradeguard

demo: install
	$(BIN)/tradeguard demo

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

run: install
	$(BIN)/tradeguard run

bench: install
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.liquidation
	$(BIN)/python -m bench.reads
