"""The face classifier's LightningModule: weighted cross-entropy, augmentation in training only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlpipe.config import FaceAugment
from dlpipe.data.face_augment import augment_active, augment_batch
from dlpipe.data.tensor_data import Batch
from dlpipe.models.epoch_means import EpochMeans
from dlpipe.models.split_module import SplitModule
from dlpipe.optim.factory import OptimizerFactory


class FaceClassifierModule(SplitModule):
    """Logs `{split}/loss` and `{split}/acc` once per epoch.

    `class_weights` (one per class) weight the cross-entropy in every split, so the validation
    loss that early stopping watches measures the same objective that training minimises.
    Augmentation draws from the global RNG, which the Trainer seeds. `rebuild`: what a
    checkpoint passes instead of the network and factory (see SplitModule).
    """

    def __init__(
        self,
        network: nn.Module | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        class_weights: torch.Tensor | Sequence[float] | None = None,
        augment: FaceAugment | Mapping[str, Any] | None = None,
        **rebuild: Any,
    ) -> None:
        if class_weights is not None and not isinstance(class_weights, torch.Tensor):
            class_weights = torch.tensor([float(w) for w in class_weights], dtype=torch.float32)
        if augment is not None and not isinstance(augment, FaceAugment):
            augment = FaceAugment(**augment)
        own = {
            "class_weights": None if class_weights is None else class_weights.tolist(),
            "augment": None if augment is None else augment.model_dump(mode="json"),
        }
        super().__init__(network, optimizer_factory, hparams=own, **rebuild)
        self.register_buffer("class_weights", class_weights)
        self.augment = augment if augment is not None and augment_active(augment) else None
        self.epoch_means = EpochMeans(("loss", "acc"))

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x, y = batch
        if split == "train" and self.augment is not None:
            x = augment_batch(x, self.augment)
        logits = self(x)
        loss = F.cross_entropy(logits, y, weight=self.class_weights)
        with torch.no_grad():
            acc = (logits.argmax(dim=1) == y).float().mean()
        self.epoch_means.update(self, split, batch_idx, {"loss": loss, "acc": acc}, len(y))
        return loss
