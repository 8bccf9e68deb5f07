"""Epoch means logged once per epoch: cheap per-step accounting for every LightningModule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import lightning.pytorch as pl
import torch
from torch import nn
from torchmetrics import Metric

SPLITS = ("train", "val", "test")


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


class RootEpochMean(EpochMean):
    """The root of a weighted epoch mean: a pooled RMSE from per-batch mean squared errors."""

    def compute(self) -> torch.Tensor:
        return super().compute().sqrt()


class EpochMeans(nn.Module):
    """One EpochMean per `{split}/{name}`; a module owns one and feeds it every step.

    Names in `roots` log the square root of their epoch mean (feed them mean squared errors).
    """

    def __init__(
        self, names: Iterable[str], splits: Iterable[str] = SPLITS, roots: Iterable[str] = ()
    ) -> None:
        super().__init__()
        rooted = set(roots)
        # ModuleDict keys may not contain "/": "train_loss" stands for the logged "train/loss".
        self.means = nn.ModuleDict(
            {
                f"{split}_{name}": RootEpochMean() if name in rooted else EpochMean()
                for split in splits
                for name in names
            }
        )

    def update(
        self,
        module: pl.LightningModule,
        split: str,
        batch_idx: int,
        values: Mapping[str, torch.Tensor],
        weight: int,
    ) -> None:
        for name, value in values.items():
            mean = self.means[f"{split}_{name}"]
            if batch_idx == 0:
                # Logged once, at the first batch: Lightning computes it as the epoch ends, in
                # time for callbacks' on_*_epoch_end (EpochHistory reads there; the module's own
                # on_train_epoch_end runs after them), then resets it.
                mean.reset()
                module.log(f"{split}/{name}", mean, on_step=False, on_epoch=True)
            mean.update(value.detach(), weight)
