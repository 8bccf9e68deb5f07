"""Repo-relative locations. DVC runs every stage from the project root, so all paths hang off it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

DVC_TEMP_EXPERIMENTS = (".dvc", "tmp", "exps")


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (the working directory) that holds dvc.yaml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file():
            return folder
    return here


def origin_root(root: Path) -> Path:
    """The user's repository, even inside a `dvc exp run --temp/--queue` copy.

    DVC builds those copies under <repo>/.dvc/tmp/exps/<tmpdir>/ and throws them away afterwards,
    so anything that must outlive the experiment (the MLflow store) belongs to <repo>.
    """
    parts = root.resolve().parts
    n = len(DVC_TEMP_EXPERIMENTS)
    for i in range(len(parts) - n, 0, -1):
        if parts[i : i + n] == DVC_TEMP_EXPERIMENTS:
            return Path(*parts[:i])
    return root.resolve()


def data_raw(root: Path) -> Path:
    return root / "data" / "raw"


def data_interim(root: Path) -> Path:
    return root / "data" / "interim"


def data_processed(root: Path) -> Path:
    return root / "data" / "processed"


def models_dir(root: Path) -> Path:
    return root / "models"


def reports_dir(root: Path) -> Path:
    return root / "reports"


def checkpoints_dir(root: Path) -> Path:
    """Resumable training checkpoints, kept across a killed run (gitignored, DVC-ignored)."""
    return root / ".dlpipe" / "checkpoints"


def mlruns_dir(root: Path) -> Path:
    """MLflow's sqlite database and artifacts, always in the origin repository."""
    return origin_root(root) / "mlruns"


def data_path(root: Path, value: str) -> Path:
    """A data location from params: absolute as given, relative to the user's checkout.

    When a relative one is missing there and the checkout is a clone of another local checkout
    (CI's clean clone in a temporary folder), the path is tried beside that original too, so data
    kept next to the original checkout (`../shared/...`) is still found. The first candidate is
    returned when neither exists, for the caller's "not found" message.
    """
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    checkout = origin_root(root)
    candidate = checkout / path
    if not candidate.exists():
        source = cloned_from(checkout)
        if source is not None and (source / path).exists():
            return source / path
    return candidate


def cloned_from(checkout: Path) -> Path | None:
    """The local folder this git checkout was cloned from (its `origin` remote), if any."""
    try:
        url = subprocess.run(
            ["git", "-C", str(checkout), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    parts = urlsplit(url)
    folder = Path(parts.path) if parts.scheme == "file" else Path(url)
    if parts.scheme not in ("", "file") or not folder.is_absolute() or not folder.is_dir():
        return None
    return folder
