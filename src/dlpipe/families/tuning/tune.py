"""DVC stage tune@<family>: the family's Optuna study (resumed when unchanged), its best params,
headline numbers, details and plots."""

from __future__ import annotations

from typing import Any

from dlpipe.datasets import DatasetError
from dlpipe.families.tuning import REPORTS
from dlpipe.reporting.headline import skipped_headline
from dlpipe.reporting.tuning_outputs import (
    TUNE_FILES,
    numbers,
    write_best_params,
    write_details,
    write_study_plots,
)
from dlpipe.stage import Skipped, Stage, StageSpec
from dlpipe.tuning.objectives import OBJECTIVES
from dlpipe.tuning.storage import recorded_location
from dlpipe.tuning.study import StudySummary, open_study
from dlpipe.tuning.workers import tune


def tune_spec(family: str) -> StageSpec:
    """The StageSpec of tune@<family> (dvc.yaml's foreach entry says the same)."""
    reads = tuple(OBJECTIVES[family].reads)
    return StageSpec(
        name=f"tune@{family}",
        family=family,
        params=(
            "training",
            "tuning.storage",
            "tuning.journal",
            "tuning.pruner",
            f"tuning.families.{family}",
            *reads,
        ),
        outputs=tuple(f"{REPORTS}/{family}/{name}" for name in TUNE_FILES),
    )


def tune_family(stage: Stage, family: str) -> None:
    """Run the missing trials (the stage's MLflow run is the study's run, each trial a child),
    then write the study's outcome."""
    params, folder = stage.params, f"{REPORTS}/{family}"
    targets = {name: stage.out(f"{folder}/{name}") for name in TUNE_FILES}
    try:
        summary = tune(stage.root, params, family, parent=stage.run, stage=stage.spec.name)
    except DatasetError as exc:
        _skipped(stage, family, targets, str(exc))
        raise Skipped(str(exc)) from exc
    best = _best(summary)
    write_best_params(targets["best_params.yaml"], best)
    study = open_study(stage.root, params, family)
    notes = write_study_plots(study, targets, summary.counts["complete"])
    write_details(targets["details.json"], _details(summary, notes, stage, params))
    if stage.run is not None:
        stage.run.set_tags({"optuna.study": summary.name})
    metric = f"val/{summary.metric}"
    objective = OBJECTIVES[family]
    tuned = summary.best.value if summary.best else None
    default = summary.defaults.value if summary.defaults else None
    gain = objective.gain(tuned, default) if tuned is not None and default is not None else None
    stage.write_headline(
        f"{folder}/metrics.json",
        numbers(
            {
                f"tuned/{metric}": tuned,
                f"defaults/{metric}": default,
                "gain/val": gain if summary.tuned_is_better else 0.0,
                "tuned_better": summary.tuned_is_better,
                "trials/complete": summary.counts["complete"],
                "trials/pruned": summary.counts["pruned"],
                "trials/failed": summary.counts["fail"],
                # Epochs, not seconds: the headline must reproduce; details.json has the time.
                "pruning/epochs_not_run": summary.pruning.epochs_not_run,
            }
        ),
    )


def _best(summary: StudySummary) -> dict[str, Any]:
    best, defaults = summary.best, summary.defaults
    return {
        "family": summary.family,
        "study": summary.name,
        "metric": f"val/{summary.metric}",
        "direction": summary.direction,
        "better_than_defaults": summary.tuned_is_better,
        "best_trial": best.number if best else None,
        "best_value": best.value if best else None,
        "defaults_value": defaults.value if defaults else None,
        "params": dict(best.params) if best and summary.tuned_is_better else {},
    }


def _details(summary: StudySummary, notes: list[str], stage: Stage, params: Any) -> dict[str, Any]:
    pruning = summary.pruning
    return {
        "study": summary.name,
        "storage": recorded_location(stage.root, params.tuning),
        "metric": f"val/{summary.metric}",
        "direction": summary.direction,
        "trials_target": summary.target,
        "counts": dict(summary.counts),
        "better_than_defaults": summary.tuned_is_better,
        "best": _row(summary.best),
        "defaults": _row(summary.defaults),
        "pruning": {
            "pruned": pruning.pruned,
            "epochs_run_by_pruned": pruning.epochs_run,
            "epochs_not_run": pruning.epochs_not_run,
            "seconds_per_epoch_complete": pruning.seconds_per_epoch,
            "seconds_saved": pruning.seconds_saved,
            "estimate": "each pruned trial's epochs not run (up to the mean epochs of the "
            "complete trials) x the complete trials' mean seconds per epoch",
        },
        "trials": [_row(row) for row in summary.rows],
        "notes": notes,
    }


def _row(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "number": row.number,
        "state": row.state,
        "value": row.value,
        "params": dict(row.params),
        "epochs": row.epochs,
        "seconds": row.seconds,
        "defaults": row.defaults,
        "error": row.error,
    }


def _skipped(stage: Stage, family: str, targets: dict, reason: str) -> None:
    write_best_params(targets["best_params.yaml"], {"family": family, "skipped": reason})
    write_details(targets["details.json"], {"skipped": reason})
    write_study_plots(None, targets, complete=0)
    stage.write_headline(f"{REPORTS}/{family}/metrics.json", skipped_headline())
