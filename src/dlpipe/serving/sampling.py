"""`dlpipe sample`: new images from the trained VAE (decoded draws from the prior) or GAN.

A sampler is the model's Lightning checkpoint (each module saves what rebuilds its networks),
so the registered model, the stage and this command share one file format. Images are floats in
[0, 1], (n, height, width); the same seed gives the same images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from dlpipe.serving.errors import ServingError, require_file

Kind = Literal["vae", "gan"]
KINDS: tuple[Kind, ...] = ("vae", "gan")
MAX_SAMPLES = 1024


@dataclass(frozen=True, eq=False)
class Sampler:
    """A trained generative model (CPU, eval mode) and what it is."""

    kind: Kind
    module: Any

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        if not 1 <= n <= MAX_SAMPLES:
            raise ServingError(f"n must be from 1 to {MAX_SAMPLES}, got {n}")
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            images = self.module.sample(n, generator).detach().cpu().float().numpy()
        if images.ndim == 2:  # the VAE decodes flat rows of pixels
            side = math.isqrt(images.shape[1])
            images = images.reshape(n, side, side)
        return np.clip(images, 0.0, 1.0)


def load_sampler(kind: Kind, checkpoint: Path) -> Sampler:
    """The module in `checkpoint` (train_vae's or train_gan's), ready to sample."""
    if kind not in KINDS:
        raise ServingError(f"unknown model {kind!r}: use one of {', '.join(KINDS)}")
    require_file(checkpoint, f"a {kind} checkpoint (e.g. models/{kind}/best.ckpt)")
    if kind == "vae":
        from dlpipe.models.vae_module import VAEModule as module_class
    else:
        from dlpipe.models.gan_module import GANModule as module_class
    try:
        # Tensors and plain values only: a checkpoint file never runs code (docs/operations.md).
        module = module_class.load_from_checkpoint(
            checkpoint, map_location="cpu", weights_only=True
        )
    except Exception as exc:  # Lightning and torch raise many types for a foreign file
        raise ServingError(f"{checkpoint}: not a {kind} checkpoint ({exc})") from None
    return Sampler(kind, module.cpu().eval())


def write_samples(sampler: Sampler, n: int, seed: int, out: Path) -> Path:
    """A grid of `n` new images as a PNG at `out`."""
    from dlpipe.reporting.image_grids import save_grid

    if out.is_dir():
        raise ServingError(f"{out}: is a directory; give a .png file name")
    save_grid(sampler.sample(n, seed), out)
    return out
