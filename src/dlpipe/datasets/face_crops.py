"""The face branch's files between stages: the crawl manifest, the crops and the split table.

Crops are PNGs at `crops/<person>/<key>.png` (key: the photo's sha256), pixels in RGB order (or
grey), so they read back exactly as OpenCV's extraction produced them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
from PIL import Image

from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_splits import SPLITS, FaceItem
from dlpipe.vision.extraction import Photo

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


def load_split_arrays(
    crops_dir: Path, assignment: Mapping[str, str], items: Sequence[FaceItem]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], tuple[str, ...]]:
    """Images (uint8) and integer labels per split; classes are the sorted people."""
    classes = tuple(sorted({item.person for item in items if item.key in assignment}))
    label = {person: i for i, person in enumerate(classes)}
    images: dict[str, list[np.ndarray]] = {split: [] for split in SPLITS}
    labels: dict[str, list[int]] = {split: [] for split in SPLITS}
    for item in items:
        split = assignment.get(item.key)
        if split is None:
            continue
        path = crop_path(crops_dir, item.person, item.key)
        with Image.open(path) as image:
            images[split].append(np.asarray(image))
        labels[split].append(label[item.person])
    shapes = {a.shape for batch in images.values() for a in batch}
    if len(shapes) > 1:
        raise DatasetError(
            f"{crops_dir}: crops of different shapes {sorted(shapes)}; re-run extract_faces"
        )
    shape = next(iter(shapes), (0, 0))
    x = {s: np.stack(v) if v else np.zeros((0, *shape), np.uint8) for s, v in images.items()}
    y = {s: np.asarray(v, dtype=np.int64) for s, v in labels.items()}
    return x, y, classes


def photos_from_manifest(raw_dir: Path, manifest: pd.DataFrame) -> list[Photo]:
    """The stored photos to extract faces from, one per distinct file (keyed by its sha256)."""
    rows = downloaded(manifest)
    return [
        Photo(path=raw_dir / row.path, person=row.person, key=row.sha256)
        for row in rows.itertuples()
    ]
