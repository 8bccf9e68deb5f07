"""Haar vs dlib's HOG detector on the same crawled photos: acceptance, speed, downstream accuracy.

Both detectors see every photo of the crawl (`data/raw/faces`) with the default params, only
`face_extract.detector` changed. The split is drawn once over all photos (person-stratified,
the params' seed), so both detectors are tested on the same test photos: a photo a detector
rejects is simply missing from its splits. The three face models (the embedding + linear SVM,
the CNN, Eigenfaces + SVM) are then trained on each detector's faces with the pipeline's own
library calls. Accuracy is given two ways: over the test photos the detector accepted, and end
to end over all test photos (a rejected photo counts as a miss).

Run after `dvc repro crawl_face_images`:
.venv/bin/python benchmarks/face_detectors.py [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.config import Params, load_params
from dlpipe.data.face_data import FaceSplits
from dlpipe.datasets.face_crops import (
    crop_path,
    load_split_arrays,
    photos_from_manifest,
    read_manifest,
    save_crop,
)
from dlpipe.datasets.face_splits import SPLITS, FaceItem, stratified_splits
from dlpipe.stage import configure_logging
from dlpipe.training.face_comparison import compare_face_models
from dlpipe.training.face_three_way import all_predictions, train_embedding_model
from dlpipe.training.face_unknown_study import LabelledFaces
from dlpipe.vision.extraction import FaceOutcome, Photo, extract_faces
from dlpipe.vision.face_embedding import FaceEmbedder
from dlpipe.vision.face_models import fetch_face_models, load_face_models
from dlpipe.vision.images import load_image
from docs_section import write_section

DETECTORS = ("haar", "hog")
MODELS = ("embedding", "cnn", "eigenfaces")


def split_all_photos(photos: Sequence[Photo], params: Params) -> dict[str, str]:
    """key -> split over every crawled photo, so both detectors share the test photos."""
    items = [FaceItem(p.key, p.person, p.path.name) for p in photos]
    cfg = params.face_split
    return stratified_splits(items, cfg.val_fraction, cfg.test_fraction, params.seed).assignment


def accepted_table(outcomes: Sequence[FaceOutcome], assignment: dict[str, str]) -> pd.DataFrame:
    """The accepted faces as a split table (key, person, split), in photo order."""
    rows = [
        {"key": o.key, "person": o.person, "split": assignment[o.key]}
        for o in outcomes
        if o.accepted
    ]
    return pd.DataFrame(rows, columns=["key", "person", "split"])


def embedded_faces(
    outcomes: Sequence[FaceOutcome],
    table: pd.DataFrame,
    y: dict[str, np.ndarray],
    embedder: FaceEmbedder,
    max_pixels: int,
) -> dict[str, LabelledFaces]:
    """Descriptors per split in the table's order, from each photo and the box kept for it."""
    by_key = {o.key: o for o in outcomes if o.accepted}
    faces: dict[str, LabelledFaces] = {}
    for split in SPLITS:
        keys = table.loc[table["split"] == split, "key"].tolist()
        pairs = []
        for key in keys:
            outcome = by_key[key]
            assert outcome.box is not None
            bgr = load_image(outcome.path, max_pixels).bgr
            pairs.append((np.ascontiguousarray(bgr[..., ::-1]), outcome.box))
        descriptors = [face.descriptor for face in embedder.embed_many(pairs)]
        stacked = np.stack(descriptors).astype(np.float64) if descriptors else np.zeros((0, 128))
        faces[split] = LabelledFaces(stacked, y[split])
    return faces


def one_detector(
    detector: str,
    photos: Sequence[Photo],
    assignment: dict[str, str],
    params: Params,
    embedder: FaceEmbedder,
) -> dict[str, object]:
    """Extract with `detector`, train the three models on its faces, score the shared test."""
    cfg = params.face_extract.replace(detector=detector)
    started = time.perf_counter()
    outcomes = extract_faces(photos, cfg)
    seconds = time.perf_counter() - started
    table = accepted_table(outcomes, assignment)
    with tempfile.TemporaryDirectory() as scratch:
        crops = Path(scratch) / "crops"
        for outcome in outcomes:
            if outcome.crop is not None:
                save_crop(crop_path(crops, outcome.person, outcome.key), outcome.crop)
        x, y, classes = load_split_arrays(crops, table)
        comparison = compare_face_models(
            FaceSplits(x=x, y=y, classes=classes),
            params.face_cnn,
            params.eigenfaces,
            params.training.replace(progress_bar=False),
            params.seed,
            None,
            Path(scratch) / "checkpoints",
        )
    faces = embedded_faces(outcomes, table, y, embedder, cfg.max_pixels)
    embedding = train_embedding_model(faces, classes, params.face_embedding, params.seed)
    predicted = {m: p["test"] for m, p in all_predictions(comparison, embedding).items()}
    all_test = sum(1 for split in assignment.values() if split == "test")
    correct = {m: int((predicted[m] == y["test"]).sum()) for m in MODELS}
    return {
        "accepted": sum(o.accepted for o in outcomes),
        "several": sum(o.faces_found > 1 for o in outcomes),
        "seconds": seconds,
        "test_accepted": len(y["test"]),
        "test_all": all_test,
        "correct": correct,
    }


def table(rows: dict[str, dict], photos: int) -> str:
    head = (
        "| detector | accepted | several faces | extraction s | test photos kept | "
        + " | ".join(f"{m} acc. (kept)" for m in MODELS)
        + " | "
        + " | ".join(f"{m} end to end" for m in MODELS)
        + " |"
    )
    lines = [head, "|---" * (5 + 2 * len(MODELS)) + "|"]
    for detector, row in rows.items():
        correct = row["correct"]
        kept = [f"{correct[m] / max(row['test_accepted'], 1):.3f}" for m in MODELS]
        overall = [f"{correct[m] / max(row['test_all'], 1):.3f}" for m in MODELS]
        lines.append(
            f"| {detector} | {row['accepted']}/{photos} ({row['accepted'] / photos:.1%}) | "
            f"{row['several']} | {row['seconds']:.1f} | "
            f"{row['test_accepted']}/{row['test_all']} | "
            + " | ".join(kept)
            + " | "
            + " | ".join(overall)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    configure_logging()  # the stages' quiet: no Lightning tips or per-step lines
    root = paths.project_root(Path(__file__).resolve().parent)
    raw = paths.data_raw(root) / "faces"
    if not (raw / "manifest.csv").is_file():
        sys.exit("no crawled photos: run `dvc repro crawl_face_images` first")
    params = load_params(root / "params.yaml")
    photos = [Photo(*stored) for stored in photos_from_manifest(raw, read_manifest(raw))]
    assignment = split_all_photos(photos, params)
    cfg = params.face_embedding
    models = load_face_models(fetch_face_models(cfg, paths.origin_root(root) / cfg.cache_dir))
    embedder = FaceEmbedder.from_config(models, cfg)
    rows = {d: one_detector(d, photos, assignment, params, embedder) for d in DETECTORS}
    body = (
        f"{table(rows, len(photos))}\n\n"
        "One split over all crawled photos (person-stratified, seed "
        f"{params.seed}); each detector's models are trained on the faces it accepted and scored "
        "on the test photos it kept (`kept`) and on all test photos, a rejected one counting as "
        "a miss (`end to end`). Extraction time: all photos, one process per core.\n"
        f"Measured {datetime.date.today()}; command: `python benchmarks/face_detectors.py`."
    )
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md",
            "face_detectors",
            "Face detectors: Haar vs dlib's HOG (acceptance and downstream accuracy)",
            body,
        )


if __name__ == "__main__":
    main()
