"""IDX reader: plain and gzipped files, every dtype code, and corruption named by file."""

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dlpipe.datasets.idx import IdxFormatError, read_idx

Writer = Callable[..., Path]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([5, 0, 9], dtype=np.uint8),
        np.array([[-7, 70000], [1, -1]], dtype=np.int32),
        np.array([0.5, -1e300, 3.25], dtype=np.float64),
    ],
    ids=["uint8-3d", "uint8-1d", "int32", "float64"],
)
def test_round_trip_in_native_byte_order(
    tmp_path: Path, write_idx: Writer, array: np.ndarray, compress: bool
) -> None:
    loaded = read_idx(write_idx(array, tmp_path / "data.idx", compress=compress))
    assert loaded.shape == array.shape
    assert loaded.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(loaded, array)
    assert loaded.flags.writeable


def test_gzip_is_detected_by_content_not_name(tmp_path: Path, write_idx: Writer) -> None:
    array = np.arange(10, dtype=np.uint8)
    path = write_idx(array, tmp_path / "labels-idx1-ubyte", compress=True)
    np.testing.assert_array_equal(read_idx(path), array)


def _corrupt(tmp_path: Path, write_idx: Writer, edit: Callable[[bytes], bytes]) -> Path:
    path = write_idx(np.zeros((3, 4, 4), dtype=np.uint8), tmp_path / "images.idx", compress=False)
    path.write_bytes(edit(path.read_bytes()))
    return path


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda raw: raw[:-5], "truncated"),
        (lambda raw: raw + b"\x00", "extra bytes"),
        (lambda raw: b"\x01\x00" + raw[2:], "bad magic"),
        (lambda raw: raw[:2] + b"\x07" + raw[3:], "unknown dtype code"),
        (lambda raw: raw[:3] + b"\x00" + raw[4:], "0 dimensions"),
        (lambda raw: raw[:9], "inside its IDX header"),
        (lambda raw: b"", "bad magic"),
    ],
    ids=["truncated", "trailing", "magic", "dtype", "ndim0", "header", "empty"],
)
def test_corrupt_files_name_the_file_and_the_fix(
    tmp_path: Path, write_idx: Writer, edit: Callable[[bytes], bytes], problem: str
) -> None:
    path = _corrupt(tmp_path, write_idx, edit)
    with pytest.raises(IdxFormatError, match=problem) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)
    assert "To fix" in str(caught.value)


@pytest.mark.parametrize("cut", [10, -8], ids=["mid-stream", "missing-trailer"])
def test_truncated_gzip_is_reported_as_gzip_problem(
    tmp_path: Path, write_idx: Writer, cut: int
) -> None:
    path = write_idx(np.arange(4000, dtype=np.uint8) % 7, tmp_path / "x.gz", compress=True)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(IdxFormatError, match="not a valid gzip file") as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_gzip_with_bad_crc_is_rejected(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(bytes(4) + b"\x00" * 16))
    packed[-8] ^= 0xFF  # CRC32 of the uncompressed data
    path = tmp_path / "bad-crc.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IdxFormatError, match=str(path)):
        read_idx(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IdxFormatError, match="does not exist"):
        read_idx(tmp_path / "absent.gz")
