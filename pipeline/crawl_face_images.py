"""DVC stage crawl_face_images: photos of each person over HTTP with Scrapy, plus a manifest.

The default gallery folder is served on 127.0.0.1 and crawled like any website. With no gallery
and no start URLs the stage records "skipped: no images" and the rest of the pipeline runs on.
"""

from __future__ import annotations

import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json
from dlpipe.config import as_plain, load_params
from dlpipe.crawling.manifest import MANIFEST_COLUMNS
from dlpipe.crawling.run import crawl_faces
from dlpipe.datasets.face_crops import MANIFEST
from dlpipe.reporting.face_summaries import crawl_summary, numeric_leaves, skipped_metrics
from dlpipe.tracking import start_run

FAMILY = "faces"
STAGE = "crawl_face_images"


def main() -> None:
    params = load_params()
    cfg = params.face_crawl
    root = paths.project_root()
    metrics_path = paths.reports_dir(root) / "faces" / "crawl.json"
    with (
        start_run(root, FAMILY, STAGE, as_plain(cfg)) as run,
        atomic_dir(paths.data_raw(root) / "faces") as out,
    ):
        result = crawl_faces(cfg, out, root)
        manifest = pd.DataFrame(result.rows, columns=list(MANIFEST_COLUMNS))
        manifest.to_csv(out / MANIFEST, index=False)
        if result.skipped:
            print(f"skipped: {result.skipped}")
            metrics = skipped_metrics(result.skipped)
            run.set_tags({"dlpipe.skipped": result.skipped})
        else:
            metrics = crawl_summary(result.rows, result.stats)
            run.log_metrics(numeric_leaves(metrics))
        write_json(metrics_path, metrics)
        run.log_artifact(out / MANIFEST, "crawl")
        run.log_artifact(metrics_path, "crawl")


if __name__ == "__main__":
    main()
