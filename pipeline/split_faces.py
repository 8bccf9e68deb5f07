"""DVC stage split_faces: train/val/test per photo, person-stratified from the seed or the
gallery's own splits.csv (its val photos become our test split)."""

from __future__ import annotations

import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_path, write_json
from dlpipe.config import load_params
from dlpipe.datasets.face_crops import accepted_items, read_manifest
from dlpipe.datasets.face_splits import SPLIT_COLUMNS, plan_splits, split_rows, split_summary
from dlpipe.reporting.face_summaries import skipped_metrics


def main() -> None:
    params = load_params()
    cfg = params.face_split
    root = paths.project_root()
    items = accepted_items(
        paths.data_interim(root) / "faces", read_manifest(paths.data_raw(root) / "faces")
    )
    splits_file = paths.data_path(
        root, cfg.splits_file or f"{params.face_crawl.gallery}/splits.csv"
    )
    plan = plan_splits(items, cfg, params.seed, splits_file)
    with atomic_path(paths.data_processed(root) / "faces" / "splits.csv") as tmp:
        pd.DataFrame(split_rows(items, plan), columns=list(SPLIT_COLUMNS)).to_csv(tmp, index=False)
    metrics = (
        split_summary(items, plan, cfg.source)
        if items
        else skipped_metrics("no images: no face crops to split")
    )
    write_json(paths.reports_dir(root) / "faces" / "splits.json", metrics)
    for note in plan.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
