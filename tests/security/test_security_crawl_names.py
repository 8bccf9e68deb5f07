"""Crawled files are named by their content hash: a site's names never reach the filesystem.

A site on 127.0.0.1 names its people `../../escape`, `/abs/path`, one with a NUL, one of 5,000
characters and `..`, and its images `..%2F..%2Fevil.png`, `%00.png` and a 3,000-character name.
After a real crawl (the stage's GallerySpider in its own process), every stored file is
`images/<person slug>/<sha256 of its bytes>.<ext>`, the slugs are short and plain, and nothing
was written outside the output folder.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlpipe.config import load_params
from dlpipe.crawling.links import person_slug
from dlpipe.crawling.run import CrawlPlan, crawl_faces_in_subprocess
from dlpipe.crawling.settings import allowed_domains
from dlpipe.crawling.spiders.gallery import GallerySpider

pytestmark = pytest.mark.slow

PEOPLE = ["../../escape", "/abs/path", "nul\x00name", "A" * 5000, "..", "Plain Name"]
IMAGE_NAMES = ["..%2F..%2Fevil.png", "%00.png", "b" * 3000 + ".png", "..%5C..%5Cwin.png"]
STORED = re.compile(r"images/(?P<person>[a-z0-9_]{1,64})/(?P<sha>[0-9a-f]{64})\.(png|jpg)")


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(40, 40, 3), dtype=np.uint8)
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            links = "".join(
                f'<a data-person="{escape(name)}" href="/p/{i}">x</a>'
                for i, name in enumerate(PEOPLE)
            )
            self._send("text/html", links.encode())
        elif self.path.startswith("/p/"):
            person = self.path.removeprefix("/p/")
            images = "".join(f'<img src="/img/{person}/{name}">' for name in IMAGE_NAMES)
            self._send("text/html", images.encode())
        elif self.path.startswith("/img/"):
            self._send("image/png", _png(int(hashlib.sha256(self.path.encode()).hexdigest(), 16)))
        else:
            self.send_error(404)

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _hostile_names_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_person_slugs_are_plain_short_and_distinct() -> None:
    assert person_slug("Ben Affleck") == "ben_affleck"
    assert person_slug("../../escape") == "escape"
    assert person_slug("/abs/path") == "abs_path"
    assert person_slug("nul\x00name") == "nul_name"
    assert person_slug("..") == person_slug("") == "unknown"
    long_a, long_b = person_slug("A" * 5000), person_slug("A" * 4999 + "B")
    assert len(long_a) <= 64 and long_a != long_b and long_a.startswith("aaaa")


def test_a_crawl_stores_files_by_hash_only(tmp_path: Path) -> None:
    cfg = load_params().face_crawl.replace(
        timeout_s=5.0, retries=0, min_side=16, download_delay_s=0.0, allowed_domains=()
    )
    out = tmp_path / "out"
    with _hostile_names_site() as base_url:
        plan = CrawlPlan(
            GallerySpider,
            {"index_url": f"{base_url}/", "allowed_domains": allowed_domains(cfg, [base_url])},
        )
        result = crawl_faces_in_subprocess(cfg, out, tmp_path, plan=plan, timeout_s=60)

    ok = [row for row in result.rows if row["status"] == "ok"]
    reasons = [str(r["reason"])[:200] for r in result.rows if r["status"] != "ok"]
    assert len(ok) == len(PEOPLE) * len(IMAGE_NAMES), reasons
    stored = sorted(p for p in out.rglob("*") if p.is_file() and p.parent != out)
    assert len(stored) == len(ok)
    for path in stored:
        relative = path.relative_to(out).as_posix()
        match = STORED.fullmatch(relative)
        assert match, relative
        assert match["sha"] == hashlib.sha256(path.read_bytes()).hexdigest(), relative
    assert {row["path"] for row in ok} == {p.relative_to(out).as_posix() for p in stored}
    # Nothing escaped: the output folder is all that the crawl created here.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not list(Path("/abs").glob("path*")) and not (tmp_path.parent / "escape").exists()
