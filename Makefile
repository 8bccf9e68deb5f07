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

.PHONY: setup repro test browser check-report lint bench ui dashboard clean lock metrics compare diff plots exp stages params seed-study face-detectors crawl-load repro-gpu repro-profile serve postgres push pull

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps \
		--no-build-isolation -e .
	touch $(STAMP)

repro: $(STAMP)
	dvc repro

# `make repro-gpu`: the pipeline with params.gpu.yaml on top of params.yaml, as one DVC
# experiment in a temporary copy (params.yaml stays as it is; `dvc exp apply` takes the results).
# `make repro-profile PROFILE=params.fashion.yaml` does the same with any profile.
PROFILE ?= params.gpu.yaml
repro-gpu: PROFILE = params.gpu.yaml
repro-gpu repro-profile: $(STAMP)
	args="$$(python -m dlpipe.config.overrides set-args $(PROFILE))" && \
		eval "dvc exp run --temp $$args"
	@echo "compare it with the workspace: make compare FAMILY=<family>"

test: $(STAMP) browser postgres
	ruff check .
	python -m pytest

# Debian's chromium + chromium-driver for the report's browser test and check: installed when
# missing and this user may (root or passwordless sudo); otherwise it says which command to run.
browser:
	bash scripts/ensure_chromium.sh

# Debian's postgresql (initdb, pg_ctl) for the scale-out tests, which start a private cluster on
# 127.0.0.1: installed when missing (root or passwordless sudo); otherwise it says what to run.
postgres:
	bash scripts/ensure_postgres.sh

# Share the DVC-cached outputs (data, models) without rerunning: `make push` to the default remote
# (or REMOTE=name), `make pull` in another clone; `dvc remote add -d NAME URL` sets the default
# (docs/operations.md, "Sharing and scaling out").
push: $(STAMP)
	dvc push $(if $(REMOTE),-r $(REMOTE))

pull: $(STAMP)
	dvc pull $(if $(REMOTE),-r $(REMOTE))

# The built report (reports/index.html, after `make repro`) in headless Chromium: every image
# loaded, no console error, nothing fetched from the network; the full-page screenshot goes to
# $(REPORT_SHOT) (gitignored). CI runs it after the pipeline.
REPORT_SHOT ?= build/report.png
check-report: $(STAMP) browser
	PYTHONPATH=src python -m dlpipe.reporting.browser_check reports/index.html \
		--screenshot $(REPORT_SHOT)

# `make exp SET="stocks.series=aapl face_split.source=file"`: one DVC experiment in a temporary
# copy (runs still land in this checkout's mlruns/); `make compare` then shows it beside the rest.
exp: $(STAMP)
	dvc exp run --temp $(foreach s,$(SET),-S '$(s)')
	@echo "compare it with the workspace: make compare FAMILY=<family> KEEP='<changed param>'"

# Every server here (serve, ui, dashboard) listens on loopback only. `make ui BIND_HOST=0.0.0.0`
# opens one to the network, on purpose: `:=` lets only the command line change it, never an
# environment variable (zsh sets HOST to the machine's name). docs/operations.md, Security.
BIND_HOST := 127.0.0.1

# A registered model behind MLflow's REST scoring server on loopback:
# `make serve FAMILY=faces` then POST {"dataframe_split": ...} to /invocations (README).
FAMILY ?= faces
SERVE_PORT ?= 5001
# The latest version's files are checked against the sha256 pinned at registration first
# (dlpipe.serving.verified_model): MLflow's server unpickles the model it is given.
serve: $(STAMP)
	export MLFLOW_TRACKING_URI=sqlite:///$(abspath $(MLRUNS))/mlflow.db && \
		folder="$$(python -m dlpipe.serving.verified_model dlpipe-$(FAMILY))" && \
		mlflow models serve -m "$$folder" --env-manager local -h $(BIND_HOST) -p $(SERVE_PORT)

