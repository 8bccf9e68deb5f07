"""A LightningModule for any classifier network; the optimizer comes in as a factory.

Swapping the factory is all the optimizer comparison changes, so every other detail of training
(network, batches, loss) stays identical across optimizers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlpipe.data.tensor_data import Batch
from dlpipe.models.epoch_means import EpochMeans
from dlpipe.models.split_module import SplitModule
from dlpipe.optim.factory import OptimizerFactory


class ClassifierModule(SplitModule):
    """Cross-entropy training; logs `{split}/loss` and `{split}/acc` once per epoch.

    `rebuild`: what a checkpoint passes instead of the network and factory (see SplitModule).
    """

    def __init__(
        self,
        network: nn.Module | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        **rebuild: Any,
    ) -> None:
        super().__init__(network, optimizer_factory, **rebuild)
        self.epoch_means = EpochMeans(("loss", "acc"))

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        with torch.no_grad():
            acc = (logits.argmax(dim=1) == y).float().mean()
        self.epoch_means.update(self, split, batch_idx, {"loss": loss, "acc": acc}, len(y))
        return loss
