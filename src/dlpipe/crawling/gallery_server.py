"""Serve a local gallery folder (one subfolder per person) as a small website on 127.0.0.1.

The crawler then fetches it exactly like a remote site (robots.txt, an index page, one page per
person, images), so the local default exercises the same code as a real crawl. Content types
come from file extensions, as a naive web server's would; the crawler must not trust them.
"""

from __future__ import annotations

import html
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

ROBOTS_TXT = "User-agent: *\nDisallow:\n"


def person_folders(gallery: Path) -> list[Path]:
    """The person subfolders (visible directories); top-level files such as README.md are not."""
    return sorted(p for p in gallery.iterdir() if p.is_dir() and not p.name.startswith("."))


def _photo_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def index_page(gallery: Path) -> str:
    links = "\n".join(
        f'<li><a class="person" data-person="{html.escape(d.name)}" '
        f'href="/{quote(d.name)}/">{html.escape(d.name.replace("_", " ").title())}</a></li>'
        for d in person_folders(gallery)
    )
    return _page("People", f"<ul>\n{links}\n</ul>")


def person_page(folder: Path) -> str:
    figures = "\n".join(
        f'<figure><a href="/{quote(folder.name)}/{quote(p.name)}">'
        f'<img src="/{quote(folder.name)}/{quote(p.name)}" alt="{html.escape(p.name)}"></a>'
        "</figure>"
        for p in _photo_files(folder)
    )
    return _page(folder.name, f'<p><a href="/">All people</a></p>\n{figures}')


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head>\n<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


class GalleryHandler(BaseHTTPRequestHandler):
    """GET only: /robots.txt, /, /<person>/ and /<person>/<file>; anything else is a 404."""

    server: GalleryServer

    def do_GET(self) -> None:
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/")[1:]]
        gallery = self.server.gallery
        if parts == ["robots.txt"]:
            self._send(ROBOTS_TXT.encode(), "text/plain; charset=utf-8")
        elif parts == [""]:
            self._send(index_page(gallery).encode(), "text/html; charset=utf-8")
        elif len(parts) == 2 and (folder := self._person(parts[0])) is not None:
            if parts[1] == "":
                self._send(person_page(folder).encode(), "text/html; charset=utf-8")
            elif (file := self._photo(folder, parts[1])) is not None:
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                self._send(file.read_bytes(), kind)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _person(self, name: str) -> Path | None:
        folders = {d.name: d for d in person_folders(self.server.gallery)}
        return folders.get(name)

    @staticmethod
    def _photo(folder: Path, name: str) -> Path | None:
        """A visible file right in `folder`, as `_photo_files` lists them: no "..", no
        subfolders, no absolute paths. Looked up by name, not by listing the folder per request
        (that made a crawl of n photos cost n^2 file checks)."""
        if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
            return None
        path = folder / name
        return path if path.is_file() else None

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the crawler's own log already records every request."""


class GalleryServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of connections (Scrapy 2.19 sends
    # every queued request at once when the download delay is 0) overflowed it, and the
    # dropped connections hung until the crawl's timeout, then failed after the retries.
    request_queue_size = 128

    def __init__(self, gallery: Path) -> None:
        self.gallery = gallery
        super().__init__(("127.0.0.1", 0), GalleryHandler)


@contextmanager
def serve_gallery(gallery: Path) -> Iterator[str]:
    """Serve `gallery` on a free port of 127.0.0.1; yields the base URL without a trailing slash."""
    if not gallery.is_dir():
        raise FileNotFoundError(f"gallery folder {gallery} not found")
    server = GalleryServer(gallery)
    thread = threading.Thread(target=server.serve_forever, name="gallery-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
