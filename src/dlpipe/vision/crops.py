"""The face crop: a square around the box, with margin, at a fixed size and colour."""

from __future__ import annotations

import cv2
import numpy as np

from dlpipe.config import FaceExtractConfig

Box = tuple[int, int, int, int]  # x, y, w, h


def square_crop_box(box: Box, margin: float, width: int, height: int) -> Box:
    """Widen `box` by `margin` (a fraction of its size) on each side and make it square.

    The square keeps the box's centre where it can: near an edge it is shifted inside the
    image, and only if it is larger than the image is it shrunk to the shorter image side.
    So the crop is always square and inside the image, and the face is never stretched.
    """
    x, y, w, h = box
    side = max(w, h) * (1.0 + 2.0 * margin)
    side_px = max(1, min(round(side), width, height))
    centre_x, centre_y = x + w / 2.0, y + h / 2.0
    left = min(max(round(centre_x - side_px / 2.0), 0), width - side_px)
    top = min(max(round(centre_y - side_px / 2.0), 0), height - side_px)
    return left, top, side_px, side_px


def crop_face(image_bgr: np.ndarray, box: Box, cfg: FaceExtractConfig) -> np.ndarray:
    """The crop for a face box (x, y, w, h): size x size, grey or RGB, equalised if asked.

    Takes the face box, not the crop box: margin and squaring come from square_crop_box.
    """
    height, width = image_bgr.shape[:2]
    left, top, side, _ = square_crop_box(box, cfg.margin, width, height)
    patch = image_bgr[top : top + side, left : left + side]
    interpolation = cv2.INTER_AREA if side > cfg.size else cv2.INTER_LINEAR
    patch = cv2.resize(patch, (cfg.size, cfg.size), interpolation=interpolation)
    if patch.ndim == 2:
        patch = cv2.cvtColor(patch, cv2.COLOR_GRAY2BGR)
    if cfg.color == "grey":
        grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
        return cv2.equalizeHist(grey) if cfg.equalize else grey
    if cfg.equalize:
        ycrcb = cv2.cvtColor(patch, cv2.COLOR_BGR2YCrCb)
        ycrcb[:, :, 0] = cv2.equalizeHist(np.ascontiguousarray(ycrcb[:, :, 0]))
        patch = cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR)
    return cv2.cvtColor(patch, cv2.COLOR_BGR2RGB)
