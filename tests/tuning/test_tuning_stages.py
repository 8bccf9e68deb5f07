"""The stage bodies of tune@<family> and train_tuned@<family> write every declared output."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tuning_helpers import read_raw, write_params

from dlpipe.families.tuning.retrain import train_tuned, train_tuned_spec
from dlpipe.families.tuning.tune import tune_family, tune_spec
from dlpipe.stage import temporary_stage


def test_tune_then_train_tuned_write_their_outputs(project: Path) -> None:
    params = write_params(project, read_raw(project))
    with temporary_stage(tune_spec("classifiers"), params, project) as stage:
        tune_family(stage, "classifiers")
    folder = project / "reports" / "tuning" / "classifiers"
    for name in tune_spec("classifiers").output_paths():
        assert (project / name).is_file(), name
    best = yaml.safe_load((folder / "best_params.yaml").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert best["study"].startswith("classifiers-")
    assert metrics["trials/complete"] + metrics["trials/pruned"] == 3
    assert metrics["tuned_better"] == int(best["better_than_defaults"])
    assert "pruning/epochs_not_run" in metrics  # a count: the headline reproduces
    assert not any("seconds" in key for key in metrics)  # timings live in details.json
    assert bool(best["params"]) == best["better_than_defaults"]

    with temporary_stage(train_tuned_spec("classifiers"), params, project) as stage:
        train_tuned(stage, "classifiers")
    tuned = json.loads((folder / "tuned.json").read_text(encoding="utf-8"))
    headline = json.loads((folder / "tuned_metrics.json").read_text(encoding="utf-8"))
    assert tuned["kept"] in ("tuned", "defaults") and tuned["reason"]
    assert set(headline) >= {
        "defaults/val/roc_auc",
        "tuned/val/roc_auc",
        "defaults/test/roc_auc",
        "tuned/test/roc_auc",
        "tuned_kept",
        "gain/test",
    }
    if tuned["kept"] == "defaults":
        assert headline["gain/test"] == 0
    else:
        assert headline["tuned/val/roc_auc"] > headline["defaults/val/roc_auc"]
