# Curator: `make demo` runs the main job on the embedded default store;
# `make test` installs everything the tests need and runs them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-output
# Label Studio (the server the sync tests run against) lives in a venv of its own: it pins
# Django and friends, which Curator does not need.
LS_VENV := .venv-labelstudio
LS_VERSION := 1.23.2

.PHONY: demo test system-deps venv labelstudio bench clean

$(BIN)/curator: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# OCR with its models in the wheel; --no-deps: its needs are in pyproject.toml, with the
	# headless OpenCV instead of the GUI build (which needs libGL from apt).
	$(BIN)/pip install --quiet --no-deps 'rapidocr-onnxruntime==1.4.4'
	touch $(BIN)/curator

venv: $(BIN)/curator

$(LS_VENV)/bin/label-studio:
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install --quiet --upgrade pip
	$(LS_VENV)/bin/pip install --quiet "label-studio==$(LS_VERSION)"

labelstudio: $(LS_VENV)/bin/label-studio

demo: venv
	$(BIN)/curator demo --dir $(DEMO_DIR)

system-deps:
	scripts/install-system-deps.sh

test: system-deps venv labelstudio
	CURATOR_REQUIRE_BROWSER=1 CURATOR_LABEL_STUDIO=$(CURDIR)/$(LS_VENV)/bin/label-studio \
		scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

bench: venv labelstudio
	$(BIN)/python bench/cli_start.py
	$(BIN)/curator demo --dir $(DEMO_DIR) > /dev/null
	$(BIN)/python bench/dataset_truth.py --demo $(DEMO_DIR)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/bootstrap_quality.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/teacher.py
	$(BIN)/python bench/review.py
	CURATOR_LABEL_STUDIO=$(CURDIR)/$(LS_VENV)/bin/label-studio $(BIN)/python bench/labelstudio.py

clean:
	rm -rf $(VENV) $(LS_VENV) $(DEMO_DIR) .pytest_cache bench/out
