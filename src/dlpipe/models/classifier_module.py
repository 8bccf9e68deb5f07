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
from torchmetrics import Metric

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
Batch = tuple[torch.Tensor, torch.Tensor]
SPLITS = ("train", "val", "test")
METRICS = ("loss", "acc")


class EpochMean(Metric):
    """Batch-size-weighted mean over an epoch, the same reduction as `self.log(on_epoch=True)`.

    Kept in tensors and logged once per epoch as a Metric, which Lightning computes when the
    epoch ends: a `self.log` call per step cost more than the MNIST MLP's own step
    (benchmarks/lightning_overhead.py). torchmetrics' MeanMetric is not used because with
    nan_strategy="disable" (1.9) it drops the weights.
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", torch.zeros(()), dist_reduce_fx="sum")
        self.add_state("weight", torch.zeros(()), dist_reduce_fx="sum")

    def update(self, value: torch.Tensor, weight: int) -> None:
        self.total += value * weight
        self.weight += weight

    def compute(self) -> torch.Tensor:
        return self.total / self.weight


class ClassifierModule(pl.LightningModule):
    """Cross-entropy training; logs `{split}/loss` and `{split}/acc` once per epoch."""

    def __init__(self, network: nn.Module, optimizer_factory: OptimizerFactory) -> None:
        super().__init__()
        self.network = network
        self.optimizer_factory = optimizer_factory
        # ModuleDict keys may not contain "/": "train_loss" stands for the logged "train/loss".
        self.epoch_means = nn.ModuleDict(
            {f"{split}_{name}": EpochMean() for split in SPLITS for name in METRICS}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        with torch.no_grad():
            acc = (logits.argmax(dim=1) == y).float().mean()
        for name, value in (("loss", loss.detach()), ("acc", acc)):
            mean = self.epoch_means[f"{split}_{name}"]
            if batch_idx == 0:
                # Logged once, at the first batch: Lightning computes it as the epoch ends, in
                # time for callbacks' on_*_epoch_end (EpochHistory reads there; the module's own
                # on_train_epoch_end runs after them), then resets it.
                mean.reset()
                self.log(f"{split}/{name}", mean, on_step=False, on_epoch=True)
            mean.update(value, len(y))
        return loss

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self._step(batch, batch_idx, "train")

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, batch_idx, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._step(batch, batch_idx, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.optimizer_factory(self.parameters())
