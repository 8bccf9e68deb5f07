"""A LightningModule for binary classification of table rows (one logit per row)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlpipe.data.tensor_data import Batch
from dlpipe.models.split_module import SplitModule
from dlpipe.optim.factory import OptimizerFactory


class TabularModule(SplitModule):
    """BCE-with-logits on 0/1 float targets; `{split}/loss`, the epoch's row-weighted mean, is
    logged once per epoch and kept in `history` (one value per epoch and split).

    The epoch sums are plain tensors rather than `EpochMeans`: a small table fit is a few hundred
    steps of a tiny network, where a torchmetrics update per step is a visible share of the
    time, and the evaluation stage runs ~250 such fits. The network returns one logit per row
    (e.g. `components.TabularMLP`); the optimizer comes from the factory, as in every family.
    `rebuild`: what a checkpoint passes instead of the network and factory (see SplitModule).
    """

    def __init__(
        self,
        network: nn.Module | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        **rebuild: Any,
    ) -> None:
        super().__init__(network, optimizer_factory, **rebuild)
        self.history: dict[str, list[float]] = {"train/loss": [], "val/loss": [], "test/loss": []}
        self._sums: dict[str, tuple[torch.Tensor, int]] = {}

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x, y = batch
        loss = F.binary_cross_entropy_with_logits(self(x), y)
        total, rows = self._sums.get(split, (0.0, 0)) if batch_idx else (0.0, 0)
        self._sums[split] = (loss.detach() * len(y) + total, rows + len(y))
        return loss

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self(batch[0])

    def on_train_epoch_end(self) -> None:
        self._close_epoch("train")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:  # a sanity check is not an epoch
            self._close_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._close_epoch("test")

    def _close_epoch(self, split: str) -> None:
        if split not in self._sums:
            return
        total, rows = self._sums.pop(split)
        mean = total / rows
        self.log(f"{split}/loss", mean, on_step=False, on_epoch=True)
        self.history[f"{split}/loss"].append(float(mean))
