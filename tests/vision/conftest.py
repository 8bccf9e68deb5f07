"""Shared vision fixtures: the default config, a real one-face photo, a PNG writer."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from vision_helpers import ONE_FACE, gallery_file

from dlpipe.config import FaceExtractConfig, load_params


@pytest.fixture(scope="session")
def cfg() -> FaceExtractConfig:
    return load_params().face_extract


@pytest.fixture(scope="session")
def face_photo() -> np.ndarray:
    """A real BGR photo with exactly one face, at about (31, 66, 142, 142)."""
    image = cv2.imread(str(gallery_file(ONE_FACE)))
    assert image is not None
    return image


@pytest.fixture
def write_png(tmp_path: Path):
    def write(name: str, image: np.ndarray) -> Path:
        path = tmp_path / name
        ok, data = cv2.imencode(".png", image)
        assert ok
        path.write_bytes(data.tobytes())
        return path

    return write
