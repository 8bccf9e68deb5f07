"""Reading a user's data file with errors that name it, the row or column, and the fix.

Every reader of a local file goes through here, so that a missing file, a folder given where a
file belongs, an empty file, a truncated row or a repeated column name get the same message in
every stage and command instead of a traceback from whichever library tripped first.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from dlpipe.datasets import DatasetError


def check_file(path: Path, fix: str, error: type[Exception] = DatasetError) -> Path:
    """`path` when it is an existing regular file; else `error` naming it, with `fix`."""
    if path.is_dir():
        raise error(f"{path}: is a directory, not a file. To fix: {fix}")
    if not path.exists():
        raise error(f"{path}: does not exist. To fix: {fix}")
    return path


def read_bytes(
    path: Path, fix: str, error: type[Exception] = DatasetError, *, allow_empty: bool = False
) -> bytes:
    """The file's bytes; a missing, unreadable, directory or (unless allowed) empty path raises
    `error` naming it, with `fix`."""
    check_file(path, fix, error)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise error(f"{path}: cannot be read: {err.strerror or err}. To fix: {fix}") from err
    if not data and not allow_empty:
        raise error(f"{path}: is empty (0 bytes). To fix: {fix}")
    return data


def decode_csv_text(data: bytes, path: Path, error: type[Exception] = DatasetError) -> str:
    """A CSV file's bytes as text (UTF-8, a byte-order mark dropped); other bytes are refused
    with the line they are on."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise error(
            f"{path}, line {line}: not UTF-8 (byte {data[err.start : err.start + 1]!r}). "
            "To fix: save the file as UTF-8 CSV"
        ) from err


def read_csv_frame(path: Path, fix: str, error: type[Exception] = DatasetError) -> pd.DataFrame:
    """A CSV file with a header as a DataFrame, refusing what pandas would quietly accept.

    pandas pads a short row (a truncated last line) with missing values and renames a repeated
    header name to `name.1`; both would reach a model as silent garbage, so both are errors here.
    Line numbers are 1-based and count the header as line 1.
    """
    text = decode_csv_text(read_bytes(path, fix, error), path, error)
    header, short = _header_and_short_row(text, path, error)
    if not header:
        raise error(f"{path}: no header and no rows (only blank lines). To fix: {fix}")
    repeated = [name for name, n in Counter(header).items() if n > 1]
    if repeated:
        raise error(
            f"{path}, line 1: the header names column(s) {repeated} more than once. To fix: "
            "rename or delete the repeats so every column has its own name"
        )
    if short is not None:
        line, count = short
        raise error(
            f"{path}, line {line}: {count} field(s) but the header has {len(header)} (a "
            "truncated or shifted row). To fix: complete that row or delete it"
        )
    try:
        frame = pd.read_csv(io.StringIO(text))
    except pd.errors.ParserError as err:
        found = re.search(r"\bline (\d+)", str(err))
        where = f", line {found.group(1)}" if found else ""
        raise error(
            f"{path}{where}: not a readable CSV ({str(err).strip()}). To fix: check that "
            "row's commas and quotes (every row needs as many fields as the header)"
        ) from err
    if frame.empty:
        raise error(f"{path}: has a header but no data rows. To fix: add the rows")
    return frame


def _header_and_short_row(
    text: str, path: Path, error: type[Exception]
) -> tuple[list[str], tuple[int, int] | None]:
    """The header, and (line, field count) of the first non-blank row with fewer fields."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if not header:
                header = row
            elif len(row) < len(header):
                return header, (reader.line_num, len(row))
    except csv.Error as err:
        raise error(
            f"{path}, line {reader.line_num}: {err}. To fix: check that row's quotes"
        ) from err
    return header, None
