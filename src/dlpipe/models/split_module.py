"""The part every family's LightningModule shares: one `_step` serves all three splits, and the
optimizer comes from the factory the module was given.

A module also records how to rebuild itself, so that `Module.load_from_checkpoint(path)` works
with no other argument: the network's class and constructor arguments (`init_kwargs`, which every
network of `dlpipe.models.components` exposes) and the optimizer's name and hyperparameters (read
off the factory that `dlpipe.optim.optimizer_factory` made). Callers still hand over a built
network and a factory; the record is only read when a checkpoint rebuilds the module, and then
the network is built from it instead (`network=None`). Recording draws no random numbers, so
training is unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from dlpipe.data.tensor_data import Batch
from dlpipe.optim.factory import OptimizerFactory, optimizer_record
from dlpipe.optim.factory import optimizer_factory as build_factory

NETWORK_PACKAGE = "dlpipe.models.components"


def network_spec(network: nn.Module) -> dict[str, Any]:
    """`network_class` (dotted path) and `network_kwargs` (None when the class does not expose
    its constructor arguments as `init_kwargs`)."""
    cls = type(network)
    kwargs = getattr(network, "init_kwargs", None)
    return {
        "network_class": f"{cls.__module__}.{cls.__qualname__}",
        "network_kwargs": dict(kwargs) if isinstance(kwargs, Mapping) else None,
    }


def build_network(network_class: str | None, network_kwargs: Mapping[str, Any] | None) -> nn.Module:
    """The network a checkpoint describes; only classes of dlpipe.models.components are built."""
    if network_class is None or network_kwargs is None:
        raise ValueError(
            f"cannot rebuild the network ({network_class or 'class unknown'}): the checkpoint "
            "does not record its constructor arguments; pass `network=` to load_from_checkpoint"
        )
    module_name, _, name = network_class.rpartition(".")
    if not (module_name == NETWORK_PACKAGE or module_name.startswith(f"{NETWORK_PACKAGE}.")):
        raise ValueError(
            f"refusing to build {network_class!r}: networks come from {NETWORK_PACKAGE}; pass "
            "`network=` to load_from_checkpoint"
        )
    cls = getattr(importlib.import_module(module_name), name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"{network_class!r} is not a network class")
    return cls(**network_kwargs)


class SplitModule(pl.LightningModule):
    """Subclasses write `_step(batch, batch_idx, split)`; train/val/test steps call it.

    Give either `network` or `network_class` + `network_kwargs`, and either `optimizer_factory`
    or `optimizer` + `optimizer_hyper` (a checkpoint gives the latter of each). `hparams` are the
    subclass's own constructor arguments as plain values; all of it is saved with the checkpoint
    (not logged to the experiment tracker).
    """

    def __init__(
        self,
        network: nn.Module | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        *,
        network_class: str | None = None,
        network_kwargs: Mapping[str, Any] | None = None,
        optimizer: str | None = None,
        optimizer_hyper: Mapping[str, Any] | None = None,
        hparams: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if network is None:
            network = build_network(network_class, network_kwargs)
        if optimizer_factory is not None:
            recorded = optimizer_record(optimizer_factory)
        else:
            recorded = {"optimizer": optimizer, "optimizer_hyper": optimizer_hyper}
            if optimizer is not None:
                optimizer_factory = build_factory(optimizer, dict(optimizer_hyper or {}))
        self.save_hyperparameters(
            {**network_spec(network), **recorded, **(hparams or {})}, logger=False
        )
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
        if self.optimizer_factory is None:
            raise ValueError(
                f"{type(self).__name__} has no optimizer: the checkpoint does not name one; pass "
                "`optimizer_factory=` to train it"
            )
        return self.optimizer_factory(self.parameters())
