"""DVC stage compare_optimizers: the optimizers train the same MLP on MNIST."""

from __future__ import annotations

from dlpipe.evaluation.classification_tests import mcnemar_exact
from dlpipe.evaluation.verdicts import verdict
from dlpipe.reporting.headline import headline
from dlpipe.reporting.optimizer_outputs import CURVE_FILES, write_comparison
from dlpipe.serving.registry import register_optimizer_model
from dlpipe.stage import Stage
from dlpipe.training.optimizer_comparison import compare_optimizers as train_all

REPORTS = "reports/optimizers"
BASELINE = "sgd"  # the course's plain gradient descent: what every other rule should improve on


def compare_optimizers(stage: Stage) -> None:
    """The seven optimizers train the same MLP on MNIST: same weights, batches and budget. The
    one with the best validation accuracy is compared with plain SGD on the test images."""
    cfg, params = stage.params.compare_optimizers, stage.params
    assert stage.run is not None, "compare_optimizers needs its MLflow run (a child per optimizer)"
    comparison = train_all(
        stage.root,
        stage.run,
        stage.path("data/raw/mnist.npz"),
        stage.out("models/optimizers"),
        cfg,
        params.training,
        params.seed,
    )
    results = comparison.results
    rows = [
        {
            "name": r.name,
            "test/acc": r.test_acc,
            "val/acc": r.val_acc,
            "test/loss": r.test_loss,
            "seconds": r.seconds,
            "error": r.error,
        }
        for r in results
    ]
    names = (*CURVE_FILES, "loss_curves.png", "comparison.md", "comparison.json")
    targets = {name: stage.out(f"{REPORTS}/{name}") for name in names}
    write_comparison(
        rows, {r.name: r.history for r in results}, cfg.epochs, cfg.hidden_sizes, targets
    )
    best = comparison.best()
    register_optimizer_model(stage.run, best.name)
    base = next(r for r in results if r.name == BASELINE) if BASELINE in cfg.optimizers else best
    test = mcnemar_exact(comparison.test_labels, best.test_predictions, base.test_predictions)
    stage.run.set_tags({"dlpipe.best_model": best.name, "dlpipe.baseline": base.name})
    stage.write_headline(
        f"{REPORTS}/metrics.json",
        headline(
            model={"accuracy": best.test_acc, "loss": best.test_loss},
            baseline={"accuracy": base.test_acc, "loss": base.test_loss},
            comparison={
                "error_ratio": (1 - best.test_acc) / max(1 - base.test_acc, 1e-12),
                "p_value": test.p_value,
                "verdict": verdict(test.p_value, test.only_a > test.only_b),
                "optimizers/diverged": sum(r.error is not None for r in results),
            },
            data=dict(comparison.counts),
        ),
    )
