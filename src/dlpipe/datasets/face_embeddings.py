"""The embed_faces stage's table: one 128-d descriptor per accepted face, with its split.

Stored as an .npz whose zip entries carry a fixed date, so the same descriptors give the same
bytes on every run (numpy's own savez stamps the current time into each entry).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlpipe.datasets import DatasetError

FIELDS = ("keys", "people", "splits", "descriptors", "landmarks")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold


@dataclass(frozen=True, eq=False)
class FaceEmbeddings:
    """Row i: photo `keys[i]` of `people[i]` in split `splits[i]`, its descriptor (float32,
    dlib's raw output, not unit length) and its 5 landmarks (x, y photo pixels)."""

    keys: np.ndarray  # str (N,)
    people: np.ndarray  # str (N,)
    splits: np.ndarray  # str (N,)
    descriptors: np.ndarray  # float32 (N, 128)
    landmarks: np.ndarray  # int64 (N, 5, 2)

    def __post_init__(self) -> None:
        sizes = {name: len(getattr(self, name)) for name in FIELDS}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"embedding fields of different lengths: {sizes}")

    def split(self, name: str) -> FaceEmbeddings:
        """The rows of one split, in table order."""
        rows = self.splits == name
        return FaceEmbeddings(*(getattr(self, field)[rows] for field in FIELDS))


def save_embeddings(path: Path, table: FaceEmbeddings) -> None:
    """Write `table` to `path` (an .npz readable with np.load, allow_pickle=False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name in FIELDS:
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(getattr(table, name)), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", FIXED_DATE), buffer.getvalue())


def load_embeddings(path: Path) -> FaceEmbeddings:
    """The table embed_faces wrote; a missing or incomplete file says which stage to rerun."""
    if not path.is_file():
        raise DatasetError(f"{path}: no face embeddings; run `dvc repro embed_faces` first")
    with np.load(path, allow_pickle=False) as stored:
        missing = [name for name in FIELDS if name not in stored.files]
        if missing:
            raise DatasetError(f"{path}: missing {missing}; rerun embed_faces")
        return FaceEmbeddings(*(stored[name] for name in FIELDS))
