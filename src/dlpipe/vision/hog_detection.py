"""dlib's frontal face detector (HOG + linear SVM): the packaged library's alternative to Haar.

Boxes follow vision.detection's convention: (x, y, w, h) in original photo pixels, clipped to
the photo. dlib's boxes sit lower and tighter than Haar's (brow to chin); its landmark model was
trained on them, but fits Haar boxes too.
"""

from __future__ import annotations

import cv2
import dlib
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h


class HogFaceDetector:
    """Built once (reading dlib's detector takes about 0.2 s), then used for every photo.

    `upsample`: how often dlib doubles the photo before scanning; its 80 px window then finds
    faces down to about 80 / 2**upsample pixels (1 is dlib's usual setting). Photos larger than
    `max_side` are scaled down first and the boxes scaled back (cost grows with pixels).
    """

    def __init__(self, *, upsample: int, max_side: int) -> None:
        if upsample < 0 or max_side < 1:
            message = f"upsample must be >= 0 and max_side >= 1 (got {upsample}, {max_side})"
            raise ValueError(message)
        self.upsample = upsample
        self.max_side = max_side
        self.detector = dlib.get_frontal_face_detector()

    def detect(self, rgb: np.ndarray) -> list[Box]:
        """Face boxes in an RGB (or grey) uint8 photo, most confident first."""
        if rgb.dtype != np.uint8 or rgb.ndim not in (2, 3):
            raise ValueError(f"expected a uint8 RGB or grey photo, got {rgb.dtype} {rgb.shape}")
        height, width = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        image = np.ascontiguousarray(rgb)  # dlib and OpenCV need it; a BGR->RGB view is not
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        found, scores, _ = self.detector.run(image, self.upsample)
        ranked = sorted(zip(scores, found, strict=True), key=lambda pair: -pair[0])
        return [box_in_photo(rect, scale, width, height) for _, rect in ranked]


def box_in_photo(rect: dlib.rectangle, scale: float, width: int, height: int) -> Box:
    """A dlib rectangle (inclusive corners, possibly past the edges) found at `scale`, as an
    (x, y, w, h) box in original pixels inside the photo."""
    left, top = rect.left() / scale, rect.top() / scale
    right, bottom = (rect.right() + 1) / scale, (rect.bottom() + 1) / scale
    x0, y0 = min(max(round(left), 0), width - 1), min(max(round(top), 0), height - 1)
    x1, y1 = min(max(round(right), x0 + 1), width), min(max(round(bottom), y0 + 1), height)
    return x0, y0, x1 - x0, y1 - y0
