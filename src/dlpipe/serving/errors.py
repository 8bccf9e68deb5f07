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
