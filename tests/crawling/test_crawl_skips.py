"""Nothing to crawl is a skip with a reason, decided before Scrapy or a server starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlpipe.config import FaceCrawlConfig, load_params
from dlpipe.crawling import run


@pytest.fixture
def no_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a skipped crawl must not start Scrapy or a gallery server")

    monkeypatch.setattr(run, "_run_spider", forbidden)
    monkeypatch.setattr(run, "serve_gallery", forbidden)


def _cfg(**changes: object) -> FaceCrawlConfig:
    return load_params().face_crawl.replace(**changes)


@pytest.mark.usefixtures("no_crawl")
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"source": "gallery", "gallery": "missing/folder"}, "gallery folder"),
        ({"source": "urls", "start_urls": {}}, "no start URLs"),
        ({"source": "urls", "start_urls": {"ada": ()}}, "no start URLs"),
        ({"source": "wikimedia"}, "no categories"),
    ],
)
def test_nothing_to_crawl_is_skipped(tmp_path: Path, changes: dict, words: str) -> None:
    result = run.crawl_faces(_cfg(**changes), tmp_path / "out", tmp_path)

    assert result.rows == [] and result.stats == {}
    assert result.skipped is not None
    assert result.skipped.startswith("no images: ") and words in result.skipped
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("no_crawl")
def test_missing_gallery_names_the_resolved_folder(tmp_path: Path) -> None:
    result = run.crawl_faces(_cfg(gallery="../nowhere"), tmp_path / "out", tmp_path / "root")

    assert (
        result.skipped == f"no images: gallery folder {tmp_path / 'root' / '../nowhere'} not found"
    )


@pytest.mark.usefixtures("no_crawl")
def test_gallery_without_person_folders_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "gallery").mkdir()
    (tmp_path / "gallery" / "README.md").write_text("no people here")

    result = run.crawl_faces(_cfg(gallery="gallery"), tmp_path / "out", tmp_path)

    assert result.skipped is not None and "no person subfolders" in result.skipped
