"""params.yaml section of the generative adversarial network (`train_gan`).

Two architectures share one training loop: `mlp` (fully connected, the fast default on CPU) and
`dcgan` (transposed convolutions, Radford et al. 2016). Only the chosen kind's widths are used;
both stay in the file so switching is one word.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dlpipe.config.base import (
    Bool,
    Count,
    Count0,
    NonNegative,
    Positive,
    Probability,
    Section,
    rules_error,
)

GanKind = Literal["mlp", "dcgan"]
Decay = Annotated[float, Field(ge=0, lt=1)]  # Adam's beta1, beta2
RealLabel = Annotated[float, Field(gt=0.5, le=1)]  # 1 = no smoothing


class MlpGanNets(Section):
    """`MlpGenerator` / `MlpDiscriminator` widths (noise -> ... -> image; image -> ... -> logit)."""

    generator_hidden: Annotated[tuple[Count, ...], Field(min_length=1)]
    discriminator_hidden: Annotated[tuple[Count, ...], Field(min_length=1)]
    generator_batch_norm: Bool


class DcganNets(Section):
    """`DcganGenerator` / `DcganDiscriminator` base channels (the inner layer has twice)."""

    generator_channels: Count
    discriminator_channels: Count


class GanConfig(Section):
    """Adam for both players (`lr_g`, `lr_d`, shared betas); `d_steps` discriminator updates per
    generator update (on the same real batch); the discriminator's target for real images is
    `real_label` (one-sided label smoothing below 1). With `ema_decay` > 0 the grids and
    samples come from an exponential moving average of the generator's weights. `codes` > 0
    adds InfoGAN's categorical code (fewer than noise_dim; more than the classes works best).
    `grid_size` fixed-noise samples give the per-epoch grids (`scores.samples` fresh ones are
    scored). `train_limit` > 0 trains on a seeded random subset of that many training images
    (the tuning trials' shorter budget); 0 uses them all."""

    kind: GanKind
    noise_dim: Count
    mlp: MlpGanNets
    dcgan: DcganNets
    discriminator_dropout: Probability
    lr_g: Positive
    lr_d: Positive
    beta1: Decay
    beta2: Decay
    batch_size: Count
    max_epochs: Count
    d_steps: Count
    real_label: RealLabel
    ema_decay: Probability  # 0 = sample from the trained generator itself
    codes: Count0  # InfoGAN categories carried by the noise; 0 = a plain GAN
    info_weight: NonNegative  # weight of the code's cross-entropy (InfoGAN's lambda)
    grid_size: Count
    train_limit: Count0 = 0  # 0 = every training image
    cpu_threads: Count0 | None = None  # None: training.cpu_threads; 0: all cores

    @model_validator(mode="after")
    def _codes_leave_free_noise(self) -> GanConfig:
        if self.codes and not 2 <= self.codes < self.noise_dim:
            message = (
                f"must be 0 (none) or in [2, noise_dim) = [2, {self.noise_dim}): the code takes "
                f"that many noise values (got {self.codes})"
            )
            raise rules_error([("codes", message)])
        return self
