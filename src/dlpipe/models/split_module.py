"""The part every family's LightningModule shares: one `_step` serves all three splits, and the
optimizer comes from the factory the module was given."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch import nn

from dlpipe.data.tensor_data import Batch
from dlpipe.optim.factory import OptimizerFactory


class SplitModule(pl.LightningModule):
    """Subclasses write `_step(batch, batch_idx, split)`; train/val/test steps call it."""

    def __init__(self, network: nn.Module, optimizer_factory: OptimizerFactory) -> None:
        super().__init__()
        self.network = network
        self.optimizer_factory = optimizer_factory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        raise NotImplementedError

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self._step(batch, batch_idx, "train")

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, batch_idx, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, batch_idx, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.optimizer_factory(self.parameters())
