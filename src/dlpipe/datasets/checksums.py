"""SHA-256 checks: every fetched file is compared against a digest pinned in params.yaml."""

import hashlib
import string
from pathlib import Path

from dlpipe.datasets import DatasetError

_CHUNK_BYTES = 1 << 20
_HEX = frozenset(string.hexdigits.lower())

DEFAULT_FIX = (
    "delete it and rerun `dvc repro` for the stage that fetches it; if you changed the pinned "
    "version or URL on purpose, update the pinned sha256 in params.yaml"
)


class ChecksumError(DatasetError):
    """A file's SHA-256 is not the pinned one; the message names file, both digests and the fix.

    `path` is a local path, or a URL when the bytes were rejected before being saved.
    """

    def __init__(
        self, path: Path | str, expected: str, actual: str, fix: str = DEFAULT_FIX
    ) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{path}: sha256 mismatch: expected {expected}, got {actual}. To fix: {fix}."
        )


def normalize_sha256(digest: str) -> str:
    """Lower-case a pinned digest and reject typos early, before anything is downloaded."""
    value = digest.strip().lower()
    if len(value) != 64 or not set(value) <= _HEX:
        raise DatasetError(
            f"pinned sha256 {digest!r} is not 64 hexadecimal digits: fix it in params.yaml"
        )
    return value


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so large archives never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, fix: str = DEFAULT_FIX) -> None:
    """Raise `ChecksumError` unless `path` hashes to `expected`."""
    want = normalize_sha256(expected)
    actual = sha256_file(path)
    if actual != want:
        raise ChecksumError(path, want, actual, fix)


def has_sha256(path: Path, expected: str) -> bool:
    """True when `path` is a file with the pinned digest: the test for "already fetched"."""
    return path.is_file() and sha256_file(path) == normalize_sha256(expected)
