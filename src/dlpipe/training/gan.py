"""The GAN end to end: build the chosen networks, train with manual optimisation, return the
generator with its per-step curves and per-epoch fixed-noise images.

`training.fit.fit` is not used: it checkpoints and restores the best epoch by a validation loss,
and a GAN has none (neither player's loss says how good the samples are). The Trainer still comes
from `build_trainer`, so seeds, threads, quiet logging and the per-epoch log line match every
other family; the final weights are saved once, as `last.ckpt`, loadable with
`GANModule.load_from_checkpoint` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_gan import GanConfig
from dlpipe.data.mnist_data import limit_training, to_tensors
from dlpipe.data.tensor_data import TensorPairs, tensor_loader
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.models.components.gan_nets import (
    DcganDiscriminator,
    DcganGenerator,
    MlpDiscriminator,
    MlpGenerator,
    sample_images,
)
from dlpipe.models.gan_module import GANModule
from dlpipe.optim.factory import fused_adam
from dlpipe.tracking import RunLogger
from dlpipe.training.trainer_factory import build_trainer

CHECKPOINT_NAME = "last.ckpt"


@dataclass(frozen=True, eq=False)
class GanResult:
    """The generator that makes the samples (the averaged one when `ema_decay` > 0; eval mode,
    CPU), one value per training step for each of `dlpipe.models.gan_module.HISTORY_KEYS` (and
    `INFO_KEY` with codes), and the fixed-noise images after each epoch as float32
    (epochs, grid_size, H, W) in [0, 1] (tile them for grids and the GIF)."""

    generator: nn.Module
    history: dict[str, list[float]]
    frames: np.ndarray
    checkpoint: Path

    def generate(self, n: int, seed: int) -> np.ndarray:
        """`n` new images (n, H, W) float32 in [0, 1]; the same seed gives the same images."""
        rng = torch.Generator().manual_seed(seed)
        return sample_images(self.generator, n, rng).numpy()


def build_gan_networks(cfg: GanConfig, image_size: int = 28) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of `cfg.kind`, with that kind's widths."""
    if cfg.kind == "mlp":
        return (
            MlpGenerator(
                cfg.noise_dim,
                cfg.mlp.generator_hidden,
                image_size,
                cfg.mlp.generator_batch_norm,
                cfg.codes,
            ),
            MlpDiscriminator(
                cfg.mlp.discriminator_hidden, image_size, cfg.discriminator_dropout, cfg.codes
            ),
        )
    return (
        DcganGenerator(cfg.noise_dim, cfg.dcgan.generator_channels, image_size, cfg.codes),
        DcganDiscriminator(
            cfg.dcgan.discriminator_channels, image_size, cfg.discriminator_dropout, cfg.codes
        ),
    )


def build_gan_module(cfg: GanConfig, seed: int, image_size: int = 28) -> GANModule:
    """Fresh networks (initialised from `seed`) and Adam for both players (torch's fused one:
    the course's Adam is the same rule, its update 7x slower on CPU); the fixed noise derives
    from `seed` too."""
    torch.manual_seed(seed)
    generator, discriminator = build_gan_networks(cfg, image_size)
    return GANModule(
        generator,
        discriminator,
        fused_adam(cfg.lr_g, cfg.beta1, cfg.beta2),
        fused_adam(cfg.lr_d, cfg.beta1, cfg.beta2),
        d_steps=cfg.d_steps,
        real_label=cfg.real_label,
        grid_size=cfg.grid_size,
        grid_seed=seed,
        ema_decay=cfg.ema_decay,
        info_weight=cfg.info_weight,
    )


def train_gan(
    splits: MnistSplits,
    cfg: GanConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> GanResult:
    """Train on the training split's images (labels unused; `cfg.train_limit` of them when set)
    for `cfg.max_epochs` epochs."""
    training = training.with_threads(cfg.cpu_threads)
    splits = limit_training(splits, cfg.train_limit, seed)
    height, width = splits.train_x.shape[1:3]
    if height != width:
        raise ValueError(f"the GAN needs square images, got {height}x{width}")
    x, y = to_tensors(splits.train_x, splits.train_y)
    module = build_gan_module(cfg, seed, int(height))
    loader = tensor_loader(TensorPairs(x, y), cfg.batch_size, True, seed, training.num_workers)
    trainer = build_trainer(
        training,
        seed=seed,
        max_epochs=cfg.max_epochs,
        logger=run.lightning_logger() if run is not None else None,
        checkpoint_dir=None,
        label=f"GAN ({cfg.kind})",
    )
    trainer.fit(module, train_dataloaders=loader)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint_dir / CHECKPOINT_NAME
    trainer.save_checkpoint(checkpoint)
    return GanResult(
        generator=module.sampler.cpu().eval(),
        history={key: list(values) for key, values in module.history.items()},
        frames=torch.stack(module.frames).numpy(),
        checkpoint=checkpoint,
    )
