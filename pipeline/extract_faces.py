"""DVC stage extract_faces: one square face crop per crawled photo (OpenCV Haar cascade).

Every photo gets an audit row (faces found, the box kept, or why it was rejected); contact sheets
of the crops per person and of the rejected photos go to reports/ and MLflow.
"""

from __future__ import annotations

import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_dir, atomic_path, write_json
from dlpipe.config import as_plain, load_params
from dlpipe.datasets.face_crops import crop_path, photos_from_manifest, read_manifest, save_crop
from dlpipe.reporting.face_sheets import face_sheets, write_png
from dlpipe.reporting.face_summaries import extraction_summary, numeric_leaves, skipped_metrics
from dlpipe.tracking import start_run
from dlpipe.vision.audit import AUDIT_COLUMNS, audit_rows
from dlpipe.vision.extraction import extract_faces

FAMILY = "faces"
STAGE = "extract_faces"


def main() -> None:
    params = load_params()
    cfg = params.face_extract
    root = paths.project_root()
    reports = paths.reports_dir(root) / "faces"
    raw = paths.data_raw(root) / "faces"
    with (
        start_run(root, FAMILY, STAGE, as_plain(cfg)) as run,
        atomic_dir(paths.data_interim(root) / "faces") as out,
        atomic_dir(reports / "sheets") as sheets_dir,
    ):
        photos = photos_from_manifest(raw, read_manifest(raw))
        outcomes = extract_faces(photos, cfg)
        for outcome in outcomes:
            if outcome.crop is not None:
                save_crop(crop_path(out, outcome.person, outcome.key), outcome.crop)
        rows = audit_rows(outcomes, relative_to=root)
        with atomic_path(reports / "audit.csv") as tmp:
            pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)).to_csv(tmp, index=False)
        for name, sheet in face_sheets(outcomes, cfg.sheet_columns, cfg.max_pixels).items():
            write_png(sheets_dir / f"{name}.png", sheet)
        if photos:
            metrics = extraction_summary(rows)
            run.log_metrics(numeric_leaves(metrics))
        else:
            metrics = skipped_metrics("no images: the crawl stored no photos")
            run.set_tags({"dlpipe.skipped": metrics["skipped"]})
            print(f"skipped: {metrics['skipped']}")
        write_json(reports / "extract.json", metrics)
        run.log_artifact(reports / "audit.csv", "extraction")
        run.log_artifacts(sheets_dir, "extraction/sheets")


if __name__ == "__main__":
    main()
