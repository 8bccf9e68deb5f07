"""A LightningModule for autoencoder recommenders: masked MSE on observed ratings only.

Batch format, the same in every split: (inputs, targets). `inputs` (batch, n) are the rows the
network sees, 0 where unrated. `targets` (batch, 2, n) stack the ratings to reconstruct and
their mask (1 where rated). Training uses targets == inputs; validation and test feed the
training row and score the held-out ratings of that row, so one module serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from dlpipe.data.tensor_data import Batch, TensorPairs
from dlpipe.models.components.autoencoders import MirroredAutoencoder, kl_sparsity
from dlpipe.models.epoch_means import EpochMeans
from dlpipe.models.split_module import SplitModule
from dlpipe.optim.factory import OptimizerFactory


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Squared error summed over observed entries / their count; unobserved ones add nothing.

    A batch with no observed entry gives 0 (not NaN), and weighs 0 in the epoch mean.
    """
    squared = torch.where(mask.bool(), prediction - target, 0.0).square()
    return squared.sum() / mask.sum().clamp_min(1)


def rating_rows(
    inputs: torch.Tensor, target_values: torch.Tensor, target_mask: torch.Tensor
) -> TensorPairs:
    """The dataset for `AutoencoderModule`: serve it with `tensor_loader`."""
    if not inputs.shape == target_values.shape == target_mask.shape or inputs.dim() != 2:
        raise ValueError(
            f"inputs, target values and mask must share one (rows, n) shape, got "
            f"{tuple(inputs.shape)}, {tuple(target_values.shape)}, {tuple(target_mask.shape)}"
        )
    targets = torch.stack((target_values, target_mask.to(target_values.dtype)), dim=1)
    return TensorPairs(inputs, targets)


class AutoencoderModule(SplitModule):
    """Masked MSE + optional KL sparsity on the code + L2 on the weight matrices.

    Logs `{split}/loss` (the objective, pooled over observed entries) and `{split}/rmse` (pooled
    over observed entries, predictions clipped to `rating_range`) once per epoch. Input
    corruption belongs to the network (`corruption`), which applies it in training mode only.
    `rebuild`: what a checkpoint passes instead of the network and factory (see SplitModule).
    """

    def __init__(
        self,
        network: MirroredAutoencoder | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        sparsity_weight: float = 0.0,
        sparsity_target: float = 0.05,
        l2: float = 0.0,
        rating_range: Sequence[float] = (1.0, 5.0),
        **rebuild: Any,
    ) -> None:
        if sparsity_weight < 0 or l2 < 0:
            raise ValueError(f"sparsity_weight and l2 must be >= 0, got {sparsity_weight}, {l2}")
        if not 0.0 < sparsity_target < 1.0:
            raise ValueError(f"sparsity_target must be in (0, 1), got {sparsity_target}")
        low, high = (float(value) for value in rating_range)
        own = {
            "sparsity_weight": float(sparsity_weight),
            "sparsity_target": float(sparsity_target),
            "l2": float(l2),
            "rating_range": [low, high],
        }
        super().__init__(network, optimizer_factory, hparams=own, **rebuild)
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target
        self.l2 = l2
        self.rating_range = (low, high)
        self.epoch_means = EpochMeans(("loss", "rmse"), roots=("rmse",))

    def _weight_norm(self) -> torch.Tensor:
        """Sum of squares of the weight matrices (biases are not decayed, as in AutoRec)."""
        return sum(
            (p.square().sum() for p in self.network.parameters() if p.dim() > 1),
            torch.zeros((), device=self.device),
        )

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        inputs, targets = batch
        if targets.dim() != 3 or targets.shape[1] != 2:
            raise ValueError(
                f"targets must be (batch, 2, n) ratings and mask (see rating_rows), "
                f"got {tuple(targets.shape)}"
            )
        target, mask = targets[:, 0], targets[:, 1]
        code = self.network.encode(inputs)
        prediction = self.network.decode(code)
        loss = masked_mse(prediction, target, mask)
        if self.sparsity_weight > 0:
            loss = loss + self.sparsity_weight * kl_sparsity(code, self.sparsity_target)
        if self.l2 > 0:
            loss = loss + self.l2 * self._weight_norm()
        clipped = prediction.detach().clamp(*self.rating_range)
        values = {"loss": loss, "rmse": masked_mse(clipped, target, mask)}
        # Weighted by observed entries, so epoch values pool entries, not batches.
        self.epoch_means.update(self, split, batch_idx, values, mask.sum())
        return loss

    def predict_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """Full reconstructed rows, clipped to the rating range."""
        return self(batch[0]).clamp(*self.rating_range)
