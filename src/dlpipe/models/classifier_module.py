"""A LightningModule for any classifier network; the optimizer comes in as a factory.

Swapping the factory is all the optimizer comparison changes, so every other detail of training
(network, batches, loss) stays identical across optimizers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import lightning.pytorch as pl
import torch
from torch import nn
from torch.nn import functional as F

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


class ClassifierModule(pl.LightningModule):
    """Cross-entropy training; logs `{split}/loss` and `{split}/acc` once per epoch."""

    def __init__(self, network: nn.Module, optimizer_factory: OptimizerFactory) -> None:
        super().__init__()
        self.network = network
        self.optimizer_factory = optimizer_factory

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], split: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(dim=1) == y).float().mean()
        # Epoch means only: per-step logging would cost more than the MLP's own step.
        self.log(f"{split}/loss", loss, on_step=False, on_epoch=True, batch_size=len(y))
        self.log(f"{split}/acc", acc, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.optimizer_factory(self.parameters())
