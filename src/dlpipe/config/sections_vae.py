"""params.yaml section of the VAE (`vae`): network, objective, training and the artifacts.

The anchor run (the PyTorch example's 784-400-20, Adam 1e-3, batch 128, 10 epochs) is fixed by
the published number it is compared with, so it has no settings here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dlpipe.config.base import Bool, Count, Count0, Int, NonNegative, Positive, Section


class VaeConfig(Section):
    """`hidden`: the MLP's widths (784-400-20 is `hidden: [400]`, `latent: 20`); the conv
    variant takes `hidden[0]` as its dense layer and `channels` for its two convolutions.

    `beta` weighs the KL term in training; metrics report the beta = 1 bound whatever it is.
    `lr_schedule: cosine` decays `lr` to 0 over `max_epochs`. `patience` 0 never stops early.
    The 2-D latent map comes from a latent-2 copy trained `latent2_epochs` (0 skips it);
    `recon_per_class` test digits of each class are reconstructed; `n_samples` images come from
    the prior; the interpolation has `interpolation_steps` images. `anchor` also reruns the
    PyTorch example's training (training.vae.ANCHOR) for its published negative ELBO.
    `train_limit` > 0 trains on a seeded random subset of that many training images (the
    tuning trials' shorter budget); 0 uses them all. The anchor always uses them all.
    """

    kind: Literal["mlp", "conv"]
    hidden: Annotated[tuple[Count, ...], Field(min_length=1)]
    channels: tuple[Count, Count]
    latent: Count
    beta: NonNegative
    lr: Positive
    lr_schedule: Literal["constant", "cosine"]
    batch_size: Count
    max_epochs: Count
    patience: Count0
    latent2_epochs: Count0
    n_samples: Count
    recon_per_class: Count
    interpolation_steps: Annotated[Int, Field(ge=2)]
    anchor: Bool = False  # also rerun the anchor configuration in the stage (~10 epochs)
    train_limit: Count0 = 0  # 0 = every training image
    cpu_threads: Count0 | None = None  # None: training.cpu_threads; 0: all cores
