"""DVC stage extract_faces: one square face crop per photo (OpenCV), audit, sheets."""

from __future__ import annotations

import pandas as pd

from dlpipe.atomic import write_json
from dlpipe.datasets.face_crops import crop_path, photos_from_manifest, read_manifest, save_crop
from dlpipe.families.faces import CROPS, RAW, REPORTS
from dlpipe.reporting.face_sheets import face_sheets, write_png
from dlpipe.reporting.face_summaries import extraction_summary, numeric_leaves, skipped_metrics
from dlpipe.stage import Skipped, Stage
from dlpipe.vision.audit import AUDIT_COLUMNS, audit_rows
from dlpipe.vision.extraction import Photo
from dlpipe.vision.extraction import extract_faces as extract_all


def extract_faces(stage: Stage) -> None:
    """One square crop per photo, an audit row per photo, contact sheets of both outcomes."""
    cfg = stage.params.face_extract
    raw = stage.path(RAW)
    stored = photos_from_manifest(raw, read_manifest(raw))
    outcomes = extract_all([Photo(*photo) for photo in stored], cfg)
    crops = stage.out(CROPS)
    for outcome in outcomes:
        if outcome.crop is not None:
            save_crop(crop_path(crops, outcome.person, outcome.key), outcome.crop)
    rows = audit_rows(outcomes, relative_to=stage.root)
    audit = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    audit.to_csv(stage.out(f"{REPORTS}/audit.csv"), index=False)
    sheets = stage.out(f"{REPORTS}/sheets")
    for name, sheet in face_sheets(outcomes, cfg.sheet_columns, cfg.max_pixels):
        write_png(sheets / f"{name}.png", sheet)
    if not stored:
        reason = "no images: the crawl stored no photos"
        write_json(stage.out(f"{REPORTS}/extract.json"), skipped_metrics(reason))
        raise Skipped(reason)
    metrics = {"detector": cfg.detector, **extraction_summary(rows)}
    if stage.run is not None:
        stage.run.log_metrics(numeric_leaves(metrics))
    write_json(stage.out(f"{REPORTS}/extract.json"), metrics)
