"""dlib's pretrained face embedding: for a face box in a photo, 5 landmarks, the aligned chip and
a 128-d descriptor.

The ResNet expects faces cut the way `dlib.get_face_chip` cuts them: rotated so the eyes are
level, scaled and centred on the 5 landmarks. So the box the detector found (Haar, or dlib's
HOG) only seeds the landmark model; the chip, not the box, is what the network sees. The chip
returned is exactly the image that was embedded.

Descriptors are dlib's raw output, not unit vectors: on the five-celebrity gallery their L2 norms
lie between about 1.3 and 1.7. dlib's metric is the plain Euclidean distance between them (the
same person is usually closer than 0.6); a linear classifier should L2-normalise them first.
Embedding is deterministic while `jitter` <= 1; with more, dlib's own random jitters make it vary
from call to call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import dlib
import numpy as np

from dlpipe.config import FaceEmbeddingConfig
from dlpipe.vision.face_models import FaceModels

Box = tuple[int, int, int, int]  # x, y, w, h in photo pixels, as vision.detection and audit.csv
DESCRIPTOR_SIZE = 128
LANDMARK_COUNT = 5


@dataclass(frozen=True)
class EmbeddedFace:
    """One face: `landmarks` (5 x 2 int, x and y in photo pixels: points 0-1 are the outer and
    inner corner of the eye on the image's right, 2-3 of the eye on its left, 4 the base of the
    nose), the aligned RGB `chip` (size x size x 3 uint8) and the 128-d `descriptor` (float64).
    The arrays are left out of == (they have no single truth)."""

    landmarks: np.ndarray = field(compare=False, repr=False)
    chip: np.ndarray = field(compare=False, repr=False)
    descriptor: np.ndarray = field(compare=False, repr=False)


class FaceEmbedder:
    """Landmarks, chip and descriptor with one configuration's chip size, padding and jitter."""

    def __init__(self, models: FaceModels, *, chip_size: int, padding: float, jitter: int) -> None:
        self.models = models
        self.chip_size = chip_size
        self.padding = padding
        self.jitter = jitter

    @classmethod
    def from_config(cls, models: FaceModels, cfg: FaceEmbeddingConfig) -> FaceEmbedder:
        return cls(models, chip_size=cfg.chip_size, padding=cfg.chip_padding, jitter=cfg.jitter)

    def shape(self, rgb: np.ndarray, box: Box) -> dlib.full_object_detection:
        """dlib's 5-point fit inside `box` (the form get_face_chip needs)."""
        x, y, w, h = (int(v) for v in box)
        if w < 1 or h < 1:
            raise ValueError(f"face box {box} is empty: width and height must be >= 1")
        return self.models.landmarks(checked_rgb(rgb), dlib.rectangle(x, y, x + w - 1, y + h - 1))

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        """The 5 landmarks as a 5 x 2 int array of (x, y) photo pixels."""
        return landmark_array(self.shape(rgb, box))

    def chip(self, rgb: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
        """(landmarks, aligned chip): the face rotated upright, scaled and centred on them."""
        image = checked_rgb(rgb)
        shape = self.shape(image, box)
        chip = dlib.get_face_chip(image, shape, size=self.chip_size, padding=self.padding)
        return landmark_array(shape), chip

    def embed(self, rgb: np.ndarray, box: Box) -> EmbeddedFace:
        """Landmarks, chip and descriptor of the face in `box` of an RGB uint8 photo."""
        landmarks, chip = self.chip(rgb, box)
        descriptor = np.asarray(self.models.resnet.compute_face_descriptor(chip, self.jitter))
        return EmbeddedFace(landmarks, chip, descriptor)

    def embed_many(self, faces: Iterable[tuple[np.ndarray, Box]]) -> list[EmbeddedFace]:
        """`embed` over (photo, box) pairs, in order; the chips go through the ResNet in one
        batch call (the same descriptors as one by one)."""
        cut = [self.chip(rgb, box) for rgb, box in faces]
        if not cut:
            return []
        chips = [chip for _, chip in cut]
        descriptors = self.models.resnet.compute_face_descriptor(chips, self.jitter)
        return [
            EmbeddedFace(landmarks, chip, np.asarray(descriptor))
            for (landmarks, chip), descriptor in zip(cut, descriptors, strict=True)
        ]


def checked_rgb(image: np.ndarray) -> np.ndarray:
    """The photo as dlib takes it: H x W x 3 uint8, C-contiguous (a BGR->RGB view is not)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3:
        raise ValueError(
            f"expected an RGB uint8 photo of shape (height, width, 3), got "
            f"{getattr(image, 'dtype', type(image))} of shape {getattr(image, 'shape', '?')}"
        )
    if image.shape[2] != 3:
        raise ValueError(f"expected 3 colour channels (RGB), got shape {image.shape}")
    return np.ascontiguousarray(image)


def landmark_array(shape: dlib.full_object_detection) -> np.ndarray:
    return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.int64)
