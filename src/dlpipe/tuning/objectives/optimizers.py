"""The compare_optimizers MLP on MNIST with one optimizer (the one whose hyperparameters the
space names): validation accuracy at the epoch of the lowest validation loss, the epoch
compare_optimizers restores (val/acc per epoch for the pruner)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import torch

from dlpipe.config import Params
from dlpipe.data.mnist_data import MnistDataModule
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.optim import optimizer_factory
from dlpipe.training.fit import fit
from dlpipe.tuning.objectives.base import Objective, Scores, tuned_entry

MNIST = "data/raw/mnist.npz"
PREFIX = "compare_optimizers.optimizers"


def load(params: Params, root: Path) -> Path:
    """The .npz path: each trial's DataModule reads it (train_limit may differ per trial)."""
    return root / MNIST


def score(
    params: Params, path: Path, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    cfg, training = params.compare_optimizers, params.training
    name = tuned_entry(params, "optimizers", PREFIX)
    data = MnistDataModule(path, cfg.batch_size, params.seed, cfg.train_limit, training.num_workers)
    data.setup()
    torch.manual_seed(params.seed)
    network = MLP(28 * 28, cfg.hidden_sizes, 10, cfg.dropout)
    module = ClassifierModule(network, optimizer_factory(name, cfg.optimizers[name]))
    fitted = fit(
        module,
        data,
        training,
        seed=params.seed,
        max_epochs=cfg.epochs,
        checkpoint_dir=workdir,
        label=f"optimizer {name}",
    )
    losses, accs = fitted.history["val/loss"], fitted.history["val/acc"]
    val = float(accs[int(np.nanargmin(losses))])
    if not with_test:
        return Scores(val=val)
    (tested,) = fitted.trainer.test(module, datamodule=data, verbose=False)
    return Scores(val=val, test=float(tested["test/acc"]), extra={"test/loss": tested["test/loss"]})


OBJECTIVE = Objective(
    family="optimizers",
    metric="acc",
    direction="maximize",
    monitor="val/acc",
    fidelity=lambda params, epochs: {"compare_optimizers.epochs": epochs},
    reads=("seed", "mnist", "compare_optimizers"),
    data=(MNIST,),
    load=load,
    score=score,
)
