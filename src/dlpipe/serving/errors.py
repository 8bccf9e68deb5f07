"""The one error type a serving function raises for an expected failure."""

from __future__ import annotations

from pathlib import Path

REPRO_ADVICE = "run `make repro` (or `dvc repro {stage}`) first"


class ServingError(Exception):
    """A missing model, file or user id, or a file that is not what it should be.

    The message is one line that names the file or key and says what to do; the command prints
    it as `error: <message>` and exits with status 2.
    """


def shown(path: Path, root: Path | None) -> str:
    """`path` relative to `root` when it lies below it (for messages), else as given."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def require_file(path: Path, what: str) -> Path:
    """`path` when it is a file; else a ServingError that names it and says what to give.

    A folder gets its own message: "no such file" for a path that exists would send the user
    looking for a typo.
    """
    if path.is_dir():
        raise ServingError(f"{path}: is a directory, not a file; give {what}")
    if not path.is_file():
        raise ServingError(f"{path}: no such file; give {what}")
    return path
