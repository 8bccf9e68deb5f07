"""Lightning's cost per MNIST epoch: our Lightning path vs a plain PyTorch loop, same work.

Both paths train the compare_optimizers MLP for one epoch from the same initial weights, over
the same batches (the data module's own loader, same seeded order), with the same optimizer
class, and compute the same epoch means (loss, accuracy). Only Lightning's machinery differs:
Trainer (build_trainer with the project's settings, minus progress bar, logger, checkpoints and
validation), ClassifierModule and its logging, callbacks and hooks.

Run: .venv/bin/python benchmarks/lightning_overhead.py [--repeats 5] [--threads N] [--write-docs]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader

from dlpipe import paths
from dlpipe.config import Params, load_params
from dlpipe.data.mnist_data import MnistDataModule
from dlpipe.data.tensor_data import Batch
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.optim import optimizer_factory
from dlpipe.optim.factory import OptimizerFactory
from dlpipe.training import build_trainer
from docs_section import write_section


def clock_now() -> float:
    """CPU seconds of this process: on a shared VM, wall time swings by +-30% between epochs
    (steal time), which would drown a 10% effect; with one torch thread and no loader workers,
    all the work of both paths is this process's CPU time."""
    return time.process_time()


TARGET = 0.10  # overhead ratio we accept: Lightning at most 10% slower per epoch
PATHS = {
    "plain": "plain PyTorch loop",
    "loop": "Lightning, epoch loop",
    "fit": "Lightning, whole `fit` of 1 epoch",
    "bare": "Lightning, epoch loop, module without metrics",
}


@dataclass(frozen=True)
class Measurement:
    """Seconds per timed epoch for each path (keys of PATHS) and what each epoch computed."""

    seconds: dict[str, list[float]]
    plain_means: tuple[float, float]
    lightning_means: tuple[float, float]
    weight_gap: float
    steps: int


class EpochClock(pl.Callback):
    """Seconds from the start of the training epoch to its end hooks: the loop without fit setup."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.started = clock_now()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.seconds = clock_now() - self.started


class UnloggedClassifier(ClassifierModule):
    """ClassifierModule without its epoch metrics: what Lightning's own loop costs."""

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(self(x), y)


def plain_epoch(
    network: nn.Module, factory: OptimizerFactory, loader: DataLoader
) -> tuple[float, float]:
    """One epoch as a hand-written loop: the reference Lightning is measured against.

    Returns (mean loss, accuracy), weighted by batch size as Lightning's epoch means are.
    """
    optimizer = factory(network.parameters())
    network.train()
    loss_sum = torch.zeros(())
    correct = torch.zeros((), dtype=torch.long)
    seen = 0
    for x, y in loader:
        optimizer.zero_grad()
        logits = network(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(dim=1) == y).sum()
        seen += len(y)
    return float(loss_sum) / seen, float(correct) / seen


def lightning_epoch(
    params: Params, module: ClassifierModule, data: MnistDataModule, clock: EpochClock
) -> tuple[float, float]:
    """One epoch through build_trainer + ClassifierModule; returns the logged epoch means."""
    training = params.training.replace(progress_bar=False)
    trainer = build_trainer(
        training,
        seed=params.seed,
        max_epochs=1,
        logger=None,
        checkpoint_dir=None,
        callbacks=[clock],
        limit_val_batches=0,  # the plain loop has no validation pass either
    )
    trainer.fit(module, datamodule=data)
    metrics = trainer.callback_metrics
    return float(metrics.get("train/loss", math.nan)), float(metrics.get("train/acc", math.nan))


def measure(params: Params, root: Path, optimizer: str, repeats: int) -> Measurement:
    """Warm up both paths once, then alternate them `repeats` times from the same start."""
    cfg = params.compare_optimizers
    data = MnistDataModule(
        paths.data_raw(root) / "mnist.npz",
        cfg.batch_size,
        params.seed,
        cfg.train_limit,
        params.training.num_workers,
    )
    data.setup()
    factory = optimizer_factory(optimizer, cfg.optimizers[optimizer])
    torch.manual_seed(params.seed)
    initial = MLP(28 * 28, cfg.hidden_sizes, 10, cfg.dropout)
    # Lightning turns this on process-wide (deterministic: "warn"); the plain loop gets the same.
    torch.use_deterministic_algorithms(params.training.deterministic, warn_only=True)
    clock = EpochClock()
    plain_net, light_net = copy.deepcopy(initial), copy.deepcopy(initial)
    seconds: dict[str, list[float]] = {key: [] for key in PATHS}
    plain_means = lightning_means = (0.0, 0.0)
    for i in range(repeats + 1):  # round 0 is the warm-up: first-call costs, allocator
        for path in ("plain", "fit", "bare") if i % 2 == 0 else ("bare", "fit", "plain"):
            started = clock_now()
            if path == "plain":
                plain_net = copy.deepcopy(initial)
                plain_means = plain_epoch(plain_net, factory, data.train_dataloader())
            elif path == "fit":
                light_net = copy.deepcopy(initial)
                module = ClassifierModule(light_net, factory)
                lightning_means = lightning_epoch(params, module, data, clock)
            else:
                module = UnloggedClassifier(copy.deepcopy(initial), factory)
                lightning_epoch(params, module, data, clock)
            if i > 0:
                if path == "bare":
                    seconds["bare"].append(clock.seconds)
                    continue
                seconds[path].append(clock_now() - started)
                if path == "fit":
                    seconds["loop"].append(clock.seconds)
    gap = max(
        (a - b).abs().max().item()
        for a, b in zip(plain_net.parameters(), light_net.parameters(), strict=True)
    )
    return Measurement(seconds, plain_means, lightning_means, gap, len(data.train_dataloader()))


