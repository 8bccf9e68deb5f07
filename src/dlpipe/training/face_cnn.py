"""The face CNN end to end: train with early stopping, keep the best epoch, score every split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlpipe.config import FaceCnnConfig, TrainingConfig
from dlpipe.data.face_data import (
    FaceDataModule,
    FaceSplits,
    class_weights,
    image_channels,
    images_to_tensor,
)
from dlpipe.models.components.face_cnn import FaceCNN
from dlpipe.models.face_module import FaceClassifierModule
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import RunLogger
from dlpipe.training.fit import fit

PREDICT_BATCH = 256


@dataclass(frozen=True)
class FaceCnnResult:
    """The best epoch's network (eval mode, CPU) and its softmax outputs on every split.

    `best_epoch` is 1-based, as on the curves' x axis; `history` has one value per epoch.
    """

    network: FaceCNN
    probabilities: dict[str, np.ndarray]
    predictions: dict[str, np.ndarray]
    history: dict[str, list[float]]
    best_epoch: int


def image_geometry(data: FaceSplits) -> tuple[int, int]:
    """(in_channels, size) of the square crops in the training split."""
    images = data.x["train"]
    height, width = images.shape[1:3]
    if height != width:
        raise ValueError(f"face crops must be square, got {height}x{width}")
    return image_channels(images), int(height)


def build_face_cnn(cfg: FaceCnnConfig, in_channels: int, size: int, n_classes: int) -> FaceCNN:
    return FaceCNN(
        in_channels=in_channels,
        size=size,
        n_classes=n_classes,
        channels=cfg.channels,
        kernel_size=cfg.kernel_size,
        dense=cfg.dense,
        dropout=cfg.dropout,
        batch_norm=cfg.batch_norm,
    )


def train_face_cnn(
    data: FaceSplits,
    cfg: FaceCnnConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> FaceCnnResult:
    """Fit on train, early-stop and checkpoint on val/loss, restore the best weights, predict."""
    for split in ("train", "val"):
        if split not in data.x:
            raise ValueError(f"the face CNN needs a {split!r} split (has {sorted(data.x)})")
    in_channels, size = image_geometry(data)
    n_classes = len(data.classes)
    torch.manual_seed(seed)
    network = build_face_cnn(cfg, in_channels, size, n_classes)
    weights = class_weights(data.y["train"], n_classes) if cfg.balance == "class_weights" else None
    module = FaceClassifierModule(
        network, optimizer_factory(cfg.optimizer, cfg.optimizer_hyper), weights, cfg.augment
    )
    datamodule = FaceDataModule(
        data, cfg.batch_size, seed, cfg.balance == "sampler", training.num_workers
    )
    fitted = fit(
        module,
        datamodule,
        training,
        seed=seed,
        max_epochs=cfg.max_epochs,
        checkpoint_dir=checkpoint_dir,
        run=run,
        patience=cfg.patience,
        label="face CNN",
    )
    network = module.network.cpu().eval()
    probabilities = {split: predict_proba(network, images) for split, images in data.x.items()}
    return FaceCnnResult(
        network=network,
        probabilities=probabilities,
        predictions={split: p.argmax(axis=1) for split, p in probabilities.items()},
        history={key: list(values) for key, values in fitted.history.items()},
        best_epoch=best_epoch(list(fitted.history["val/loss"])),
    )


def best_epoch(val_loss: list[float]) -> int:
    """1-based epoch of the lowest validation loss (the first one on ties, as the checkpoint)."""
    values = np.asarray(val_loss, dtype=np.float64)
    if values.size == 0 or np.isnan(values).all():
        raise ValueError("no finite validation loss was recorded")
    return int(np.nanargmin(values)) + 1


@torch.no_grad()
def predict_proba(network: FaceCNN, images: np.ndarray) -> np.ndarray:
    """Softmax class probabilities (N, n_classes) for uint8 crops, in batches, on CPU."""
    network.eval()
    x = images_to_tensor(images)
    parts = [
        torch.softmax(network(x[i : i + PREDICT_BATCH]), dim=1)
        for i in range(0, len(x), PREDICT_BATCH)
    ]
    if not parts:
        return np.zeros((0, network.n_classes), dtype=np.float32)
    return torch.cat(parts).numpy()
