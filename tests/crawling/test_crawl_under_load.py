"""Bursts of requests: the crawl keeps its concurrency limit, the local gallery queues them all.

Both were found by benchmarks/crawl_load.py: with `download_delay_s: 0` Scrapy 2.19 sent every
image request of a person page at once (79 in flight with a limit of 2), and the gallery server's
listen backlog of 5 dropped most of them, so they hung until the timeout and some failed.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from crawl_test_support import photo_bytes

from dlpipe.config import load_params
from dlpipe.crawling.gallery_server import GalleryHandler, GalleryServer
from dlpipe.crawling.run import CrawlPlan, crawl_faces_in_subprocess
from dlpipe.crawling.settings import allowed_domains, build_settings
from dlpipe.crawling.spiders.gallery import GallerySpider

PHOTOS = 24
LIMIT = 2


class InFlight:
    """The most requests the server was answering at the same moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def counting_server(gallery: Path, counter: InFlight) -> GalleryServer:
    class CountingHandler(GalleryHandler):
        def do_GET(self) -> None:
            counter.enter()
            try:
                time.sleep(0.02)  # long enough for a burst to overlap
                super().do_GET()
            finally:
                counter.leave()

    server = GalleryServer(gallery)
    server.RequestHandlerClass = CountingHandler
    return server


def test_a_zero_delay_crawl_keeps_the_concurrency_limit(tmp_path: Path) -> None:
    gallery = tmp_path / "gallery"
    for i in range(PHOTOS):
        path = gallery / "ada" / f"{i:02d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(photo_bytes((48, 48), seed=i))
    cfg = load_params().face_crawl.replace(
        download_delay_s=0.0, autothrottle=False, concurrent_requests_per_domain=LIMIT
    )
    assert build_settings(cfg, tmp_path)["DOWNLOAD_DELAY"] > 0
    counter = InFlight()
    server = counting_server(gallery, counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        base_url = f"http://{host}:{port}"
        plan = CrawlPlan(
            GallerySpider,
            {"index_url": f"{base_url}/", "allowed_domains": allowed_domains(cfg, [base_url])},
        )
        result = crawl_faces_in_subprocess(cfg, tmp_path / "out", tmp_path, plan=plan, timeout_s=60)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert result.stats["images/ok"] == PHOTOS
    assert result.stats["timeouts"] == 0
    assert 1 <= counter.most <= LIMIT


def test_the_gallery_server_queues_a_burst_of_connections(tmp_path: Path) -> None:
    """64 clients connect while the server accepts none: the kernel must queue every one."""
    (tmp_path / "ada").mkdir()
    server = GalleryServer(tmp_path)
    address = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    clients: list[socket.socket] = []
    try:
        for _ in range(64):  # with a backlog of 5 the 7th connect waits for a SYN retry (1 s)
            clients.append(socket.create_connection(address, timeout=0.5))
        thread.start()
        for client in clients:
            client.sendall(b"GET /robots.txt HTTP/1.0\r\nHost: x\r\n\r\n")
        for client in clients:
            client.settimeout(5)
            assert client.recv(64).startswith(b"HTTP/1.0 200")
    finally:
        for client in clients:
            client.close()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
