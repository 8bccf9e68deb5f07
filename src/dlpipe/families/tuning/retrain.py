"""DVC stage train_tuned@<family>: the family's model at full settings with the defaults and
with the study's best params, each scored once on the test split; the tuned params are kept
only when they beat the defaults on validation. The defaults' figures of vae and gan come from
train_vae / train_gan (already trained at full settings); `retrain_epochs` shortens a retrain
that does not fit the time budget (both are said in tuned.json)."""

from __future__ import annotations

from typing import Any

import yaml

from dlpipe.families.tuning import REPORTS
from dlpipe.reporting.headline import skipped_headline
from dlpipe.reporting.tuning_outputs import RETRAIN_FILES, numbers, write_details
from dlpipe.stage import Skipped, Stage, StageSpec
from dlpipe.tuning.objectives import OBJECTIVES
from dlpipe.tuning.retrain import Retrained, retrain


def train_tuned_spec(family: str) -> StageSpec:
    return StageSpec(
        name=f"train_tuned@{family}",
        family=family,
        params=("training", f"tuning.families.{family}", *OBJECTIVES[family].reads),
        outputs=tuple(f"{REPORTS}/{family}/{name}" for name in RETRAIN_FILES),
    )


def train_tuned(stage: Stage, family: str) -> None:
    folder = f"{REPORTS}/{family}"
    best = yaml.safe_load(stage.path(f"{folder}/best_params.yaml").read_text(encoding="utf-8"))
    if "skipped" in best:
        write_details(stage.out(f"{folder}/tuned.json"), {"skipped": best["skipped"]})
        stage.write_headline(f"{folder}/tuned_metrics.json", skipped_headline())
        raise Skipped(best["skipped"])
    result = retrain(stage.root, stage.params, family, best["params"], best["better_than_defaults"])
    write_details(stage.out(f"{folder}/tuned.json"), _details(result, best))
    metric = result.metric
    kept = result.kept == "tuned"
    stage.write_headline(
        f"{folder}/tuned_metrics.json",
        numbers(
            {
                f"defaults/val/{metric}": result.defaults.val,
                f"tuned/val/{metric}": result.tuned.val,
                f"defaults/test/{metric}": result.defaults.test,
                f"tuned/test/{metric}": result.tuned.test,
                "tuned_kept": kept,
                "gain/test": result.gain("test") if kept else 0.0,
            }
        ),
    )
    if stage.run is not None:
        stage.run.set_tags({"dlpipe.tuned_kept": result.kept, "optuna.study": best["study"]})


def _details(result: Retrained, best: dict[str, Any]) -> dict[str, Any]:
    def scores(s: Any) -> dict[str, Any]:
        return {"val": s.val, "test": s.test, **dict(s.extra)}

    return {
        "family": result.family,
        "study": best["study"],
        "metric": result.metric,
        "direction": result.direction,
        "kept": result.kept,
        "reason": result.reason,
        "gain": {"val": result.gain("val"), "test": result.gain("test")},
        "defaults": scores(result.defaults),
        "tuned": scores(result.tuned),
        "tuned_params": dict(result.tuned_params),
        "defaults_from": result.defaults_from,
        "tuned_trained": result.tuned_trained,
        "retrain_epochs": result.epochs,
        "length": _length_note(result),
        "tuning_fidelity": {
            "best_value": best["best_value"],
            "defaults_value": best["defaults_value"],
            "better_than_defaults": best["better_than_defaults"],
        },
    }


def _length_note(result: Retrained) -> str:
    """How long the compared models trained, in words."""
    if not result.tuned_trained:
        trained = "the tuned params were not trained (the study found nothing better)"
    elif result.epochs:
        trained = (
            f"the tuned params trained {result.epochs} epochs (tuning.families."
            f"{result.family}.retrain_epochs, shorter than the family's own length, to fit the "
            "time budget)"
        )
    else:
        trained = "the tuned params trained at the family's own settings"
    if result.defaults_from == "retrained here":
        length = f"{result.epochs} epochs" if result.epochs else "the family's own settings"
        return f"{trained}; the defaults were retrained here at {length}"
    source = result.defaults_from
    return f"{trained}; the defaults' figures are their own stage's, at full length ({source})"
