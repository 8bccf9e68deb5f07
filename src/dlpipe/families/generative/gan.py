"""DVC stage train_gan: the GAN, its fixed-noise progress, and its samples judged."""

from __future__ import annotations

from dlpipe.datasets.mnist import load_splits
from dlpipe.families.generative import CLASSIFIER_FILE, MNIST, REPORTS, trained_on
from dlpipe.families.generative.judge import load_judge, score_headline
from dlpipe.reporting.generative_outputs import GAN_OUTPUTS, write_gan_outputs
from dlpipe.serving.pyfunc import register_sampler
from dlpipe.serving.registry import GAN
from dlpipe.stage import Stage
from dlpipe.training.gan import train_gan


def train_gan_stage(stage: Stage) -> None:
    """Train for `gan.max_epochs` (manual optimisation, alternating D and G steps), then score
    `scores.samples` fresh samples against the real test set with the judge."""
    params = stage.params
    cfg = params.gan
    splits = load_splits(stage.path(MNIST))
    judge = load_judge(stage.path(CLASSIFIER_FILE), splits, params)
    folder = stage.out("models/gan")
    result = train_gan(splits, cfg, params.training, params.seed, stage.run, folder)
    if stage.run is not None:
        stage.run.log_history(result.history)  # every step, in as few calls as MLflow allows
    images = result.generate(params.scores.samples, params.seed)
    samples = judge.score(images)
    validation = {
        "val/frechet_distance": judge.scorer.frechet_distance(
            images, judge.scorer.feature_stats(splits.val_x)
        ),
        "images": len(images),
    }
    if stage.run is not None:
        register_sampler(stage.run, GAN, result.checkpoint)
    stage.write_headline(
        f"{REPORTS}/gan/metrics.json",
        {
            **score_headline(samples, judge.real),
            "data/train": trained_on(len(splits.train_y), cfg.train_limit),
            "data/epochs": cfg.max_epochs,
        },
    )
    kind = "An MLP GAN" if cfg.kind == "mlp" else "A DCGAN"
    description = (
        f"{kind} (noise {cfg.noise_dim}), Adam lr G {cfg.lr_g:g} / D {cfg.lr_d:g}, "
        f"batch {cfg.batch_size}, {cfg.max_epochs} epochs, {cfg.d_steps} discriminator step(s) "
        f"per generator step, real label {cfg.real_label:g}; trained on the "
        f"{trained_on(len(splits.train_y), cfg.train_limit)} training images without their "
        "labels."
    )
    if cfg.ema_decay:
        description += (
            f" Grids and samples come from a moving average of the generator's weights (decay "
            f"{cfg.ema_decay:g})."
        )
    if cfg.codes:
        description += (
            f" InfoGAN-style (Chen et al. 2016), still unconditional: {cfg.codes} of the noise "
            "values carry a categorical code that a second discriminator head must recover from "
            f"the image (weight {cfg.info_weight:g}), so the categories split the data into "
            "distinct modes without any label and fewer samples fall between two classes."
        )
    write_gan_outputs(
        result.history,
        result.frames,
        images[: cfg.grid_size],
        samples,
        judge.real,
        description,
        judge.class_names,
        {name: stage.out(f"{REPORTS}/gan/{name}") for name in GAN_OUTPUTS},
        validation=validation,
    )