# One table per family (each fits 200 columns; one table of all four would be 500 wide).
metrics: $(STAMP)
	for file in reports/*/metrics.json reports/*/*/metrics.json; do dvc metrics show --precision 4 $$file; echo; done

# Experiments side by side for one family (`make compare FAMILY=stock_lstm KEEP=stock_lstm.window`):
# its headline test metric, the baseline's and the verdict (1, 0, -1), plus any columns KEEP
# names (a regular expression); `--drop '.*'` hides the 300-odd params. Fits 200 columns.
REPORTS_optimizers := optimizers
REPORTS_stock_lstm := stocks
REPORTS_recommender := recommender
REPORTS_faces := faces
REPORTS_classifiers := classifiers
REPORTS_vae := generative/vae
REPORTS_gan := generative/gan
PRIMARY_optimizers := accuracy
PRIMARY_stock_lstm := rmse
PRIMARY_recommender := rmse
PRIMARY_faces := accuracy
PRIMARY_classifiers := roc_auc
PRIMARY_vae := neg_elbo
PRIMARY_gan := inception_score
KEEP ?= $$^
compare: $(STAMP)
	dvc exp show --md --precision 4 --drop '.*' --keep 'Experiment|$(KEEP)|reports/$(REPORTS_$(FAMILY))/metrics.json:((test|cv|baseline|samples|real)/$(PRIMARY_$(FAMILY))|verdict)$$'

plots: $(STAMP)
	dvc plots show

# What changed against a commit or experiment (`make diff REV=HEAD~1`): headline numbers, then a
# page of every plot, old and new overlaid (dvc_plots/index.html).
REV ?= HEAD
diff: $(STAMP)
	dvc metrics diff $(REV)
	dvc plots diff $(REV)

stages: $(STAMP)
	dlpipe stages

params: $(STAMP)
	dlpipe params check

seed-study: $(STAMP)
	python benchmarks/face_seed_study.py

# Haar vs dlib's HOG detector on the same photos and split (acceptance, downstream accuracy).
face-detectors: $(STAMP)
	python benchmarks/face_detectors.py

# Issue 15: crawl + face extraction of a 500/1,000/2,000-image local gallery (throughput, memory).
crawl-load: $(STAMP)
	python benchmarks/crawl_load.py

lint: $(STAMP)
	ruff check .

bench: $(STAMP)
	python benchmarks/lightning_overhead.py
	python benchmarks/noop_repro.py
	python benchmarks/stage_times.py

# The MLflow UI over the pipeline's store, on loopback only. Job execution off: MLflow's job
# consumers (GenAI features) would start 8 more processes holding about 1.8 GB.
UI_PORT ?= 5000
UI_WORKERS ?= 2  # one person browsing; MLflow's default of 4 holds 0.5 GB more
MLRUNS ?= mlruns
ui: $(STAMP)
	mkdir -p $(MLRUNS)
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ui \
		--backend-store-uri sqlite:///$(abspath $(MLRUNS))/mlflow.db \
		--default-artifact-root $(abspath $(MLRUNS))/artifacts \
		--host $(BIND_HOST) --port $(UI_PORT) --workers $(UI_WORKERS)

# The Optuna studies (every family's, in params' tuning storage: the journal file by default) in
# optuna-dashboard, on loopback only; `make dashboard DASHBOARD_PORT=8081` for another port.
DASHBOARD_PORT ?= 8080
dashboard: $(STAMP)
	storage="$$(python -m dlpipe.tuning.storage)" && \
		optuna-dashboard --host $(BIND_HOST) --port $(DASHBOARD_PORT) "$$storage"

# Resolve requirements.in into the exact versions that install (torch without its +cpu tag).
lock: $(STAMP)
	$(VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^dlpipe' \
		| sed -E 's/^torch==([0-9.]+)\+cpu$$/torch==\1/' > requirements.lock

clean:
	rm -rf data/raw data/interim data/processed models reports mlruns tuning .pytest_cache .ruff_cache
	rm -rf $(VENV)
