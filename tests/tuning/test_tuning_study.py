"""A family's study: resumed when unchanged, new when the space changes, failures recorded,
pruning on a real Lightning objective, and each trial a nested MLflow run."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from mlflow.tracking import MlflowClient
from tuning_helpers import read_raw, write_params, write_prices

from dlpipe.tracking import start_run, tracking_location
from dlpipe.tuning.storage import open_storage, study_names
from dlpipe.tuning.study import (
    ERROR_ATTR,
    STALE_ATTR,
    WORKER_ATTR,
    open_study,
    prepare,
    study_name,
)
from dlpipe.tuning.workers import tune


def test_a_rerun_resumes_and_a_changed_space_starts_a_new_study(project: Path) -> None:
    raw = read_raw(project)
    params = write_params(project, raw)
    first = tune(project, params, "classifiers")
    assert first.counts["complete"] + first.counts["pruned"] == 3
    assert first.defaults is not None and first.defaults.number == 0

    again = tune(project, params, "classifiers")  # everything done: no trial added
    assert again.name == first.name
    assert [r.number for r in again.rows] == [0, 1, 2]
    assert [r.state for r in again.rows] == [r.state for r in first.rows]

    more = tune(project, params, "classifiers", trials=4)  # one more, in the same study
    assert more.name == first.name and [r.number for r in more.rows] == [0, 1, 2, 3]

    raw["tuning"]["families"]["classifiers"]["space"]["classifiers.ann.hidden_units"]["high"] = 32
    changed = tune(project, write_params(project, raw), "classifiers")
    assert changed.name != first.name
    assert len(changed.rows) == 3
    assert set(study_names(open_storage(project, params.tuning))) == {first.name, changed.name}


def test_a_failing_trial_is_recorded_with_its_error_and_the_study_goes_on(project: Path) -> None:
    raw = read_raw(project)
    # Every drawn trial sets a dropout that params refuse; trial 0 keeps the defaults' 0.2.
    raw["tuning"]["families"]["classifiers"]["space"] = {
        "classifiers.ann.dropout": {"choices": [1.5]}
    }
    params = write_params(project, raw)
    summary = tune(project, params, "classifiers")
    assert [r.state for r in summary.rows] == ["COMPLETE", "FAIL", "FAIL"]
    assert all("classifiers.ann.dropout: must be < 1" in r.error for r in summary.rows[1:])
    trial = open_study(project, params, "classifiers").trials[1]
    assert "must be < 1" in trial.user_attrs[ERROR_ATTR]
    assert summary.best is summary.defaults or summary.best.number == 0
    assert not summary.tuned_is_better


def test_the_pruner_cuts_trials_of_a_lightning_objective(project: Path) -> None:
    write_prices(project)
    raw = read_raw(project)
    raw["tuning"]["families"] = {
        "stock_lstm": {
            "trials": 3,
            "timeout_s": 600,
            "max_epochs": 4,
            # trial 0 learns at the defaults' lr 0.01; every later trial barely moves
            "space": {"stock_lstm.optimizer_hyper.lr": {"choices": [0.01, 0.000001]}},
        }
    }
    params = write_params(project, raw)
    study = open_study(project, params, "stock_lstm")
    study.enqueue_trial(
        {"stock_lstm.optimizer_hyper.lr": 0.01}, user_attrs={"dlpipe.defaults": True}
    )
    for _ in range(2):
        study.enqueue_trial({"stock_lstm.optimizer_hyper.lr": 0.000001})
    summary = tune(project, params, "stock_lstm")
    states = [r.state for r in summary.rows]
    assert states[0] == "COMPLETE" and "PRUNED" in states, states
    pruned = [r for r in summary.rows if r.state == "PRUNED"]
    assert all(r.epochs < 4 for r in pruned)
    assert summary.pruning.pruned == len(pruned)
    assert summary.pruning.seconds_saved > 0


def test_every_trial_is_a_nested_mlflow_run_of_the_study_run(project: Path) -> None:
    params = write_params(project, read_raw(project))
    with start_run(project, "classifiers", "tune@classifiers", {}) as parent:
        summary = tune(project, params, "classifiers", parent=parent, stage="tune@classifiers")
    client = MlflowClient(tracking_location(project).uri)
    experiment = client.get_experiment_by_name("classifiers")
    children = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{parent.run_id}'",
    )
    assert sorted(run.info.run_name for run in children) == ["trial 0", "trial 1", "trial 2"]
    by_number = {int(run.data.tags["optuna.trial"]): run for run in children}
    for row in summary.rows:
        run = by_number[row.number]
        assert run.data.tags["optuna.state"] == row.state
        assert run.data.tags["optuna.study"] == summary.name
        assert run.data.params["trial"] == str(row.number)
        assert run.data.metrics["trial/seconds"] > 0
        if row.state == "COMPLETE":
            assert run.data.metrics["val/roc_auc"] == row.value
    assert by_number[0].data.tags["dlpipe.defaults"] == "True"


def test_changed_input_data_names_a_new_study(project: Path) -> None:
    raw = read_raw(project)
    raw["tuning"]["families"] = {
        "stock_lstm": {
            "trials": 1,
            "timeout_s": 60,
            "max_epochs": 1,
            "space": {"stock_lstm.dropout": {"low": 0.0, "high": 0.5}},
        }
    }
    params = write_params(project, raw)
    write_prices(project, seed=0)
    before = study_name(project, params, "stock_lstm")
    assert study_name(project, params, "stock_lstm") == before
    write_prices(project, seed=1)
    assert study_name(project, params, "stock_lstm") != before


def test_a_trial_left_running_by_a_dead_process_is_failed_and_replaced(project: Path) -> None:
    params = write_params(project, read_raw(project))
    study = open_study(project, params, "classifiers")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    trial = study.ask()
    trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{dead.pid}")

    assert prepare(study, params, "classifiers", 3) == 3  # the dead trial does not count
    stale = study.trials[0]
    assert stale.state.name == "FAIL" and stale.user_attrs[STALE_ATTR]
    summary = tune(project, params, "classifiers")
    assert len(summary.rows) == 4 and summary.counts["fail"] == 1
    assert summary.defaults is not None and summary.defaults.number == 1
