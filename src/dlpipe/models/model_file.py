"""One trained network as one file: a tagged, versioned `torch.save` of tensors and JSON-safe
values, read back with `weights_only=True` so loading never runs pickled code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from dlpipe.atomic import atomic_path


def write_model_file(path: Path, fmt: str, version: int, payload: dict[str, Any]) -> None:
    """`payload` (meta, state_dict, ...) under the format tag and version, atomically."""
    with atomic_path(path) as tmp:
        torch.save({"format": fmt, "version": version, **payload}, tmp)


def read_model_file(
    path: Path, fmt: str, version: int, kind: str, error: type[ValueError]
) -> dict[str, Any]:
    """The payload of a `write_model_file` file; `error` (naming the file and what to do) when it
    is missing, unreadable, of another format or of another version."""
    if not path.is_file():
        raise error(f"{kind} file {path} does not exist (train it first: `make repro`)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a file that is not its format
        raise error(f"{path} is not a readable torch file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise error(f"{path} is not a {kind} file (expected format {fmt!r})")
    if payload.get("version") != version:
        raise error(
            f"{path} has {kind} version {payload.get('version')!r}; this code reads {version}"
        )
    return payload
