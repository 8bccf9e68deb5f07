"""DVC stage train_vae: the variational autoencoder, its ELBO, pictures and judged samples.

Reads data/raw/mnist.npz and the judge (models/digit_classifier/model.pt); the trained module
goes to models/vae/ (best.ckpt is what `dlpipe sample --model vae` loads).
"""

from dlpipe.families.generative.vae import train_vae_stage
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_vae",
    family="generative",
    params=("seed", "training", "vae", "digit_classifier.score_batch", "scores"),
    outputs=(
        "models/vae/",
        "reports/generative/vae/learning_curves.csv",
        "reports/generative/vae/reconstructions.png",
        "reports/generative/vae/samples.png",
        "reports/generative/vae/interpolation.png",
        "reports/generative/vae/latent_map.png",
        "reports/generative/vae/class_histogram.png",
        "reports/generative/vae/details.json",
        "reports/generative/vae/report.md",
        "reports/generative/vae/metrics.json",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_vae_stage)
