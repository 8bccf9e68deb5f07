"""Synthetic data for the dataset tests: IDX files, pickles, wheels and sdists in tmp_path.

Nothing here touches the network or real data. The IDX and wheel writers are written from the
format specifications, independently of the readers under test.
"""

import base64
import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

IdxWriter = Callable[..., Path]
WheelMaker = Callable[[Path, str, str, dict[str, bytes]], Path]
SdistMaker = Callable[..., Path]

_IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float64): 0x0E}


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes: 0, 0, dtype code, ndim, big-endian uint32 dims, big-endian data."""
    code = _IDX_CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def write_idx() -> IdxWriter:
    """Writes an array as an IDX file, gzipped when `compress` is true."""

    def write(array: np.ndarray, path: Path, compress: bool = True) -> Path:
        data = encode_idx(array)
        path.write_bytes(gzip.compress(data) if compress else data)
        return path

    return write


@pytest.fixture
def official() -> dict[str, np.ndarray]:
    """A tiny stand-in for the official files: 30 training and 12 test examples."""
    rng = np.random.default_rng(0)
    return {
        "train_images": rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, size=30).astype(np.uint8),
        "test_images": rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, size=12).astype(np.uint8),
    }


@pytest.fixture
def idx_files(tmp_path: Path, official: dict[str, np.ndarray], write_idx: IdxWriter) -> dict:
    """The `official` arrays as four gzipped IDX files, keyed like `IDX_KEYS`."""
    folder = tmp_path / "idx"
    folder.mkdir()
    return {key: write_idx(array, folder / f"{key}.gz") for key, array in official.items()}


@pytest.fixture
def mnist_pickle() -> Callable[..., bytes]:
    """Builds a gzipped pickle laid out like deeplearning.net's mnist.pkl.gz.

    Images are float32 pixel/scale rows of 784, labels int64; val is the end of the train set.
    Protocol 3 (the real file is a Python 2 protocol-2 pickle, which Python 3 cannot write without
    an extra `_codecs` global); the numpy global is renamed to `numpy.core.multiarray`, as numpy
    1.x wrote it in the real file.
    """

    def build(arrays: dict[str, np.ndarray], val_size: int, scale: int = 256) -> bytes:
        def part(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rows = images.reshape(len(images), -1).astype(np.float32) / np.float32(scale)
            return rows, labels.astype(np.int64)

        cut = len(arrays["train_images"]) - val_size
        train_x, train_y = arrays["train_images"], arrays["train_labels"]
        data = (
            part(train_x[:cut], train_y[:cut]),
            part(train_x[cut:], train_y[cut:]),
            part(arrays["test_images"], arrays["test_labels"]),
        )
        raw = pickle.dumps(data, protocol=3)
        raw = raw.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        return gzip.compress(raw)

    return build


@pytest.fixture
def make_wheel() -> WheelMaker:
    """Builds a minimal valid wheel (METADATA, WHEEL, RECORD) holding the given members."""

    def make(folder: Path, package: str, version: str, members: dict[str, bytes]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        dist = f"{package.replace('-', '_')}-{version}"
        files = dict(members)
        files[f"{dist}.dist-info/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n".encode()
        )
        files[f"{dist}.dist-info/WHEEL"] = (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        record = "".join(
            f"{name},sha256={_urlsafe_digest(data)},{len(data)}\n" for name, data in files.items()
        )
        files[f"{dist}.dist-info/RECORD"] = (record + f"{dist}.dist-info/RECORD,,\n").encode()
        wheel = folder / f"{dist}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return wheel

    return make


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.fixture
def make_sdist() -> SdistMaker:
    """Builds NAME-VERSION.tar.gz as setuptools lays it out: everything under NAME-VERSION/.

    `members` are paths below that folder with their bytes; `links` adds symbolic links
    (path -> target), for the archive that tries to smuggle one in.
    """

    def make(
        folder: Path,
        package: str,
        version: str,
        members: dict[str, bytes],
        links: dict[str, str] | None = None,
    ) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        top = f"{package}-{version}"
        files = {"PKG-INFO": f"Metadata-Version: 1.0\nName: {package}\n".encode(), **members}
        archive = folder / f"{top}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            for name, target in (links or {}).items():
                info = tarfile.TarInfo(f"{top}/{name}")
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        return archive

    return make
