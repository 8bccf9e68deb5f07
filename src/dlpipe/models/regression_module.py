"""A LightningModule for any network that predicts one number per sample (MSE loss)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlpipe.data.tensor_data import Batch
from dlpipe.models.epoch_means import EpochMeans
from dlpipe.models.split_module import SplitModule
from dlpipe.optim.factory import OptimizerFactory


class RegressionModule(SplitModule):
    """Mean squared error on (scaled) targets; logs `{split}/loss` once per epoch.

    `rebuild`: what a checkpoint passes instead of the network and factory (see SplitModule).
    """

    def __init__(
        self,
        network: nn.Module | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        **rebuild: Any,
    ) -> None:
        super().__init__(network, optimizer_factory, **rebuild)
        self.epoch_means = EpochMeans(("loss",))

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x, y = batch
        loss = F.mse_loss(self(x), y)
        self.epoch_means.update(self, split, batch_idx, {"loss": loss}, len(y))
        return loss

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self(batch[0])
