"""Reading a local data file with an error that names it and says what to do."""

from __future__ import annotations

from pathlib import Path

from dlpipe.datasets import DatasetError


def read_bytes(path: Path, fix: str, error: type[DatasetError] = DatasetError) -> bytes:
    """The file's bytes; a missing or unreadable file raises `error` naming it, with `fix`."""
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise error(f"{path} does not exist. To fix: {fix}") from err
    except OSError as err:
        raise error(f"{path} cannot be read: {err}. To fix: {fix}") from err
