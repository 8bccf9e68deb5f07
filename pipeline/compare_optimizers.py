"""DVC stage compare_optimizers: the seven optimizers train the same MLP on MNIST.

Reads data/raw/mnist.npz; a child MLflow run per optimizer under the stage's run.
"""

from dlpipe.families.optimizers.compare import compare_optimizers
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="compare_optimizers",
    family="optimizers",
    params=("seed", "training", "compare_optimizers"),
    outputs=(
        "models/optimizers/",
        "reports/optimizers/train_loss.csv",
        "reports/optimizers/val_loss.csv",
        "reports/optimizers/val_acc.csv",
        "reports/optimizers/comparison.md",
        "reports/optimizers/comparison.json",
        "reports/optimizers/metrics.json",
        "reports/optimizers/loss_curves.png",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, compare_optimizers)
