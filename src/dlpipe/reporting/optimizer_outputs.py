"""Everything compare_optimizers leaves in reports/optimizers: curves, metrics, the page."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlpipe.atomic import write_json, write_text
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.optimizer_report import comparison_markdown
from dlpipe.reporting.tables import wide_csv

CURVE_FILES = {"train_loss.csv": "train/loss", "val_loss.csv": "val/loss", "val_acc.csv": "val/acc"}


def write_comparison(
    rows: Sequence[Mapping[str, object]],
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    epochs: int,
    hidden_sizes: Sequence[int],
    targets: Mapping[str, Path],
) -> None:
    """`rows`: name, test/acc, test/loss, seconds, error per optimizer (the seconds go to each
    child run only: a timing in a tracked file would differ on every rerun). `targets` maps each
    output name (the CSVs, loss_curves.png, comparison.md, comparison.json) to its path."""
    for file_name, key in CURVE_FILES.items():
        columns = {name: history.get(key, ()) for name, history in curves.items()}
        write_text(targets[file_name], wide_csv("epoch", columns, start=1))
    plot_curves(
        curves,
        ("train/loss", "val/loss"),
        targets["loss_curves.png"],
        f"{len(rows)} optimizers, same MLP, same batches",
    )
    page_rows = [
        {**row, "train/loss": _last(curves[str(row["name"])].get("train/loss", ()))} for row in rows
    ]
    write_text(targets["comparison.md"], comparison_markdown(page_rows, epochs, hidden_sizes))
    write_json(
        targets["comparison.json"],
        {
            str(row["name"]): {
                "test/loss": _finite(float(row["test/loss"])),  # type: ignore[arg-type]
                "test/accuracy": _finite(float(row["test/acc"])),  # type: ignore[arg-type]
                "val/accuracy": _finite(float(row["val/acc"])),  # type: ignore[arg-type]
                "error": row["error"],
            }
            for row in rows
        },
    )


def _last(values: Sequence[float]) -> float:
    return values[-1] if values else math.nan


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
