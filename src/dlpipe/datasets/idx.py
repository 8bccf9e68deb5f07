"""Reader for IDX files, the format of the official MNIST and Fashion-MNIST distributions.

Layout (big-endian): two zero bytes, a dtype code, the number of dimensions N, then N uint32
sizes, then the data. Files may be gzipped (detected by content, not by name). Anything that does
not add up raises `IdxFormatError` naming the file, because a truncated download otherwise shows up
much later as a confusing reshape error.
"""

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from dlpipe.datasets import DatasetError

_GZIP_MAGIC = b"\x1f\x8b"
_DTYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_FIX = "delete it and rerun `dvc repro` for the stage that downloads it"


class IdxFormatError(DatasetError):
    """An IDX file is truncated, not gzip/IDX, or its header and size disagree."""


def read_idx(path: Path) -> np.ndarray:
    """Array stored in an IDX file (plain or gzipped), in native byte order."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise IdxFormatError(f"{path} does not exist. To fix: {_FIX}") from err
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise IdxFormatError(
                f"{path} is not a valid gzip file (truncated download?): {err}. To fix: {_FIX}"
            ) from err
    return parse_idx(raw, str(path))


def parse_idx(data: bytes, source: str) -> np.ndarray:
    """Decode uncompressed IDX bytes; `source` names the file in error messages."""
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise IdxFormatError(
            f"{source} is not an IDX file (bad magic number {data[:4].hex() or 'empty'}). "
            f"To fix: {_FIX}"
        )
    code, ndim = data[2], data[3]
    if code not in _DTYPE_CODES or ndim == 0:
        raise IdxFormatError(
            f"{source} has an IDX header with unknown dtype code 0x{code:02x} or {ndim} "
            f"dimensions. To fix: {_FIX}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError(f"{source} ends inside its IDX header. To fix: {_FIX}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_DTYPE_CODES[code])
    count = math.prod(dims)
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "followed by extra bytes"
        raise IdxFormatError(
            f"{source} is {problem}: its header promises shape {dims} ({expected} bytes) but it "
            f"has {len(data)} bytes. To fix: {_FIX}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))
