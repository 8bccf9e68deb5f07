"""DVC stage train_gan: the generative adversarial network, its progress GIF and judged samples.

Reads data/raw/mnist.npz and the judge (models/digit_classifier/model.pt); the trained module
goes to models/gan/ (last.ckpt is what `dlpipe sample --model gan` loads).
"""

from dlpipe.families.generative.gan import train_gan_stage
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_gan",
    family="generative",
    params=("seed", "training", "gan", "digit_classifier.score_batch", "scores"),
    outputs=(
        "models/gan/",
        "reports/generative/gan/losses.csv",
        "reports/generative/gan/losses.png",
        "reports/generative/gan/progress/",
        "reports/generative/gan/progress.gif",
        "reports/generative/gan/samples.png",
        "reports/generative/gan/class_histogram.png",
        "reports/generative/gan/details.json",
        "reports/generative/gan/report.md",
        "reports/generative/gan/metrics.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_gan_stage)
