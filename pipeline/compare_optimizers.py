"""DVC stage compare_optimizers: the seven optimizers train the same MLP on MNIST."""

from __future__ import annotations

import math

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.tables import wide_csv
from dlpipe.training.optimizer_comparison import compare_optimizers


def main() -> None:
    params = load_params()
    root = paths.project_root()
    cfg = params.compare_optimizers
    reports = paths.reports_dir(root) / "optimizers"
    with atomic_dir(paths.models_dir(root) / "optimizers") as checkpoints:
        results = compare_optimizers(
            root,
            paths.data_raw(root) / "mnist.npz",
            checkpoints,
            cfg,
            params.training,
            params.seed,
            {"seed": params.seed, "training": as_plain(params.training), **as_plain(cfg)},
        )
    curves = {r.name: r.history for r in results}
    for key in ("train/loss", "val/loss", "val/acc"):
        columns = {r.name: r.history[key] for r in results}
        write_text(reports / f"{key.replace('/', '_')}.csv", wide_csv("epoch", columns, start=1))
    plot_curves(
        curves,
        ("train/loss", "val/loss"),
        reports / "loss_curves.png",
        f"{len(results)} optimizers, same MLP, same batches",
    )
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
