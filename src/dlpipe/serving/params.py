"""`dlpipe params`: check a params file (every error at once) or show it resolved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dlpipe import paths
from dlpipe.config import ConfigError, check_params_file, load_params
from dlpipe.serving.errors import ServingError, require_file, shown

PARAMS_FILE = "the path of a params file (params.yaml)"


def default_params_path(root: Path | None = None) -> Path:
    return (root or paths.project_root()) / "params.yaml"


def check_params(path: Path) -> list[str]:
    """Every problem of the params file at `path` as `PATH: dotted.key: message` lines (PATH
    relative to the working directory when it lies below it); [] when the file is valid."""
    require_file(path, PARAMS_FILE)
    return list(check_params_file(Path(shown(path, Path.cwd()))))


def resolved_params(path: Path) -> str:
    """The params as the stages see them (anchors and merge keys resolved, defaults filled in),
    as YAML."""
    require_file(path, PARAMS_FILE)
    try:
        params = load_params(path)
    except ConfigError as exc:
        lines = str(exc).splitlines() or [""]
        more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
        raise ServingError(f"{lines[0]}{more} (`dlpipe params check` lists them)") from exc
    return yaml.safe_dump(_lists(params.model_dump(mode="json")), sort_keys=False)


def _lists(value: Any) -> Any:
    """Tuples as lists, so that safe_dump writes plain YAML sequences."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value
