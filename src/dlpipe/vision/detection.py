"""Face detection (OpenCV's Haar cascade or dlib's HOG detector), built once from the config
and reused for every photo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dlpipe.config import FaceExtractConfig
from dlpipe.vision.hog_detection import HogFaceDetector

Box = tuple[int, int, int, int]  # x, y, w, h
EYE_SEARCH_WIDTH = 160  # face regions are enlarged to this width before looking for eyes
EYE_MIN_NEIGHBORS = 3


class CascadeError(RuntimeError):
    """A cascade named in params.yaml is missing or is not a cascade OpenCV can load."""


@dataclass(frozen=True)
class Detection:
    """Faces found in one image, and how many candidates the eye check threw away."""

    faces: list[Box]
    without_eyes: int


def cascade_path(name: str) -> Path:
    """A bare file name is looked up in OpenCV's bundled cascades; a path is used as given."""
    given = Path(name)
    return given if given.parent != Path(".") else Path(cv2.data.haarcascades) / name


def load_cascade(name: str) -> cv2.CascadeClassifier:
    """Load a cascade, failing with the file name instead of an empty, silent classifier."""
    path = cascade_path(name)
    if not path.is_file() or path.stat().st_size == 0:
        raise CascadeError(f"cascade {name!r}: {path} is missing or empty")
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise CascadeError(f"{path}: OpenCV could not load it as a cascade classifier")
    return classifier


class FaceDetector:
    """Finds face boxes in BGR images with the settings of one FaceExtractConfig."""

    def __init__(self, cfg: FaceExtractConfig) -> None:
        self.cfg = cfg
        haar = cfg.detector == "haar"
        self.faces = load_cascade(cfg.cascade) if haar else None
        # dlib scans the already shrunk photo: its own max_side never shrinks it again.
        self.hog = (
            None
            if haar
            else HogFaceDetector(upsample=cfg.hog_upsample, max_side=cfg.detect_max_side)
        )
        self.eyes = load_cascade(cfg.eye_cascade) if cfg.eye_check else None

    def detect(self, image_bgr: np.ndarray) -> list[Box]:
        """Face boxes in the given image's pixels (eye check applied when enabled)."""
        return self.scan(image_bgr).faces

    def scan(self, image_bgr: np.ndarray) -> Detection:
        """detect, plus the count of boxes dropped by the eye check.

        Photos larger than detect_max_side are scaled down for the search (both detectors' cost
        grows with pixels; faces stay findable) and the boxes scaled back. min_size is in
        original pixels; dlib has no minimum, so its smaller boxes are dropped here.
        """
        grey = image_bgr if image_bgr.ndim == 2 else cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape
        scale = min(1.0, self.cfg.detect_max_side / max(height, width))
        grey = shrink(grey, scale)
        min_side = max(1, round(self.cfg.min_size * scale))
        if self.hog is not None:
            rgb = image_bgr if image_bgr.ndim == 2 else image_bgr[..., ::-1]
            found = self.hog.detect(shrink(np.ascontiguousarray(rgb), scale))
            boxes = [box for box in found if min(box[2], box[3]) >= min_side]
        else:
            assert self.faces is not None
            found = self.faces.detectMultiScale(
                grey,
                scaleFactor=self.cfg.scale_factor,
                minNeighbors=self.cfg.min_neighbors,
                minSize=(min_side, min_side),
            )
            boxes = [tuple(int(v) for v in box) for box in found]
        kept = [box for box in boxes if self.has_eye(grey, box)] if self.eyes else boxes
        return Detection(
            [scale_box(box, scale, width, height) for box in kept], len(boxes) - len(kept)
        )

    def has_eye(self, grey: np.ndarray, box: Box) -> bool:
        """At least one eye in the upper two thirds of the face box: rejects most false faces.

        The eye cascade's window is 20 px, so small faces are enlarged to EYE_SEARCH_WIDTH first
        (without that, eyes of faces under ~100 px are never found); eyes are a weaker pattern
        than faces, so they need fewer neighbours (EYE_MIN_NEIGHBORS) than faces do.
        """
        assert self.eyes is not None
        x, y, w, h = box
        region = grey[y : y + (2 * h) // 3, x : x + w]
        zoom = max(1.0, EYE_SEARCH_WIDTH / w)
        if zoom > 1.0:
            region = cv2.resize(region, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
        smallest = max(1, region.shape[1] // 10)
        eyes = self.eyes.detectMultiScale(
            region,
            scaleFactor=self.cfg.scale_factor,
            minNeighbors=EYE_MIN_NEIGHBORS,
            minSize=(smallest, smallest),
        )
        return len(eyes) > 0


def shrink(image: np.ndarray, scale: float) -> np.ndarray:
    """The image scaled down by `scale` (< 1) for the search, or itself."""
    if scale >= 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def scale_box(box: Box, scale: float, width: int, height: int) -> Box:
    """A box found in the scaled-down image, in original pixels and inside the image."""
    if scale == 1.0:
        return box
    x, y, w, h = (round(v / scale) for v in box)
    x, y = min(max(x, 0), width - 1), min(max(y, 0), height - 1)
    return x, y, max(1, min(w, width - x)), max(1, min(h, height - y))
