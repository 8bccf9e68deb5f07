"""Real crawls over HTTP on 127.0.0.1: a synthetic gallery, the `urls` source, the real set."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from crawl_test_support import make_synthetic_gallery

from dlpipe.config import FaceCrawlConfig, load_params
from dlpipe.crawling.gallery_server import serve_gallery
from dlpipe.crawling.manifest import GALLERY_ORIGIN, MANIFEST_COLUMNS, count_by_status
from dlpipe.crawling.run import crawl_faces_in_subprocess
from dlpipe.paths import data_path, project_root

pytestmark = pytest.mark.slow

STATS_KEYS = {
    "requests",
    "responses/200",
    "items",
    "dropped",
    "images/ok",
    "images/duplicate",
    "images/rejected",
    "images/failed",
    "retries",
    "robots_forbidden",
    "offsite_filtered",
    "timeouts",
    "bytes",
    "elapsed_s",
}


def _cfg(**changes: object) -> FaceCrawlConfig:
    return load_params().face_crawl.replace(**changes)


def _by_url_path(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {unquote(urlsplit(str(r["url"])).path).lstrip("/"): r for r in rows}


def test_synthetic_gallery_is_stored_by_content_hash(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    originals = make_synthetic_gallery(gallery)
    out = tmp_path / "out"
    cfg = _cfg(source="gallery", gallery="gallery", download_delay_s=0.01)

    result = crawl_faces_in_subprocess(cfg, out, tmp_path, timeout_s=60)

    assert result.skipped is None
    rows = _by_url_path(result.rows)
    assert set(rows) == set(originals)  # README.md / splits.csv are not person folders
    assert all(tuple(row) == MANIFEST_COLUMNS for row in rows.values())
    twins = {rows["alice/portrait.jpg"]["status"], rows["bob/same_as_alice.jpg"]["status"]}
    assert twins == {"ok", "duplicate"}
    assert count_by_status(result.rows) == {"ok": 5, "duplicate": 1, "rejected": 0, "failed": 0}

    expected_format = {
        "alice/portrait.jpg": ("JPEG", ".jpg"),
        "alice/really_a_png.jpg": ("PNG", ".png"),  # the format decides, not the name
        "alice/transparent.png": ("PNG", ".png"),
        "bob/grey.jpg": ("JPEG", ".jpg"),
        "bob/same_as_alice.jpg": ("JPEG", ".jpg"),
        "bob/modern.webp": ("WEBP", ".webp"),
    }
    for name, row in rows.items():
        data = originals[name]
        sha = hashlib.sha256(data).hexdigest()
        image_format, extension = expected_format[name]
        assert row["person"] == name.split("/")[0]
        assert (row["sha256"], row["format"], row["bytes"]) == (sha, image_format, len(data))
        assert row["page_url"] and row["licence"] == "" and row["author"] == ""
        assert str(row["path"]).endswith(f"/{sha}{extension}")
        assert (out / str(row["path"])).read_bytes() == data  # the original bytes, not re-encoded
        if row["status"] == "ok":
            assert row["reason"] == "" and row["path"] == f"images/{row['person']}/{sha}{extension}"
        else:
            assert f"same bytes as {GALLERY_ORIGIN}/" in str(row["reason"])
        # The served port changes every run; the manifest does not (DVC hashes it).
        assert str(row["url"]).startswith(f"{GALLERY_ORIGIN}/{row['person']}/")
        assert str(row["page_url"]) == f"{GALLERY_ORIGIN}/{row['person']}/"
    assert rows["alice/transparent.png"]["width"] == 40
    assert (rows["bob/modern.webp"]["width"], rows["bob/modern.webp"]["height"]) == (40, 44)
    assert len([p for p in (out / "images").rglob("*") if p.is_file()]) == 5

    stats = result.stats
    assert set(stats) >= STATS_KEYS
    # robots.txt + index + two person pages + six images
    assert stats["requests"] == stats["responses/200"] == 10
    assert (stats["images/ok"], stats["images/duplicate"], stats["items"]) == (5, 1, 6)
    assert stats["log_errors"] == 0 and stats["log_warnings"] == 0  # no deprecation warnings
    assert 0 < stats["elapsed_s"] < 30


def test_urls_source_takes_images_from_start_pages(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    make_synthetic_gallery(gallery)
    with serve_gallery(gallery) as base_url:
        cfg = _cfg(
            source="urls", start_urls={"Alice Liddell": (f"{base_url}/alice/",)}, download_delay_s=0
        )
        result = crawl_faces_in_subprocess(cfg, tmp_path / "out", tmp_path, timeout_s=60)

    assert result.skipped is None
    rows = _by_url_path(result.rows)
    assert set(rows) == {"alice/portrait.jpg", "alice/really_a_png.jpg", "alice/transparent.png"}
    assert {row["person"] for row in rows.values()} == {"alice_liddell"}
    assert {row["status"] for row in rows.values()} == {"ok"}


def test_page_limit_stops_the_crawl_cleanly(tmp_path: Path) -> None:
    make_synthetic_gallery(tmp_path / "gallery")
    cfg = _cfg(source="gallery", gallery="gallery", max_pages=2, download_delay_s=0.05)

    result = crawl_faces_in_subprocess(cfg, tmp_path / "out", tmp_path, timeout_s=60)

    assert result.skipped is None
    assert result.stats["closed_by_page_limit"] == 1
    assert result.stats["responses"] < 10  # 10 without a limit (robots, index, 2 pages, 6 images)
    assert len(result.rows) < 6


def test_five_celebrities_gallery(tmp_path: Path) -> None:
    root = project_root()
    cfg = load_params().face_crawl
    folder = data_path(root, cfg.gallery)
    if not folder.is_dir():
        pytest.skip(f"the five-celebrities gallery is not present at {folder}")
    people = sorted(p.name for p in folder.iterdir() if p.is_dir())

    result = crawl_faces_in_subprocess(cfg, tmp_path / "out", root, timeout_s=120)

    assert result.skipped is None
    assert len(result.rows) == 118
    assert {row["status"] for row in result.rows} <= {"ok", "duplicate"}
    assert (
        sorted({str(row["person"]) for row in result.rows})
        == people
        == sorted(["ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"])
    )
    for person in people:
        on_disk = sum(1 for p in (folder / person).iterdir() if p.is_file())
        assert sum(row["person"] == person for row in result.rows) == on_disk
    formats = [row["format"] for row in result.rows]
    assert formats.count("PNG") >= 1 and set(formats) <= {"JPEG", "PNG"}
    # splits.csv names files as person/filename, which the URL path keeps.
    rows = _by_url_path(result.rows)
    with (folder / "splits.csv").open(newline="") as handle:
        split_files = {line["file"] for line in csv.DictReader(handle)}
    assert split_files == set(rows)
    for row in result.rows:
        assert (tmp_path / "out" / str(row["path"])).is_file()
    assert result.stats["images/ok"] + result.stats["images/duplicate"] == 118
    assert result.stats["elapsed_s"] < 30
