"""Contact sheets: many small images in one picture, to eyeball accepted and rejected photos."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

LABEL_HEIGHT = 14
BACKGROUND = 255  # white
FONT = cv2.FONT_HERSHEY_PLAIN
FONT_SCALE = 0.8


def contact_sheet(
    tiles: Sequence[np.ndarray], labels: Sequence[str], columns: int, tile_size: int = 96
) -> np.ndarray:
    """One BGR uint8 image: the tiles in a grid, each fitted into tile_size and labelled below.

    Tiles may be grey, BGR or BGRA, of any size (rejected originals included); an empty list
    gives a small image that says "none", so the stage can always write a sheet.
    """
    if len(tiles) != len(labels):
        raise ValueError(f"{len(tiles)} tiles but {len(labels)} labels")
    if not tiles:
        return text_image("none", tile_size)
    columns = max(1, min(columns, len(tiles)))
    rows = -(-len(tiles) // columns)
    cell_h = tile_size + LABEL_HEIGHT
    sheet = np.full((rows * cell_h, columns * tile_size, 3), BACKGROUND, np.uint8)
    for index, (tile, label) in enumerate(zip(tiles, labels, strict=True)):
        top, left = (index // columns) * cell_h, (index % columns) * tile_size
        sheet[top : top + tile_size, left : left + tile_size] = fit_tile(tile, tile_size)
        write_label(sheet, label, left, top + cell_h, tile_size)
    return sheet


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Any uint8 grey, BGR or BGRA image as 3-channel BGR."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def fit_tile(tile: np.ndarray, size: int) -> np.ndarray:
    """The tile scaled to fit a size x size square (aspect kept), centred on the background."""
    bgr = as_bgr(tile)
    height, width = bgr.shape[:2]
    if height == 0 or width == 0:
        return np.full((size, size, 3), BACKGROUND, np.uint8)
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(bgr, (new_w, new_h), interpolation=interpolation)
    cell = np.full((size, size, 3), BACKGROUND, np.uint8)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    cell[top : top + new_h, left : left + new_w] = resized
    return cell


def write_label(sheet: np.ndarray, label: str, left: int, bottom: int, width: int) -> None:
    """Draw `label` in the strip under a tile, cut with "~" to fit the tile's width."""
    text = label
    while text and cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0] > width - 2:
        text = text[:-2] + "~"
    if text:
        cv2.putText(sheet, text, (left + 1, bottom - 3), FONT, FONT_SCALE, (0, 0, 0), 1)


def text_image(text: str, size: int) -> np.ndarray:
    """A small white BGR image with `text` written on it."""
    image = np.full((max(size // 2, 24), max(size, 48), 3), BACKGROUND, np.uint8)
    cv2.putText(image, text, (4, image.shape[0] // 2 + 5), FONT, 1.2, (0, 0, 0), 1)
    return image
