"""DVC stage compare_optimizers: the optimizers train the same MLP on MNIST."""

from __future__ import annotations

from dlpipe.reporting.optimizer_outputs import CURVE_FILES, write_comparison
from dlpipe.stage import Stage
from dlpipe.training.optimizer_comparison import compare_optimizers as train_all

REPORTS = "reports/optimizers"


def compare_optimizers(stage: Stage) -> None:
    """The seven optimizers train the same MLP on MNIST: same weights, batches and budget."""
    cfg, params = stage.params.compare_optimizers, stage.params
    assert stage.run is not None, "compare_optimizers needs its MLflow run (a child per optimizer)"
    results = train_all(
        stage.root,
        stage.run,
        stage.path("data/raw/mnist.npz"),
        stage.out("models/optimizers"),
        cfg,
        params.training,
        params.seed,
    )
    rows = [
        {
            "name": r.name,
            "test/acc": r.test_acc,
            "test/loss": r.test_loss,
            "seconds": r.seconds,
            "error": r.error,
        }
        for r in results
    ]
    names = (*CURVE_FILES, "loss_curves.png", "comparison.md", "compare_metrics.json")
    targets = {name: stage.out(f"{REPORTS}/{name}") for name in names}
    curves = {r.name: r.history for r in results}
    write_comparison(rows, curves, cfg.epochs, cfg.hidden_sizes, targets)
