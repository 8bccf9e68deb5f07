"""Test helpers: synthetic photos made with Pillow, and a hostile website on 127.0.0.1."""

from __future__ import annotations

import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image


def photo_bytes(
    size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG", seed: int = 0
) -> bytes:
    """A noisy picture (noise so every seed gives different bytes and JPEG cannot shrink it)."""
    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.integers(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
    image = Image.fromarray(pixels.squeeze(axis=2) if channels == 1 else pixels, mode=mode)
    buffer = BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A few dozen bytes that claim a width x height PNG: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def make_synthetic_gallery(folder: Path) -> dict[str, bytes]:
    """Two people, real-world oddities included; returns {"person/file": bytes}."""
    twin = photo_bytes((64, 48), seed=1)
    files = {
        "alice/portrait.jpg": twin,
        "alice/really_a_png.jpg": photo_bytes((50, 60), fmt="PNG", seed=2),
        "alice/transparent.png": photo_bytes((40, 40), mode="RGBA", fmt="PNG", seed=3),
        "bob/grey.jpg": photo_bytes((48, 48), mode="L", seed=4),
        "bob/same_as_alice.jpg": twin,
        "bob/modern.webp": photo_bytes((40, 44), fmt="WEBP", seed=5),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "README.md").write_text("# not a person\n")
    (folder / "splits.csv").write_text("file,person,split\n")
    return files


# --- the hostile site ---------------------------------------------------------------------------

HOSTILE_PERSON = "Hostile Site"  # the index link text/attribute; the crawler slugs it
SLOW_SECONDS = 2.5


def hostile_pages(port: int) -> dict[str, str]:
    offsite = f"http://localhost:{port}"
    images = [
        "/img/good.png",
        "/img/moved-here.png",
        "/img/missing.jpg",
        "/img/error.jpg",
        "/img/moved-away.jpg",
        f"{offsite}/img/offsite.png",
        "/img/html.jpg",
        "/img/page.jpg",
        "/img/truncated.jpg",
        "/img/bomb.png",
        "/img/wide.png",
        "/img/big.png",
        "/img/tiny.png",
        "/img/slow.jpg",
        "/private/secret.png",
    ]
    first = "".join(f'<img src="{src}">' for src in images)
    return {
        "/": f'<a data-person="{HOSTILE_PERSON}" href="/p/one">{HOSTILE_PERSON}</a>'
        '<a data-person="Hidden" href="/private/page.html">hidden</a>',
        # A link loop: one -> two -> one, and both back to the index.
        "/p/one": f'{first}<a rel="next" href="/p/two">more</a><a href="/">home</a>',
        "/p/two": '<img src="/img/good.png"><a href="/img/good_copy.png">copy</a>'
        '<a rel="next" href="/p/one">again</a><a href="/">home</a>',
    }


def hostile_files(max_download_bytes: int) -> dict[str, tuple[str, bytes]]:
    good = photo_bytes((64, 64), fmt="PNG", seed=10)
    big = photo_bytes((256, 256), fmt="PNG", seed=12)
    assert len(big) > max_download_bytes
    jpeg = photo_bytes((200, 200), seed=13)
    return {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/img/good.png": ("image/png", good),
        "/img/good_copy.png": ("image/png", good),
        "/img/elsewhere.png": ("image/png", photo_bytes((64, 64), fmt="PNG", seed=11)),
        "/img/offsite.png": ("image/png", good),
        "/img/html.jpg": ("image/jpeg", b"<!doctype html><html><body>Not found</body></html>"),
        "/img/page.jpg": ("text/html; charset=utf-8", b"<html><body>a page</body></html>"),
        "/img/truncated.jpg": ("image/jpeg", jpeg[: len(jpeg) * 2 // 3]),
        "/img/bomb.png": ("image/png", png_header_only(20000, 20000)),
        "/img/wide.png": ("image/png", png_header_only(2000, 1000)),
        "/img/big.png": ("image/png", big),
        "/img/tiny.png": ("image/png", photo_bytes((10, 10), fmt="PNG", seed=14)),
        "/img/slow.jpg": ("image/jpeg", jpeg),
        "/private/secret.png": ("image/png", good),
        "/private/page.html": ("text/html", b'<img src="/img/good.png">'),
    }


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.hits[self.path] += 1
        port = server.server_address[1]
        try:
            if self.path in (pages := hostile_pages(port)):
                self._send(200, "text/html", pages[self.path].encode())
            elif self.path == "/img/missing.jpg":
                self._send(404, "text/html", b"gone")
            elif self.path == "/img/error.jpg":
                self._send(500, "text/html", b"boom")
            elif self.path == "/img/moved-here.png":
                self._redirect("/img/elsewhere.png")
            elif self.path == "/img/moved-away.jpg":
                self._redirect(f"http://localhost:{port}/img/good.png?via=redirect")
            elif self.path in server.files:
                if self.path == "/img/slow.jpg" and server.stopping.wait(SLOW_SECONDS):
                    return
                self._send(200, *server.files[self.path])
            else:
                self._send(404, "text/plain", b"no such page")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up first (timeouts, size limits): that is the point

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, max_download_bytes: int) -> None:
        self.files = hostile_files(max_download_bytes)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), HostileHandler)


@contextmanager
def serve_hostile_site(max_download_bytes: int) -> Iterator[tuple[str, Counter[str]]]:
    """Yields (base URL on 127.0.0.1, hit counter by request path)."""
    server = HostileServer(max_download_bytes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
