"""The tuning stages' files: best params (YAML), headline numbers, details, Optuna's plots.

Headline keys name the family's figure (`tuned/val/rmse`, `defaults/val/rmse`), so every
family's file reads alone; `gain/...` is positive when the tuned params are better, whatever
the direction. Details (every trial, the pruning estimate, notes) go to details.json.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from dlpipe.atomic import atomic_path, write_json, write_text

TUNE_FILES = (
    "best_params.yaml",
    "metrics.json",
    "details.json",
    "history.png",
    "importances.png",
    "slices.png",
)
RETRAIN_FILES = ("tuned.json", "tuned_metrics.json")
MIN_TRIALS_FOR_IMPORTANCE = 2


def numbers(values: Mapping[str, float | int | bool | None]) -> dict[str, float]:
    """Headline values: booleans as 1/0, non-finite and missing ones left out."""
    out: dict[str, float] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, int) or math.isfinite(value):
            out[key] = value
    return out


def write_best_params(target: Path, best: Mapping[str, Any]) -> None:
    text = (
        "# The tuning stage's result: the best trial's params (dotted keys, as `-S` takes them)\n"
        "# and whether they beat the defaults on validation; train_tuned applies them only then.\n"
    )
    write_text(target, text + yaml.safe_dump(dict(best), sort_keys=False, width=100))


def write_details(target: Path, details: Mapping[str, Any]) -> None:
    write_json(target, dict(details))


def write_study_plots(study: Any, targets: Mapping[str, Path], complete: int) -> list[str]:
    """Optuna's optimisation history, parameter importances and slice plots as PNGs; returns
    notes on what could not be drawn (a PNG saying so is written in its place)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from optuna.exceptions import ExperimentalWarning
    from optuna.visualization import matplotlib as optuna_plots

    notes = []
    plots = {
        "history.png": optuna_plots.plot_optimization_history,
        "importances.png": optuna_plots.plot_param_importances,
        "slices.png": optuna_plots.plot_slice,
    }
    for name, plot in plots.items():
        reason = ""
        if complete == 0:
            reason = "no complete trial yet"
        elif name == "importances.png" and complete < MIN_TRIALS_FOR_IMPORTANCE:
            reason = (
                f"parameter importances need at least {MIN_TRIALS_FOR_IMPORTANCE} complete "
                f"trials (the study has {complete})"
            )
        if not reason:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ExperimentalWarning)
                    warnings.filterwarnings("ignore", message=".*tight_layout")
                    figure = _figure(plot(study))
                    figure.set_size_inches(max(figure.get_size_inches()[0], 8), 5)
                    figure.tight_layout()
                with atomic_path(targets[name]) as tmp:
                    figure.savefig(tmp, format="png", dpi=90)
                plt.close(figure)
                continue
            except (ValueError, RuntimeError) as exc:
                reason = f"{name}: {exc}"
        notes.append(reason)
        _message_png(targets[name], reason)
    return notes


def _figure(drawn: Any) -> Any:
    axes = drawn.flat[0] if hasattr(drawn, "flat") else drawn
    return axes.figure


def _message_png(target: Path, message: str) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 1.5))
    figure.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format="png", dpi=90)
