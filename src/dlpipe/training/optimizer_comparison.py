"""The seven optimizers train one MLP on MNIST: same initial weights, same batches, same budget."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlpipe.config import CompareOptimizersConfig, TrainingConfig
from dlpipe.data.mnist_data import MnistDataModule
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import RunLogger, start_run
from dlpipe.training.callbacks import NonFiniteLossError
from dlpipe.training.fit import fit

FAMILY = "optimizers"
STAGE = "compare_optimizers"


@dataclass(frozen=True)
class OptimizerResult:
    """One optimizer's outcome; `error` is set (and metrics NaN) when training diverged."""

    name: str
    history: Mapping[str, tuple[float, ...]]
    test_loss: float
    test_acc: float
    seconds: float
    error: str | None
    test_predictions: np.ndarray | None = None  # class per test image, from the best checkpoint

    @property
    def val_acc(self) -> float:
        """Validation accuracy at the restored checkpoint (the epoch of the lowest val loss)."""
        losses, accs = self.history.get("val/loss", ()), self.history.get("val/acc", ())
        if self.error is not None or not losses:
            return math.nan
        return float(accs[int(np.nanargmin(losses))])


@dataclass(frozen=True)
class OptimizerComparison:
    results: list[OptimizerResult]
    test_labels: np.ndarray
    counts: Mapping[str, int]  # examples per split

    def best(self) -> OptimizerResult:
        """The optimizer with the best validation accuracy: chosen without the test split."""
        finished = [r for r in self.results if math.isfinite(r.val_acc)]
        if not finished:
            raise ValueError("every optimizer diverged: nothing to choose")
        return max(finished, key=lambda r: r.val_acc)


def compare_optimizers(
    root: Path,
    parent: RunLogger,
    data_path: Path,
    checkpoint_root: Path,
    cfg: CompareOptimizersConfig,
    training: TrainingConfig,
    seed: int,
) -> OptimizerComparison:
    """Train every configured optimizer, each in a child run of `parent`.

    A diverging optimizer is a result, not a crash: its child run ends FAILED with the reason and
    the others still train.
    """
    factories = {name: optimizer_factory(name, hyper) for name, hyper in cfg.optimizers.items()}
    data = MnistDataModule(data_path, cfg.batch_size, seed, cfg.train_limit, training.num_workers)
    data.setup()
    torch.manual_seed(seed)
    initial = MLP(28 * 28, cfg.hidden_sizes, 10, cfg.dropout)
    results = []
    for name, factory in factories.items():
        started = time.perf_counter()
        child_params = {"optimizer": name, **cfg.optimizers[name]}
        try:
            with start_run(root, FAMILY, STAGE, child_params, name, parent) as run:
                module = ClassifierModule(copy.deepcopy(initial), factory)
                started = time.perf_counter()
                fitted = fit(
                    module,
                    data,
                    training,
                    seed=seed,
                    max_epochs=cfg.epochs,
                    checkpoint_dir=checkpoint_root / name,
                    run=run,
                    label=f"optimizer {name}",
                )
                seconds = time.perf_counter() - started
                history = fitted.history
                (tested,) = fitted.trainer.test(module, datamodule=data, verbose=False)
                predictions = predict_classes(module.network, data.test.x)
                run.log_metrics({**tested, "train/seconds": seconds})
                run.log_model(module.network, data.val.x[:2].numpy())
        except NonFiniteLossError as exc:
            seconds = time.perf_counter() - started
            history = exc.history
            tested, error = {"test/loss": math.nan, "test/acc": math.nan}, str(exc)
            predictions = None
        else:
            error = None
        results.append(
            OptimizerResult(
                name,
                history,
                tested["test/loss"],
                tested["test/acc"],
                seconds,
                error,
                predictions,
            )
        )
    parent.log_metrics(
        {f"{r.name}/test_acc": r.test_acc for r in results if math.isfinite(r.test_acc)}
    )
    counts = {"train": len(data.train), "val": len(data.val), "test": len(data.test)}
    return OptimizerComparison(results, data.test.y.numpy(), counts)


@torch.no_grad()
def predict_classes(network: torch.nn.Module, x: torch.Tensor, batch: int = 2048) -> np.ndarray:
    network.eval()
    parts = [
        network(x[i : i + batch].to(_device(network))).argmax(1).cpu()
        for i in range(0, len(x), batch)
    ]
    return torch.cat(parts).numpy()


def _device(network: torch.nn.Module) -> torch.device:
    return next(network.parameters()).device
