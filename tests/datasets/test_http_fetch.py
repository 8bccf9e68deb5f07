"""Pinned downloads, against a local HTTP server on 127.0.0.1 serving IDX-style files."""

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.http_fetch import download_file, fetch_files
from dlpipe.datasets.mnist import download_idx_files, load_from_idx_files

SHORT_SUFFIX = ".short"


@dataclass
class Server:
    base_url: str
    folder: Path
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """Serves tmp_path/served; `NAME.short` announces NAME's full length but sends half of it."""
    folder = tmp_path / "served"
    folder.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path.endswith(SHORT_SUFFIX):
                body = (folder / self.path.lstrip("/").removesuffix(SHORT_SUFFIX)).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}/", folder, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def pins(server: Server, idx_files: dict[str, Path]) -> dict[str, tuple[str, str]]:
    """The IDX fixtures published on the server, with their real digests."""
    result = {}
    for key, path in idx_files.items():
        name = f"{key.replace('_', '-')}-idx-ubyte.gz"
        data = path.read_bytes()
        (server.folder / name).write_bytes(data)
        result[key] = (name, hashlib.sha256(data).hexdigest())
    return result


def test_mnist_stage_route_downloads_verifies_and_feeds_the_loader(
    tmp_path: Path, server: Server, pins: dict, official: dict[str, np.ndarray]
) -> None:
    dest = tmp_path / "raw"
    paths = download_idx_files(server.base_url, pins, dest)
    assert set(paths) == set(pins)
    assert sorted(p.name for p in dest.iterdir()) == sorted(name for name, _ in pins.values())
    splits = load_from_idx_files(paths, val_size=10)
    np.testing.assert_array_equal(splits.test_x, official["test_images"])


def test_files_already_present_are_not_downloaded_again(
    tmp_path: Path, server: Server, pins: dict
) -> None:
    dest = tmp_path / "raw"
    fetch_files(server.base_url, pins, dest)
    assert len(server.requests) == 4
    fetch_files("http://127.0.0.1:9/unreachable/", pins, dest)
    assert len(server.requests) == 4


def test_stale_local_file_is_replaced(tmp_path: Path, server: Server, pins: dict) -> None:
    dest = tmp_path / "raw"
    dest.mkdir()
    name, digest = pins["test_labels"]
    (dest / name).write_bytes(b"old partial download")
    paths = fetch_files(server.base_url, {"test_labels": (name, digest)}, dest)
    assert hashlib.sha256(paths["test_labels"].read_bytes()).hexdigest() == digest


def test_wrong_pin_fails_naming_url_and_saves_nothing(
    tmp_path: Path, server: Server, pins: dict
) -> None:
    name, real = pins["train_labels"]
    dest = tmp_path / "raw"
    with pytest.raises(ChecksumError) as caught:
        fetch_files(server.base_url, {"train_labels": (name, "f" * 64)}, dest)
    message = str(caught.value)
    assert f"{server.base_url}{name}" in message and real in message and "params.yaml" in message
    assert list(dest.iterdir()) == []


def test_short_response_is_caught_and_leaves_no_partial_file(
    tmp_path: Path, server: Server, pins: dict
) -> None:
    name, digest = pins["test_images"]
    dest = tmp_path / "raw"
    with pytest.raises(DatasetError, match=r"failed after \d+ bytes.*IncompleteRead"):
        fetch_files(server.base_url, {"test_images": (name + SHORT_SUFFIX, digest)}, dest)
    assert list(dest.iterdir()) == []


def test_http_error_names_url_and_offline_route(tmp_path: Path, server: Server) -> None:
    dest = tmp_path / "raw"
    with pytest.raises(DatasetError, match="404") as caught:
        fetch_files(server.base_url, {"x": ("missing.gz", "0" * 64)}, dest)
    message = str(caught.value)
    assert f"{server.base_url}missing.gz" in message and str(dest) in message
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("base_url", "files", "problem"),
    [
        ("ftp://example.invalid/", {"x": ("a.gz", "0" * 64)}, "http"),
        ("http://127.0.0.1:9/", {"x": ("../a.gz", "0" * 64)}, "plain file name"),
        ("http://127.0.0.1:9/", {"x": ("a.gz", "123")}, "64 hexadecimal"),
    ],
    ids=["scheme", "path-escape", "bad-pin"],
)
def test_bad_parameters_fail_before_any_request(
    tmp_path: Path, base_url: str, files: dict, problem: str
) -> None:
    with pytest.raises(DatasetError, match=problem):
        fetch_files(base_url, files, tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_single_download_checks_its_url_before_touching_the_disk(tmp_path: Path) -> None:
    target = tmp_path / "raw" / "a.gz"
    with pytest.raises(DatasetError, match="http"):
        download_file("ftp://example.invalid/a.gz", target, "0" * 64)
    assert not target.parent.exists()
