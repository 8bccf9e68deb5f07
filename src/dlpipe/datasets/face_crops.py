"""The face branch's files between stages: the crawl manifest, the crops and the split table.

Crops are PNGs at `crops/<person>/<key>.png` (key: the photo's sha256), pixels in RGB order (or
grey), so they read back exactly as OpenCV's extraction produced them.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
from PIL import Image

from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_splits import SPLIT_COLUMNS, SPLITS, FaceItem

CROPS = "crops"
MANIFEST = "manifest.csv"


def read_manifest(raw_dir: Path) -> pd.DataFrame:
    """The crawl's manifest (every image URL seen, with its status); empty when skipped."""
    path = raw_dir / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{path}: no crawl manifest; run `dvc repro crawl_face_images` first")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    needed = {"url", "person", "status", "sha256", "path"}
    if not needed <= set(frame.columns):
        raise DatasetError(f"{path}: needs columns {sorted(needed)}; re-run the crawl stage")
    return frame


def downloaded(manifest: pd.DataFrame) -> pd.DataFrame:
    """One row per stored image file (status ok; duplicates point at the same file)."""
    return manifest[manifest["status"] == "ok"].reset_index(drop=True)


def source_file(url: str) -> str:
    """`person/file` from an image URL's last two path parts (how splits.csv names photos)."""
    parts = PurePosixPath(unquote(urlsplit(url).path)).parts
    return "/".join(parts[-2:])


def crop_path(folder: Path, person: str, key: str) -> Path:
    return folder / CROPS / person / f"{key}.png"


def save_crop(path: Path, crop: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(crop).save(path, format="PNG")


def accepted_items(crops_dir: Path, manifest: pd.DataFrame) -> list[FaceItem]:
    """Every crop on disk, with the photo's `person/file` name taken from the manifest."""
    names = {row.sha256: source_file(row.url) for row in downloaded(manifest).itertuples()}
    items = []
    for path in sorted((crops_dir / CROPS).glob("*/*.png")):
        key, person = path.stem, path.parent.name
        items.append(FaceItem(key=key, person=person, source_file=names.get(key, "")))
    return items


def read_split_table(path: Path) -> pd.DataFrame:
    """The split stage's table (key, person, split); it alone says which crops train."""
    if not path.is_file():
        raise DatasetError(f"{path}: no split table; run `dvc repro split_faces` first")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(SPLIT_COLUMNS) - set(table.columns)
    if missing:
        raise DatasetError(f"{path}: missing columns {sorted(missing)}; re-run split_faces")
    return table


def load_split_arrays(
    crops_dir: Path, table: pd.DataFrame
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], tuple[str, ...]]:
    """Images (uint8) and integer labels per split; classes are the sorted people."""
    classes = tuple(sorted(set(table["person"])))
    label = {person: i for i, person in enumerate(classes)}
    images: dict[str, list[np.ndarray]] = {split: [] for split in SPLITS}
    labels: dict[str, list[int]] = {split: [] for split in SPLITS}
    for row in table.itertuples():
        path = crop_path(crops_dir, row.person, row.key)
        if not path.is_file():
            raise DatasetError(
                f"{path}: crop listed in the split table is missing; re-run the stages"
            )
        with Image.open(path) as image:
            images[row.split].append(np.asarray(image))
        labels[row.split].append(label[row.person])
    shapes = {a.shape for batch in images.values() for a in batch}
    if len(shapes) > 1:
        raise DatasetError(
            f"{crops_dir}: crops of different shapes {sorted(shapes)}; re-run extract_faces"
        )
    shape = next(iter(shapes), (0, 0))
    x = {s: np.stack(v) if v else np.zeros((0, *shape), np.uint8) for s, v in images.items()}
    y = {s: np.asarray(v, dtype=np.int64) for s, v in labels.items()}
    return x, y, classes


class StoredPhoto(NamedTuple):
    """A crawled file to extract a face from (plain fields, so vision/ needs nothing from here)."""

    path: Path
    person: str
    key: str  # the file's sha256


def photos_from_manifest(raw_dir: Path, manifest: pd.DataFrame) -> list[StoredPhoto]:
    """The stored photos to extract faces from, one per distinct file (keyed by its sha256)."""
    rows = downloaded(manifest)
    return [
        StoredPhoto(path=raw_dir / row.path, person=row.person, key=row.sha256)
        for row in rows.itertuples()
    ]
