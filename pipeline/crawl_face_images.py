"""DVC stage crawl_face_images: photos of each person over HTTP with Scrapy, plus a manifest.

The default gallery folder is served on 127.0.0.1 and crawled like any website. With no gallery
and no start URLs the stage records "skipped: no images" and the rest of the pipeline runs on.
"""

from dlpipe.families.faces.crawl import crawl_face_images
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="crawl_face_images",
    family="faces",
    params=("face_crawl",),
    outputs=("data/raw/faces/", "reports/faces/crawl.json"),
)

if __name__ == "__main__":
    run_stage(SPEC, crawl_face_images)
