"""Contact sheets: every accepted crop per person, and every rejected photo with its reason.

A glance at them shows what the detector and the policies did, which no table can.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from dlpipe.atomic import atomic_path
from dlpipe.vision.extraction import FaceOutcome
from dlpipe.vision.images import ImageReadError, read_image
from dlpipe.vision.sheets import contact_sheet, fit_tile

REJECTED = "rejected"
REJECTED_TILE = 200


def face_sheets(
    outcomes: Sequence[FaceOutcome], columns: int, max_pixels: int
) -> Iterator[tuple[str, np.ndarray]]:
    """(`person`, sheet of accepted crops) per person, then (`rejected`, the rejected photos,
    labelled), one at a time: a sheet grows with the photos, so the caller writes each before
    the next is drawn, and a rejected photo is held only as its tile, not at full size."""
    for person in sorted({o.person for o in outcomes}):
        mine = [o for o in outcomes if o.person == person and o.crop is not None]
        tiles = [_bgr(o.crop) for o in mine if o.crop is not None]
        yield person, contact_sheet(tiles, [o.key[:8] for o in mine], columns)
    rejected = [o for o in outcomes if not o.accepted]
    # fit_tile now gives the very pixels contact_sheet would (it copies a tile already that size).
    tiles = [fit_tile(_original(o.path, max_pixels), REJECTED_TILE) for o in rejected]
    labels = [f"{o.person}: {o.reason}" for o in rejected]
    # Bigger tiles: a rejected photo is a whole scene, and its label carries the reason.
    yield REJECTED, contact_sheet(tiles, labels, max(1, columns // 2), REJECTED_TILE)


def write_png(path: Path, image: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise OSError(f"{path}: OpenCV could not write the PNG")


def _bgr(crop: np.ndarray) -> np.ndarray:
    return crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)


def _original(path: Path, max_pixels: int) -> np.ndarray:
    """The photo itself, or a grey tile when it cannot be read (the label says why)."""
    try:
        image, _ = read_image(path, max_pixels)
    except ImageReadError:
        return np.full((64, 64, 3), 128, np.uint8)
    return image
