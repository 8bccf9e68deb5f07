"""DVC stage split_faces: train/val/test per photo, person-stratified from the seed or the
gallery's own splits.csv (its val photos become our test split)."""

from __future__ import annotations

import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_path, write_json
from dlpipe.config import load_params
from dlpipe.datasets.face_crops import accepted_items, read_manifest
from dlpipe.datasets.face_splits import (
    SPLIT_COLUMNS,
    file_splits,
    read_splits_file,
    split_counts,
    stratified_splits,
)
from dlpipe.reporting.face_summaries import skipped_metrics


def main() -> None:
    params = load_params()
    cfg = params.face_split
    root = paths.project_root()
    items = accepted_items(
        paths.data_interim(root) / "faces", read_manifest(paths.data_raw(root) / "faces")
    )
    if cfg.source == "file":
        gallery = paths.data_path(root, params.face_crawl.gallery)
        listed = read_splits_file(
            paths.data_path(root, cfg.splits_file) if cfg.splits_file else gallery / "splits.csv"
        )
        plan = file_splits(items, listed, cfg.val_fraction, params.seed)
    else:
        plan = stratified_splits(items, cfg.val_fraction, cfg.test_fraction, params.seed)
    rows = [
        {"key": item.key, "person": item.person, "split": plan.assignment[item.key]}
        for item in items
        if item.key in plan.assignment
    ]
    target = paths.data_processed(root) / "faces" / "splits.csv"
    with atomic_path(target) as tmp:
        pd.DataFrame(rows, columns=list(SPLIT_COLUMNS)).to_csv(tmp, index=False)
    counts = split_counts(items, plan)
    metrics: dict[str, object] = (
        {"skipped": None, "source": cfg.source, "per_person": counts, "totals": _totals(counts)}
        if items
        else skipped_metrics("no images: no face crops to split")
    )
    metrics["notes"] = list(plan.notes)
    write_json(paths.reports_dir(root) / "faces" / "splits.json", metrics)
    for note in plan.notes:
        print(f"note: {note}")


def _totals(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in counts.values():
        for split, n in row.items():
            totals[split] = totals.get(split, 0) + n
    return totals


if __name__ == "__main__":
    main()
