# Charter — the two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8081
DATA_DIR ?= ./charter-data
# pytest-xdist workers: most tests wait on servers and fsyncs, so two workers fit two cores.
TEST_WORKERS ?= 2

.PHONY: serve test lint typecheck docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

serve: $(VENV)/.installed-run
	$(BIN)/charter serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: $(VENV)/.installed-test lint typecheck
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy compat registry sdk broker cli

docs: $(VENV)/.installed-test
	$(BIN)/python -c "from compat.catalog import render_markdown; print(render_markdown(), end='')" > docs/compatibility.md

bench: $(VENV)/.installed-test
	$(BIN)/python bench/compat.py
	$(BIN)/python bench/registry.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
