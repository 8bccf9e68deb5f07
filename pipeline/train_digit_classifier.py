"""DVC stage train_digit_classifier: the CNN that judges the VAE's and the GAN's images.

Reads data/raw/mnist.npz (fetch_mnist: MNIST or any IDX set); the classifier goes to
models/digit_classifier/model.pt, and the real test set's scores to its metrics.
"""

from dlpipe.families.generative.classifier import train_classifier
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_digit_classifier",
    family="generative",
    params=("seed", "training", "digit_classifier", "scores"),
    outputs=(
        "models/digit_classifier/",
        "reports/generative/classifier/learning_curves.csv",
        "reports/generative/classifier/details.json",
        "reports/generative/classifier/report.md",
        "reports/generative/classifier/metrics.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_classifier)
