"""SHA-256 helpers: streaming digest, pin normalisation, and an error message that says the fix."""

import hashlib
from pathlib import Path

import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import (
    ChecksumError,
    has_sha256,
    normalize_sha256,
    sha256_file,
    verify_sha256,
)


@pytest.mark.parametrize("size", [0, 1, (1 << 20) * 2 + 123])
def test_sha256_file_matches_hashlib_across_chunk_boundaries(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_verify_accepts_upper_case_and_padded_pins(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"abc")
    verify_sha256(path, f"  {hashlib.sha256(b'abc').hexdigest().upper()}\n")
    assert has_sha256(path, hashlib.sha256(b"abc").hexdigest())


def test_mismatch_names_file_both_digests_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"abc")
    pinned = "0" * 64
    with pytest.raises(ChecksumError) as caught:
        verify_sha256(path, pinned)
    message = str(caught.value)
    assert str(path) in message
    assert pinned in message
    assert hashlib.sha256(b"abc").hexdigest() in message
    assert "delete" in message
    assert "params.yaml" in message
    assert isinstance(caught.value, DatasetError)


@pytest.mark.parametrize("pin", ["", "abc", "g" * 64, "0" * 63, "0" * 65])
def test_malformed_pins_are_rejected_before_any_work(pin: str) -> None:
    with pytest.raises(DatasetError, match=r"params\.yaml"):
        normalize_sha256(pin)


def test_missing_file_is_not_fetched_yet(tmp_path: Path) -> None:
    assert not has_sha256(tmp_path / "absent", "0" * 64)
