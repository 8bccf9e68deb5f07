"""DVC stage split_faces: train/val/test per photo, by person."""

from __future__ import annotations

import logging

import pandas as pd

from dlpipe.atomic import write_json
from dlpipe.datasets.face_crops import accepted_items, read_manifest
from dlpipe.datasets.face_splits import SPLIT_COLUMNS, plan_splits, split_rows, split_summary
from dlpipe.families.faces import CROPS, RAW, REPORTS, SPLITS
from dlpipe.reporting.face_summaries import skipped_metrics
from dlpipe.stage import Skipped, Stage

log = logging.getLogger(__name__)


def split_faces(stage: Stage) -> None:
    """train/val/test per photo: person-stratified from the seed, or the gallery's own file."""
    params = stage.params
    cfg = params.face_split
    items = accepted_items(stage.path(CROPS), read_manifest(stage.path(RAW)))
    splits_file = stage.data_path(cfg.splits_file or f"{params.face_crawl.gallery}/splits.csv")
    plan = plan_splits(items, cfg, params.seed, splits_file)
    table = pd.DataFrame(split_rows(items, plan), columns=list(SPLIT_COLUMNS))
    table.to_csv(stage.out(SPLITS), index=False)
    for note in plan.notes:
        log.info("note: %s", note)
    if not items:
        reason = "no images: no face crops to split"
        write_json(stage.out(f"{REPORTS}/splits.json"), skipped_metrics(reason))
        raise Skipped(reason)
    write_json(stage.out(f"{REPORTS}/splits.json"), split_summary(items, plan, cfg.source))
