"""A hostile site on 127.0.0.1: every bad case gets a row with a reason, and the crawl returns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from crawl_test_support import serve_hostile_site

from dlpipe.config import load_params
from dlpipe.crawling.run import CrawlPlan, crawl_faces_in_subprocess
from dlpipe.crawling.settings import allowed_domains
from dlpipe.crawling.spiders.gallery import GallerySpider

pytestmark = pytest.mark.slow

EXPECTED = {  # URL path -> (status, words the reason must contain)
    "/img/good.png": ("ok", ""),  # linked from the first page, so downloaded first
    "/img/good_copy.png": ("duplicate", "same bytes as http://127.0.0.1:"),
    "/img/moved-here.png": ("ok", ""),  # a redirect within the allowed host is fine
    "/img/missing.jpg": ("failed", "HTTP 404"),
    "/img/error.jpg": ("failed", "HTTP 500 after 1 retries"),
    "/img/moved-away.jpg": ("failed", "redirected off the allowed domains"),
    "/img/offsite.png": ("failed", "offsite: host 'localhost'"),
    "/img/html.jpg": ("rejected", "not an image"),
    "/img/page.jpg": ("rejected", "content type 'text/html"),
    "/img/truncated.jpg": ("rejected", "truncated"),
    "/img/bomb.png": ("rejected", "too many pixels"),
    "/img/wide.png": ("rejected", "too many pixels: 2000x1000"),
    "/img/big.png": ("failed", "too large"),
    "/img/tiny.png": ("rejected", "too small: 10x10"),
    "/img/slow.jpg": ("failed", "timeout"),
    "/private/secret.png": ("failed", "robots.txt"),
}


def test_hostile_site(tmp_path: Path) -> None:
    cfg = load_params().face_crawl.replace(
        timeout_s=1.0,
        retries=1,
        max_download_bytes=100_000,
        max_pixels=1_000_000,
        min_side=32,
        download_delay_s=0.0,
        allowed_domains=(),
    )
    with serve_hostile_site(cfg.max_download_bytes) as (base_url, hits):
        plan = CrawlPlan(
            GallerySpider,
            {"index_url": f"{base_url}/", "allowed_domains": allowed_domains(cfg, [base_url])},
        )
        result = crawl_faces_in_subprocess(cfg, tmp_path / "out", tmp_path, plan=plan, timeout_s=60)
        seen = Counter(hits)

    rows = {urlsplit(str(row["url"])).path: row for row in result.rows}
    assert set(rows) == set(EXPECTED)
    assert len(result.rows) == len(EXPECTED)  # one row per URL, even when linked twice
    for path, (status, words) in EXPECTED.items():
        row = rows[path]
        assert (row["status"], path) == (status, path), row["reason"]
        assert words in str(row["reason"]), (path, row["reason"])
        assert row["person"] == "hostile_site"
        assert bool(row["path"]) == (status in ("ok", "duplicate"))

    assert seen["/img/error.jpg"] == 2  # retried once, then recorded
    assert seen["/img/slow.jpg"] == 2
    assert seen["/img/good.png?via=redirect"] == 0  # the offsite redirect was not followed
    assert seen["/img/offsite.png"] == seen["/private/secret.png"] == 0
    assert seen["/private/page.html"] == 0  # robots.txt applies to pages too
    assert seen["/p/one"] == seen["/p/two"] == seen["/"] == 1  # the link loop ended

    stats = result.stats
    assert stats["robots_forbidden"] == 2
    assert stats["offsite_filtered"] == 2
    assert stats["retries"] >= 2 and stats["timeouts"] >= 1
    assert stats["responses/404"] == 1 and stats["responses/500"] == 2
    assert (stats["images/ok"], stats["images/duplicate"]) == (2, 1)
    assert (stats["images/rejected"], stats["images/failed"]) == (6, 7)
