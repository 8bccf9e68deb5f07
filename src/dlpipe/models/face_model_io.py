"""The trained face CNN as one file: weights plus what is needed to rebuild and use it.

A plain `torch.save` of tensors and JSON-safe values, so loading uses `weights_only=True` and
never runs pickled code from the file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlpipe.config import FaceCnnConfig
from dlpipe.models.components.face_cnn import FaceCNN
from dlpipe.models.model_file import read_model_file, write_model_file

FORMAT = "dlpipe.face_cnn"
VERSION = 1


class FaceModelError(ValueError):
    """A face model file is missing, unreadable, or not a face model this code can rebuild."""


def save_face_model(
    path: Path,
    network: FaceCNN,
    classes: Sequence[str],
    cfg: FaceCnnConfig,
    in_channels: int,
    size: int,
    **extra: Any,
) -> None:
    """Write weights (on CPU) and metadata atomically to `path`.

    `extra` keyword values (JSON-safe) join the metadata, e.g. `extract=` the crop settings a
    predict command must repeat to feed the network what it was trained on.
    """
    if len(classes) != network.n_classes:
        raise ValueError(f"{len(classes)} class names for a {network.n_classes}-class network")
    meta: dict[str, Any] = {
        "classes": list(classes),
        "in_channels": int(in_channels),
        "size": int(size),
        "channels": [int(c) for c in cfg.channels],
        "kernel_size": int(cfg.kernel_size),
        "dense": [int(d) for d in cfg.dense],
        "dropout": float(cfg.dropout),
        "batch_norm": bool(cfg.batch_norm),
    }
    clashes = sorted(set(extra) & set(meta))
    if clashes:
        raise ValueError(f"extra metadata may not replace {', '.join(clashes)}")
    try:
        meta.update(json.loads(json.dumps(extra, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"extra metadata must be JSON-safe: {exc}") from exc
    state = {key: value.detach().cpu() for key, value in network.state_dict().items()}
    write_model_file(path, FORMAT, VERSION, {"meta": meta, "state_dict": state})


def load_face_model(path: Path) -> tuple[FaceCNN, tuple[str, ...], dict[str, Any]]:
    """(network in eval mode on CPU, class names, metadata) from a `save_face_model` file."""
    payload = read_model_file(path, FORMAT, VERSION, "face model", FaceModelError)
    meta = payload["meta"]
    classes = tuple(meta["classes"])
    network = FaceCNN(
        in_channels=meta["in_channels"],
        size=meta["size"],
        n_classes=len(classes),
        channels=meta["channels"],
        kernel_size=meta["kernel_size"],
        dense=meta["dense"],
        dropout=meta["dropout"],
        batch_norm=meta["batch_norm"],
    )
    try:
        network.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise FaceModelError(f"{path}: weights do not fit the described network: {exc}") from exc
    return network.eval(), classes, dict(meta)
