"""DVC stage compare_optimizers: the seven optimizers train the same MLP on MNIST."""

from __future__ import annotations

import math
from pathlib import Path

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.optimizer_report import comparison_markdown
from dlpipe.reporting.tables import wide_csv
from dlpipe.tracking import start_run
from dlpipe.training.optimizer_comparison import (
    FAMILY,
    STAGE,
    OptimizerResult,
    compare_optimizers,
)

CURVE_FILES = {"train_loss.csv": "train/loss", "val_loss.csv": "val/loss", "val_acc.csv": "val/acc"}


def main() -> None:
    params = load_params()
    root = paths.project_root()
    cfg = params.compare_optimizers
    reports = paths.reports_dir(root) / "optimizers"
    tracked = {"seed": params.seed, "training": as_plain(params.training), **as_plain(cfg)}
    with (
        start_run(root, FAMILY, STAGE, tracked) as parent,
        atomic_dir(paths.models_dir(root) / "optimizers") as checkpoints,
    ):
        results = compare_optimizers(
            root,
            parent,
            paths.data_raw(root) / "mnist.npz",
            checkpoints,
            cfg,
            params.training,
            params.seed,
        )
        write_reports(results, reports, cfg.epochs, cfg.hidden_sizes)
        for name in (*CURVE_FILES, "loss_curves.png", "compare_metrics.json", "comparison.md"):
            parent.log_artifact(reports / name, "comparison")


def write_reports(
    results: list[OptimizerResult], reports: Path, epochs: int, hidden_sizes: tuple[int, ...]
) -> None:
    """The curves (CSV for `dvc plots`, one PNG), the metrics DVC compares, the readable page."""
    curves = {r.name: r.history for r in results}
    for file_name, key in CURVE_FILES.items():
        columns = {r.name: r.history[key] for r in results}
        write_text(reports / file_name, wide_csv("epoch", columns, start=1))
    plot_curves(
        curves,
        ("train/loss", "val/loss"),
        reports / "loss_curves.png",
        f"{len(results)} optimizers, same MLP, same batches",
    )
    rows = [
        {
            "name": r.name,
            "test/acc": r.test_acc,
            "test/loss": r.test_loss,
            "train/loss": r.history["train/loss"][-1] if r.history["train/loss"] else math.nan,
            "seconds": r.seconds,
            "error": r.error,
        }
        for r in results
    ]
    write_text(reports / "comparison.md", comparison_markdown(rows, epochs, hidden_sizes))
    write_json(
        reports / "compare_metrics.json",
        {
            r.name: {
                "test/loss": _finite(r.test_loss),
                "test/acc": _finite(r.test_acc),
                "train/seconds": round(r.seconds, 2),
                "diverged": r.error is not None,
            }
            for r in results
        },
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


if __name__ == "__main__":
    main()
