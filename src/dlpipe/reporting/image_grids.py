"""Grids of small images as PNGs and animated GIFs: samples, reconstructions, training progress.

Images come in as float arrays in [0, 1], shape (N, H, W) for grey or (N, H, W, 3) for colour,
and are tiled row by row with a one-pixel gap; Pillow writes the files (no figure needed, so a
grid of 64 digits stays a few kB and is pixel-exact).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from dlpipe.atomic import atomic_path

GAP = 1  # pixels between tiles
SCALE = 2  # each pixel drawn as SCALE x SCALE, so 28x28 digits are readable on a page


def tile(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """(N, H, W[, 3]) floats in [0, 1] -> one uint8 image, `columns` per row (default: square)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"expected (N, H, W) or (N, H, W, 3) images, got shape {images.shape}")
    n, h, w = images.shape[:3]
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    shape = (rows * (h + GAP) + GAP, columns * (w + GAP) + GAP, *images.shape[3:])
    canvas = np.ones(shape)  # white gaps
    for i, image in enumerate(np.clip(images, 0.0, 1.0)):
        r, c = divmod(i, columns)
        y, x = GAP + r * (h + GAP), GAP + c * (w + GAP)
        canvas[y : y + h, x : x + w] = image
    pixels = np.round(canvas * 255).astype(np.uint8)
    return pixels.repeat(SCALE, axis=0).repeat(SCALE, axis=1)


def save_grid(images: np.ndarray, path: Path, columns: int | None = None) -> None:
    """One grid as a PNG."""
    picture = Image.fromarray(tile(images, columns))
    with atomic_path(path) as tmp:
        picture.save(tmp, format="PNG", optimize=True)


def save_gif(frames: Sequence[np.ndarray], path: Path, fps: int = 4) -> None:
    """Tiled frames (from `tile`) as an animated GIF that loops; the last frame is held longer."""
    if not frames:
        raise ValueError("no frames for the GIF")
    pictures = [
        Image.fromarray(frame).convert("P", palette=Image.Palette.ADAPTIVE) for frame in frames
    ]
    durations = [round(1000 / fps)] * len(pictures)
    durations[-1] = 2000
    with atomic_path(path) as tmp:
        pictures[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=durations,
            loop=0,
        )
