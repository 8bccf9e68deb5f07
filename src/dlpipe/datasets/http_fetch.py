"""Pinned downloads over HTTP(S) or file:// for any dataset (IDX files, zips, CSVs).

A file already present with its pinned sha256 is never fetched again, so a warm cache works
offline. A download is streamed to a temporary file beside the target and moved into place only
when its length and digest are right: the target is either absent, the old file, or verified.
"""

import hashlib
import http.client
import os
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from dlpipe.atomic import atomic_path
from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError, has_sha256, normalize_sha256

DEFAULT_TIMEOUT_S = 60.0
_CHUNK_BYTES = 1 << 20
_URL_SCHEMES = frozenset({"http", "https", "file"})


def fetch_files(
    base_url: str,
    files: Mapping[str, tuple[str, str]],
    dest: Path,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Path]:
    """Download `key -> (filename, sha256)` from `base_url` into `dest`; keys map to the paths.

    Every parameter is checked before the first request, so a typo in one pin costs no download.
    """
    _require_scheme(base_url, "base_url")
    pins = {key: (name, normalize_sha256(digest)) for key, (name, digest) in files.items()}
    for name, _ in pins.values():
        if Path(name).name != name or name in {"", ".", ".."}:
            raise DatasetError(f"{name!r} is not a plain file name: fix params.yaml")
    dest.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, (name, digest) in pins.items():
        url = f"{base_url.rstrip('/')}/{urllib.parse.quote(name)}"
        paths[key] = dest / name
        download_file(url, paths[key], digest, timeout_s=timeout_s)
    return paths


def download_file(
    url: str, target: Path, sha256: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> None:
    """Put the bytes of `url` at `target` unless it already has the pinned digest.

    Hashing while streaming avoids reading the file twice; nothing is kept on any failure.
    """
    _require_scheme(url, "url")
    want = normalize_sha256(sha256)
    if has_sha256(target, want):
        return
    digest = hashlib.sha256()
    received = 0
    with atomic_path(target) as tmp, tmp.open("wb") as out:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                announced = response.headers.get("Content-Length")
                while chunk := response.read(_CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
            # http.client returns a short body without complaint when the connection drops.
            if announced is not None and received != int(announced):
                raise http.client.IncompleteRead(b"", int(announced) - received)
        except (OSError, http.client.HTTPException) as err:  # URLError and timeouts are OSErrors
            raise DatasetError(
                f"downloading {url} failed after {received} bytes: {err!r}. Nothing was saved. "
                "To fix: check the network and the URL in params.yaml and rerun, or put "
                f"{target.name} (with the pinned sha256) into {target.parent}"
            ) from err
        if digest.hexdigest() != want:
            raise ChecksumError(
                url,
                want,
                digest.hexdigest(),
                "the server sent other bytes than pinned (nothing was saved); check the URL, "
                "or update the pinned sha256 in params.yaml if you changed the source on purpose",
            )
        out.flush()
        os.fsync(out.fileno())  # the rename must not land before the data after a power cut


def _require_scheme(url: str, what: str) -> None:
    """Refuse ftp:, bare paths and the like before anything touches the disk or network."""
    if urllib.parse.urlsplit(url).scheme not in _URL_SCHEMES:
        raise DatasetError(f"{what} {url!r} must be http(s) or file: fix params.yaml")
