"""Batch augmentation for face crops, in plain torch on the batch's own device.

With ~75 training crops, every epoch must see slightly different faces: a mirror image, a small
tilt or shift, a brighter or darker exposure. All four are drawn per image.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from dlpipe.config import FaceAugment


def augment_active(cfg: FaceAugment) -> bool:
    return cfg.flip or cfg.rotation_deg > 0 or cfg.shift > 0 or cfg.brightness > 0


def _uniform(
    n: int, low: float, high: float, x: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    """n draws in [low, high) on x's device, from `generator` (on its own device) if given,
    else from the global RNG, which the Trainer seeds."""
    device = generator.device if generator is not None else x.device
    u = torch.rand(n, generator=generator, device=device, dtype=torch.float32)
    return (low + (high - low) * u).to(device=x.device, dtype=x.dtype)


def augment_batch(
    x: torch.Tensor, cfg: FaceAugment, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(N, C, H, W) floats in [0, 1] -> an augmented batch of the same shape, dtype and range.

    Horizontal flip with probability 1/2; rotation by up to ±rotation_deg and shift by up to
    ±shift of the side, in one affine resample (border padding, so no black corners); brightness
    scaled by a factor in 1 ± brightness, then clamped to [0, 1]. Returns `x` itself when all
    are off.
    """
    if x.ndim != 4:
        raise ValueError(f"augment_batch expects (N, C, H, W), got shape {tuple(x.shape)}")
    if not augment_active(cfg) or len(x) == 0:
        return x
    n = len(x)
    out = x
    if cfg.flip:
        flip = _uniform(n, 0.0, 1.0, x, generator) < 0.5
        out = torch.where(flip[:, None, None, None], out.flip(-1), out)
    if cfg.rotation_deg > 0 or cfg.shift > 0:
        out = _affine(out, cfg, generator)
    if cfg.brightness > 0:
        factor = _uniform(n, 1.0 - cfg.brightness, 1.0 + cfg.brightness, x, generator)
        out = (out * factor[:, None, None, None]).clamp(0.0, 1.0)
    return out


def _affine(x: torch.Tensor, cfg: FaceAugment, generator: torch.Generator | None) -> torch.Tensor:
    """Rotate and shift each image; shifts are fractions of the side (2 * shift in grid units)."""
    n = len(x)
    angle = _uniform(n, -1.0, 1.0, x, generator) * math.radians(cfg.rotation_deg)
    tx = _uniform(n, -1.0, 1.0, x, generator) * 2.0 * cfg.shift
    ty = _uniform(n, -1.0, 1.0, x, generator) * 2.0 * cfg.shift
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack(
        [torch.stack([cos, -sin, tx], dim=1), torch.stack([sin, cos, ty], dim=1)], dim=1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out.clamp(0.0, 1.0)
