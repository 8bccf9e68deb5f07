# Two commands on a fresh machine: `make repro` and `make test`. Both bootstrap .venv from the
# pinned requirements.lock first; a second run finds the stamp and installs nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# Stage commands in dvc.yaml call `python`: make it the venv's.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := true

.PHONY: setup repro test lint bench ui clean lock metrics plots exp stages params seed-study

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps \
		--no-build-isolation -e .
	touch $(STAMP)

repro: $(STAMP)
	dvc repro

test: $(STAMP)
	ruff check .
	python -m pytest

# `make exp SET="stocks.series=aapl face_split.source=file"`: one DVC experiment in a temporary
# copy (runs still land in this checkout's mlruns/), shown next to the workspace afterwards.
exp: $(STAMP)
	dvc exp run --temp $(foreach s,$(SET),-S '$(s)')
	dvc exp show --md --only-changed

metrics: $(STAMP)
	dvc metrics show

plots: $(STAMP)
	dvc plots show

stages: $(STAMP)
	dlpipe stages

params: $(STAMP)
	dlpipe params check

seed-study: $(STAMP)
	python benchmarks/face_seed_study.py

lint: $(STAMP)
	ruff check .

bench: $(STAMP)
	python benchmarks/lightning_overhead.py
	python benchmarks/noop_repro.py
	python benchmarks/stage_times.py

ui: $(STAMP)
	mkdir -p mlruns
	mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db \
		--default-artifact-root ./mlruns/artifacts --host 127.0.0.1 --port 5000

# Resolve requirements.in into the exact versions that install (torch without its +cpu tag).
lock: $(STAMP)
	$(VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^dlpipe' \
		| sed -E 's/^torch==([0-9.]+)\+cpu$$/torch==\1/' > requirements.lock

clean:
	rm -rf data/raw data/interim data/processed models reports mlruns .pytest_cache .ruff_cache
	rm -rf $(VENV)
