"""Image checks and the gallery website, without a crawl."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from crawl_test_support import make_synthetic_gallery, photo_bytes, png_header_only
from PIL import Image

from dlpipe.crawling.gallery_server import serve_gallery
from dlpipe.crawling.image_checks import extension_for, inspect_image
from dlpipe.crawling.manifest import MANIFEST_COLUMNS, make_row


def test_accepts_a_photo_and_reports_its_real_format() -> None:
    check = inspect_image(photo_bytes((50, 40), fmt="PNG"), max_pixels=10_000, min_side=32)
    assert check.ok and (check.format, check.width, check.height) == ("PNG", 50, 40)
    assert extension_for("PNG") == ".png" and extension_for("MPO") == ".jpg"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html>nope</html>", "not an image"),
        (png_header_only(20000, 20000), "too many pixels"),
        (png_header_only(200, 100), "too many pixels: 200x100"),
        (photo_bytes((10, 40)), "too small: 10x40"),
        (photo_bytes((100, 100))[:800], "truncated"),
    ],
)
def test_rejects_with_a_reason(body: bytes, words: str) -> None:
    check = inspect_image(body, max_pixels=10_000, min_side=32)
    assert not check.ok and words in check.reason


def test_pillow_global_limit_is_untouched() -> None:
    before = Image.MAX_IMAGE_PIXELS
    inspect_image(png_header_only(20000, 20000), max_pixels=10, min_side=1)
    assert before == Image.MAX_IMAGE_PIXELS


def test_make_row_fills_every_column() -> None:
    row = make_row(url="http://x/a.jpg", person="a", status="failed", reason="HTTP 404")
    assert tuple(row) == MANIFEST_COLUMNS and row["path"] == "" and row["width"] == 0
    with pytest.raises(ValueError, match="status"):
        make_row(url="u", person="p", status="maybe")


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def test_gallery_server_serves_a_website(tmp_path: Path) -> None:
    originals = make_synthetic_gallery(tmp_path)
    with serve_gallery(tmp_path) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        status, _, robots = _get(f"{base_url}/robots.txt")
        assert status == 200 and b"Disallow:\n" in robots
        _, kind, index = _get(f"{base_url}/")
        assert kind.startswith("text/html")
        assert b'data-person="alice"' in index and b'data-person="bob"' in index
        assert b"README" not in index and b"splits" not in index
        _, _, page = _get(f"{base_url}/alice/")
        assert b'src="/alice/really_a_png.jpg"' in page
        status, kind, body = _get(f"{base_url}/alice/really_a_png.jpg")
        assert (status, kind) == (200, "image/jpeg")  # by extension, as a naive server would
        assert body == originals["alice/really_a_png.jpg"]
        assert _get(f"{base_url}/alice/..%2F..%2Fetc%2Fpasswd")[0] == 404
        assert _get(f"{base_url}/README.md")[0] == 404
        assert _get(f"{base_url}/carol/")[0] == 404
    with pytest.raises(OSError):
        _get(f"{base_url}/")  # shut down


def test_gallery_server_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), serve_gallery(tmp_path / "missing"):
        pass
