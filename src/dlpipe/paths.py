"""Repo-relative locations. DVC runs every stage from the project root, so all paths hang off it."""

from __future__ import annotations

from pathlib import Path

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


def mlruns_dir(root: Path) -> Path:
    """MLflow's sqlite database and artifacts, always in the origin repository."""
    return origin_root(root) / "mlruns"
