"""DVC stage crawl_face_images: photos over HTTP with Scrapy, and the manifest."""

from __future__ import annotations

import pandas as pd

from dlpipe.atomic import write_json
from dlpipe.crawling.manifest import MANIFEST_COLUMNS
from dlpipe.crawling.run import crawl_faces
from dlpipe.datasets.face_crops import MANIFEST
from dlpipe.families.faces import RAW, REPORTS
from dlpipe.reporting.face_summaries import crawl_summary, numeric_leaves, skipped_metrics
from dlpipe.stage import Skipped, Stage


def crawl_face_images(stage: Stage) -> None:
    """Every image URL seen goes into the manifest (ok, duplicate, rejected or failed, why)."""
    out = stage.out(RAW)
    # "WARNING": Scrapy installs no root handler of its own (that one opens every library's
    # DEBUG lines); its records go through the stage's logging, which keeps warnings only.
    result = crawl_faces(stage.params.face_crawl, out, stage.root, log_level="WARNING")
    pd.DataFrame(result.rows, columns=list(MANIFEST_COLUMNS)).to_csv(out / MANIFEST, index=False)
    if result.skipped:
        write_json(stage.out(f"{REPORTS}/crawl.json"), skipped_metrics(result.skipped))
        raise Skipped(result.skipped)
    metrics = crawl_summary(result.rows, result.stats)
    if stage.run is not None:
        stage.run.log_metrics(numeric_leaves(metrics))
        stage.run.log_artifact(out / MANIFEST, "crawl")
    # The crawl's wall time differs run to run: MLflow keeps it, the tracked file does not, so a
    # rerun reproduces the file bit for bit.
    timeless = {k: v for k, v in result.stats.items() if k != "elapsed_s"}
    write_json(stage.out(f"{REPORTS}/crawl.json"), crawl_summary(result.rows, timeless))
