# `make setup` once, `make test` always (CI runs exactly these).
PYTHON ?= python3

.PHONY: setup test lint format

setup:
	./setup.sh

test: lint
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	lint-imports --no-cache  # the layers drawn in pyproject.toml

format:
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .
