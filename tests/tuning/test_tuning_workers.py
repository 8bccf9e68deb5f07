"""`dlpipe tune FAMILY --workers 2`: two processes share one study's trials, none lost or run
twice, on the journal storage (no "database is locked") and on PostgreSQL (a private cluster:
what workers on several machines share), its password in a libpq password file, not params."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from tuning_helpers import read_raw, write_params

from dlpipe.cli import main
from dlpipe.tracking import tracking_location
from dlpipe.tuning.study import WORKER_ATTR, open_study


@pytest.mark.slow
@pytest.mark.parametrize("storage", ["journal", "postgresql"])
def test_two_workers_share_the_trials_of_one_study(
    project: Path,
    storage: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    raw = read_raw(project)
    if storage == "postgresql":
        cluster = request.getfixturevalue("postgres")
        cluster.create_database("optuna_workers")
        raw["tuning"]["storage"] = cluster.url("optuna_workers", with_password=False)
        monkeypatch.setenv("PGPASSFILE", str(cluster.write_pgpass(project / "pgpass")))
    params = write_params(project, raw)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2] / "src"))

    assert main(["tune", "classifiers", "--workers", "2", "--trials", "6"]) == 0

    said = capsys.readouterr().out
    assert said.startswith("classifiers: study classifiers-"), said
    trials = open_study(project, params, "classifiers").trials
    assert sorted(t.number for t in trials) == list(range(6))  # each number once: none twice
    assert all(t.state.is_finished() for t in trials)  # none lost or left running
    assert not [t.user_attrs.get("error") for t in trials if t.user_attrs.get("error")]
    workers = Counter(t.user_attrs[WORKER_ATTR] for t in trials)
    assert sorted(workers.values()) == [3, 3], workers  # two processes, three trials each
    client = MlflowClient(tracking_location(project).uri)
    experiment = client.get_experiment_by_name("classifiers")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and len(runs) == 7  # the command's run and one child per trial
    journal = project / raw["tuning"]["journal"]
    if storage == "postgresql":  # the trials are PostgreSQL's rows; no journal was written
        assert not journal.exists()
        rows = cluster.run_sql("optuna_workers", "SELECT number, state FROM trials ORDER BY number")
        assert [int(n) for n, _ in rows] == list(range(6))
        assert {state for _, state in rows} <= {"COMPLETE", "PRUNED"}, rows
    else:
        assert journal.is_file()


def test_an_unknown_family_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    assert main(["tune", "gan"]) == 2
    assert (
        "no tuning for 'gan' in params.yaml (tuning.families: classifiers)"
        in capsys.readouterr().err
    )
