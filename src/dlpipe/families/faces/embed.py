"""DVC stage embed_faces: dlib's 128-d descriptor of every face the split table lists.

The face is the one extraction kept: its box on the full photo (audit.csv; Haar's or dlib's
HOG detector's, by `face_extract.detector`) seeds dlib's landmark model, which aligns the chip
the ResNet sees. The photo is read by the extraction's own
reader, so EXIF rotation and colour conversion are the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_crops import read_split_table
from dlpipe.datasets.face_embeddings import FaceEmbeddings, save_embeddings
from dlpipe.families.faces import EMBEDDINGS, REPORTS, SPLITS
from dlpipe.reporting.face_summaries import skipped_metrics
from dlpipe.stage import Skipped, Stage
from dlpipe.vision.face_embedding import DESCRIPTOR_SIZE, LANDMARK_COUNT, Box, FaceEmbedder
from dlpipe.vision.face_models import fetch_face_models, load_face_models
from dlpipe.vision.images import load_image

log = logging.getLogger(__name__)
BOX = ("box_x", "box_y", "box_w", "box_h")


def embed_faces(stage: Stage) -> None:
    """One descriptor per accepted face, in the split table's order."""
    params = stage.params
    cfg = params.face_embedding
    table = read_split_table(stage.path(SPLITS))
    if table.empty:
        save_embeddings(stage.out(EMBEDDINGS), empty_embeddings())
        reason = "no images: no faces in the split table"
        write_json(stage.out(f"{REPORTS}/embed.json"), skipped_metrics(reason))
        raise Skipped(reason)
    faces = faces_to_embed(table, pd.read_csv(stage.path(f"{REPORTS}/audit.csv"), dtype=str))
    cache = paths.origin_root(stage.root) / cfg.cache_dir
    embedder = FaceEmbedder.from_config(load_face_models(fetch_face_models(cfg, cache)), cfg)
    started = time.perf_counter()
    max_pixels = params.face_extract.max_pixels
    embedded = embedder.embed_many(photos_and_boxes(stage.root, faces, max_pixels))
    seconds = (time.perf_counter() - started) / max(len(embedded), 1)
    log.info("embedded %d faces, %.3f s per face", len(embedded), seconds)
    result = FaceEmbeddings(
        keys=faces["key"].to_numpy(str),
        people=faces["person"].to_numpy(str),
        splits=faces["split"].to_numpy(str),
        descriptors=np.stack([face.descriptor for face in embedded]).astype(np.float32),
        landmarks=np.stack([face.landmarks for face in embedded]).astype(np.int64),
    )
    save_embeddings(stage.out(EMBEDDINGS), result)
    if stage.run is not None:
        # Seconds differ run to run: MLflow keeps them, the tracked summary does not.
        stage.run.log_metrics({"faces": float(len(embedded)), "seconds_per_face": seconds})
    write_json(stage.out(f"{REPORTS}/embed.json"), embedding_summary(result, cfg.package))


def faces_to_embed(table: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """The split table's rows (same order) with each photo's path and face box from the audit."""
    kept = audit[audit["accepted"].str.lower() == "true"].drop_duplicates("key")
    joined = table.merge(kept[["key", "path", *BOX]], on="key", how="left", validate="1:1")
    lost = joined[joined["path"].isna()]
    if not lost.empty:
        raise DatasetError(
            f"{len(lost)} face(s) of the split table have no accepted row in audit.csv (e.g. "
            f"{lost['key'].iloc[0]}); rerun extract_faces and split_faces"
        )
    return joined


def photos_and_boxes(
    root: Path, faces: pd.DataFrame, max_pixels: int
) -> Iterator[tuple[np.ndarray, Box]]:
    """(RGB photo, detector box) per face, read one at a time (only the chips stay in memory)."""
    for row in faces.itertuples():
        bgr = load_image(root / row.path, max_pixels).bgr
        box = tuple(round(float(getattr(row, name))) for name in BOX)
        yield np.ascontiguousarray(bgr[..., ::-1]), box  # type: ignore[misc]


def embedding_summary(table: FaceEmbeddings, package: str) -> dict[str, object]:
    """Counts and descriptor lengths: the numbers that reproduce bit for bit."""
    norms = np.linalg.norm(table.descriptors.astype(np.float64), axis=1)
    splits, counts = np.unique(table.splits, return_counts=True)
    return {
        "skipped": None,
        "model": package,
        "faces": len(table.keys),
        "people": len(set(table.people.tolist())),
        "per_split": {str(s): int(n) for s, n in zip(splits, counts, strict=True)},
        "descriptor_norm": {
            "min": round(float(norms.min()), 4),
            "max": round(float(norms.max()), 4),
        },
    }


def empty_embeddings() -> FaceEmbeddings:
    text = np.array([], dtype=str)
    return FaceEmbeddings(
        text,
        text,
        text,
        np.zeros((0, DESCRIPTOR_SIZE), np.float32),
        np.zeros((0, LANDMARK_COUNT, 2), np.int64),
    )
