# Curator: `make demo` runs the main job on the embedded default store;
# `make test` installs everything the tests need and runs them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: demo test system-deps venv bench clean

$(BIN)/curator: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/curator

venv: $(BIN)/curator

demo: venv
	$(BIN)/curator demo --dir $(DEMO_DIR)

system-deps:
	scripts/install-system-deps.sh

test: system-deps venv
	CURATOR_REQUIRE_BROWSER=1 scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/bootstrap_quality.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/teacher.py
	$(BIN)/python bench/review.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache bench/out
