"""A large face gallery made from a small one: transformed copies, every file different.

The load benchmark needs thousands of distinct photos laid out like the crawl's gallery (one
folder per person). Copies are flipped, rotated, cropped, brightened, resized and re-encoded at
a random JPEG quality, each from its own seed, so the crawl stores every one (no duplicate bytes)
and the detector still sees faces at the sizes and poses the original gallery has.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_ROTATION_DEG = 8.0
MAX_CROP_FRACTION = 0.06  # per side
BRIGHTNESS = (0.8, 1.2)
SCALE = (0.85, 1.15)
JPEG_QUALITY = (70, 95)


@dataclass(frozen=True)
class Source:
    path: Path
    person: str


def gallery_sources(gallery: Path) -> list[Source]:
    """The photos of `gallery` (one visible subfolder per person), in a fixed order."""
    if not gallery.is_dir():
        raise FileNotFoundError(f"{gallery}: gallery folder not found; see params.yaml face_crawl")
    sources = [
        Source(path, folder.name)
        for folder in sorted(p for p in gallery.iterdir() if p.is_dir() and p.name[0] != ".")
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in SUFFIXES
    ]
    if not sources:
        raise ValueError(f"{gallery}: no photos in its person subfolders")
    return sources


def transformed(image: Image.Image, rng: random.Random) -> Image.Image:
    """One random variant: flip, small rotation, crop, brightness and scale."""
    image = ImageOps.exif_transpose(image).convert("RGB")
    if rng.random() < 0.5:
        image = ImageOps.mirror(image)
    angle = rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(128, 128, 128))
    width, height = image.size
    left, top, right, bottom = (rng.uniform(0, MAX_CROP_FRACTION) for _ in range(4))
    box = (
        round(left * width),
        round(top * height),
        width - round(right * width),
        height - round(bottom * height),
    )
    image = image.crop(box)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(*BRIGHTNESS))
    scale = rng.uniform(*SCALE)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def build_gallery(source: Path, out: Path, count: int, seed: int = 0) -> list[Path]:
    """`count` distinct JPEG variants of `source`'s photos under `out/<person>/`.

    Photo i is a variant of source photo i mod len(sources), from seed (seed, i), so any first
    n files are a balanced gallery of n (see `link_subset`) and a rerun writes the same bytes.
    """
    sources = gallery_sources(source)
    seen: set[str] = set()
    written = []
    for index in range(count):
        origin = sources[index % len(sources)]
        rng = random.Random(f"{seed}:{index}")
        with Image.open(origin.path) as image:
            variant = transformed(image, rng)
        quality = rng.randint(*JPEG_QUALITY)
        body = jpeg_bytes(variant, quality)
        while hashlib.sha256(body).hexdigest() in seen:  # vanishingly rare; keep files distinct
            quality = quality - 1 if quality > JPEG_QUALITY[0] else JPEG_QUALITY[1]
            body = jpeg_bytes(variant, quality)
        seen.add(hashlib.sha256(body).hexdigest())
        path = out / origin.person / f"{index:05d}-{origin.path.stem}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written.append(path)
    return written


def link_subset(files: list[Path], out: Path, count: int) -> None:
    """A gallery of the first `count` files under `out/<person>/` (hard links; copies if not)."""
    if count > len(files):
        raise ValueError(f"asked for {count} photos but the built gallery has {len(files)}")
    for path in files[:count]:
        target = out / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            target.write_bytes(path.read_bytes())