def report(
    result: Measurement,
    optimizer: str,
    hidden_sizes: tuple[int, ...],
    threads: int,
    command: str,
) -> str:
    """A markdown table plus the conditions it was measured under."""
    medians = {key: statistics.median(values) for key, values in result.seconds.items()}
    minima = {key: min(values) for key, values in result.seconds.items()}
    plain = medians["plain"]
    rows = [
        "| path | CPU s/epoch: median | min | ms/step | vs plain: median | min "
        "| train/loss | train/acc |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in PATHS.items():
        loss, acc = result.plain_means if key == "plain" else result.lightning_means
        ratio = (
            "| "
            if key == "plain"
            else (f"{medians[key] / plain - 1:+.1%} | {minima[key] / minima['plain'] - 1:+.1%}")
        )
        means = "| - | -" if key == "bare" else f"| {loss:.4f} | {acc:.4f}"
        rows.append(
            f"| {label} | {medians[key]:.3f} | {minima[key]:.3f} "
            f"| {1000 * medians[key] / result.steps:.2f} | {ratio} {means} |"
        )
    overhead = medians["loop"] / plain - 1
    verdict = "within" if overhead <= TARGET else "over"
    return "\n".join(
        [
            *rows,
            "",
            f"Overhead per epoch (Lightning epoch loop / plain - 1): **{overhead:+.1%}**, "
            f"{1000 * (medians['loop'] - plain) / result.steps:+.2f} ms/step; {verdict} the "
            f"{TARGET:.0%} target. Lightning's loop alone (the module without metrics) "
            f"accounts for {medians['bare'] / plain - 1:+.1%}; fit setup adds "
            f"{medians['fit'] - medians['loop']:.3f} s once per `fit`.",
            f"Same batches, same result: max |weight difference| after the epoch = "
            f"{result.weight_gap:.1e}.",
            "",
            f"Setup: MLP 784-{'-'.join(map(str, hidden_sizes))}-10, {result.steps} steps/epoch, "
            f"optimizer `{optimizer}`, "
            f"{len(result.seconds['plain'])} timed epochs per path, alternated, after one "
            f"warm-up each; validation off on both. The epoch loop is timed by a callback from "
            f"`on_train_epoch_start` to `on_train_epoch_end`.",
            f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
            f"nproc={os.cpu_count()}, torch threads={threads}, torch {torch.__version__}; "
            f"command: `{command}`.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per path")
    parser.add_argument("--optimizer", default="adam", help="a compare_optimizers entry")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads, both paths (default: params')"
    )
    parser.add_argument(
        "--hidden-sizes", default="", help="override the MLP's hidden sizes, e.g. 128,64"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    # Lightning's banner lines and a torch deprecation notice would bury the table.
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    root = paths.project_root(Path(__file__).resolve().parent)
    params = load_params(root / "params.yaml")
    if args.hidden_sizes:
        hidden = tuple(int(size) for size in args.hidden_sizes.split(","))
        compare = params.compare_optimizers.replace(hidden_sizes=hidden)
        params = params.replace(compare_optimizers=compare)
    threads = args.threads or params.training.cpu_threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    result = measure(params, root, args.optimizer, args.repeats)
    if torch.get_num_threads() != threads:
        sys.exit(f"torch threads changed during the run: {torch.get_num_threads()}")
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(
        ["python benchmarks/lightning_overhead.py", *(a for a in given if a != "--write-docs")]
    )
    hidden_sizes = params.compare_optimizers.hidden_sizes
    body = report(result, args.optimizer, hidden_sizes, threads, command)
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md",
            "lightning_overhead",
            "Lightning overhead per epoch",
            body,
        )


if __name__ == "__main__":
    main()
