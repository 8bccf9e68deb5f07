"""Lightning's cost per VAE epoch: our Lightning path vs a plain PyTorch loop, same work.

Both paths train the `vae` network of params.yaml for one epoch from the same initial weights,
over the same batches (the VAE data module's own loader, same seeded order), with the same
optimizer and learning-rate schedule and the same noise for the reparameterisation (the global
generator seeded alike), and compute the same epoch means (objective, negative ELBO,
reconstruction, KL). Only Lightning's machinery differs: Trainer (build_trainer with the
project's settings, minus progress bar, logger, checkpoints and validation), VAEModule and its
logging, callbacks and hooks.

Run: .venv/bin/python benchmarks/vae_overhead.py [--repeats 5] [--threads N] [--write-docs]
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
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.distributions import Normal
from torch.utils.data import DataLoader

from dlpipe import paths
from dlpipe.config import TrainingConfig, load_params
from dlpipe.config.sections_vae import VaeConfig
from dlpipe.data.tensor_data import Batch, PairsDataModule
from dlpipe.datasets.mnist import load_splits
from dlpipe.models.components.vae_nets import VaeNet, build_vae_net
from dlpipe.models.vae_loss import kl_nats, negative_elbo, reconstruction_nats
from dlpipe.models.vae_module import VAE_METRICS, VAEModule
from dlpipe.optim.factory import OptimizerFactory, fused_adam
from dlpipe.training import build_trainer
from dlpipe.training.vae import flushed_denormals, image_size, vae_datamodule
from docs_section import write_section
from lightning_overhead import EpochClock, clock_now

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
    plain_means: dict[str, float]
    lightning_means: dict[str, float]
    weight_gap: float
    steps: int


class UnloggedVAE(VAEModule):
    """VAEModule without its epoch metrics: what Lightning's own loop costs."""

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        x = batch[0]
        mean, logvar = self.network.encode(x)
        z = Normal(mean, torch.exp(0.5 * logvar)).rsample()
        recon = reconstruction_nats(self.network.decode(z), x)
        return negative_elbo(recon, kl_nats(mean, logvar), self.beta).mean()


def plain_epoch(
    network: VaeNet, factory: OptimizerFactory, cfg: VaeConfig, loader: DataLoader, seed: int
) -> dict[str, float]:
    """One epoch as a hand-written loop: the reference Lightning is measured against.

    Returns the epoch means of VAE_METRICS, weighted by batch size as Lightning's are.
    """
    torch.manual_seed(seed)  # what build_trainer's seed_everything does for the other path
    optimizer = factory(network.parameters())
    scheduler = None
    if cfg.lr_schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=len(loader))
    network.train()
    sums = torch.zeros(len(VAE_METRICS))
    seen = 0
    for x, _ in loader:
        optimizer.zero_grad()
        mean, logvar = network.encode(x)
        z = Normal(mean, torch.exp(0.5 * logvar)).rsample()
        recon = reconstruction_nats(network.decode(z), x)
        kl = kl_nats(mean, logvar)
        loss = negative_elbo(recon, kl, cfg.beta).mean()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        with torch.no_grad():
            values = torch.stack((loss, (recon + kl).mean(), recon.mean(), kl.mean()))
            sums += values * len(x)
        seen += len(x)
    return {name: float(total) / seen for name, total in zip(VAE_METRICS, sums, strict=True)}


def lightning_epoch(
    training: TrainingConfig, seed: int, module: VAEModule, data: PairsDataModule, clock: EpochClock
) -> dict[str, float]:
    """One epoch through build_trainer + VAEModule; returns the logged epoch means."""
    trainer = build_trainer(
        training.replace(progress_bar=False),
        seed=seed,
        max_epochs=1,
        logger=None,
        checkpoint_dir=None,
        callbacks=[clock],
        limit_val_batches=0,  # the plain loop has no validation pass either
    )
    trainer.fit(module, datamodule=data)
    metrics = trainer.callback_metrics
    return {name: float(metrics.get(f"train/{name}", math.nan)) for name in VAE_METRICS}


def measure(
    cfg: VaeConfig,
    training: TrainingConfig,
    seed: int,
    data: PairsDataModule,
    size: int,
    repeats: int,
) -> Measurement:
    """Warm up both paths once, then alternate them `repeats` times from the same start."""
    factory = fused_adam(cfg.lr)  # what train_vae uses
    torch.manual_seed(seed)
    initial = build_vae_net(cfg.kind, size, cfg.latent, cfg.hidden, cfg.channels)
    # Lightning turns this on process-wide (deterministic: "warn"); the plain loop gets the same.
    torch.use_deterministic_algorithms(training.deterministic, warn_only=True)
    clock = EpochClock()
    plain_net, light_net = copy.deepcopy(initial), copy.deepcopy(initial)
    seconds: dict[str, list[float]] = {key: [] for key in PATHS}
    plain_means: dict[str, float] = {}
    lightning_means: dict[str, float] = {}
    rounds = [
        ("plain", "fit", "bare") if i % 2 == 0 else ("bare", "fit", "plain")
        for i in range(repeats + 1)  # round 0 is the warm-up: first-call costs, allocator
    ]
    with flushed_denormals():  # as train_vae trains, for both paths
        for i, order in enumerate(rounds):
            for path in order:
                started = clock_now()
                if path == "plain":
                    plain_net = copy.deepcopy(initial)
                    loader = data.train_dataloader()
                    plain_means = plain_epoch(plain_net, factory, cfg, loader, seed)
                elif path == "fit":
                    light_net = copy.deepcopy(initial)
                    module = VAEModule(light_net, factory, cfg.beta, cfg.lr_schedule)
                    lightning_means = lightning_epoch(training, seed, module, data, clock)
                else:
                    bare = UnloggedVAE(copy.deepcopy(initial), factory, cfg.beta, cfg.lr_schedule)
                    lightning_epoch(training, seed, bare, data, clock)
                if i == 0:
                    continue
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


def describe(cfg: VaeConfig, size: int) -> str:
    """The network in one phrase."""
    if cfg.kind == "mlp":
        widths = "-".join(str(w) for w in (size * size, *cfg.hidden, cfg.latent))
        return f"MLP VAE {widths}"
    c1, c2 = cfg.channels
    return f"conv VAE (channels {c1}-{c2}, dense {cfg.hidden[0]}, latent {cfg.latent})"


def report(result: Measurement, cfg: VaeConfig, size: int, threads: int, command: str) -> str:
    """A markdown table plus the conditions it was measured under."""
    medians = {key: statistics.median(values) for key, values in result.seconds.items()}
    minima = {key: min(values) for key, values in result.seconds.items()}
    plain = medians["plain"]
    rows = [
        "| path | CPU s/epoch: median | min | ms/step | vs plain: median | min "
        "| train/neg_elbo | train/kl |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in PATHS.items():
        means = result.plain_means if key == "plain" else result.lightning_means
        ratio = (
            "| "
            if key == "plain"
            else f"{medians[key] / plain - 1:+.1%} | {minima[key] / minima['plain'] - 1:+.1%}"
        )
        shown = "| - | -" if key == "bare" else f"| {means['neg_elbo']:.3f} | {means['kl']:.3f}"
        rows.append(
            f"| {label} | {medians[key]:.3f} | {minima[key]:.3f} "
            f"| {1000 * medians[key] / result.steps:.2f} | {ratio} {shown} |"
        )
    overhead = medians["loop"] / plain - 1
    per_step = 1000 * (medians["loop"] - plain) / result.steps
    verdict = "within" if overhead <= TARGET else "over"
    return "\n".join(
        [
            *rows,
            "",
            f"Overhead per epoch (Lightning epoch loop / plain - 1): **{overhead:+.1%}** (ratio "
            f"{medians['loop'] / plain:.3f}), {per_step:+.2f} ms/step; "
            f"{verdict} the {TARGET:.0%} target. Lightning's loop alone (the module "
            f"without metrics) accounts for {medians['bare'] / plain - 1:+.1%}; fit setup adds "
            f"{medians['fit'] - medians['loop']:.3f} s once per `fit`.",
            f"Same batches, same noise, same result: max |weight difference| after the epoch = "
            f"{result.weight_gap:.1e}.",
            "",
            f"Setup: {describe(cfg, size)}, batch {cfg.batch_size}, {result.steps} steps/epoch, "
            f"fused Adam lr {cfg.lr:g} ({cfg.lr_schedule} schedule), beta {cfg.beta:g}, "
            f"{len(result.seconds['plain'])} timed epochs per path, alternated, after one "
            f"warm-up each; validation off on both. The epoch loop is timed by a callback from "
            f"`on_train_epoch_start` to `on_train_epoch_end`; times are this process's CPU time.",
            f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
            f"nproc={os.cpu_count()}, torch threads={threads}, torch {torch.__version__}; "
            f"command: `{command}`.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per path")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads, both paths (default: params')"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    # Lightning's banner lines and a torch deprecation notice would bury the table.
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    root = paths.project_root(Path(__file__).resolve().parent)
    params = load_params(root / "params.yaml")
    cfg, training = params.vae, params.training
    threads = args.threads or training.cpu_threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    splits = load_splits(paths.data_raw(root) / "mnist.npz")
    size = image_size(splits)
    data = vae_datamodule(splits, cfg.batch_size, params.seed, training.num_workers)
    result = measure(cfg, training, params.seed, data, size, args.repeats)
    if torch.get_num_threads() != threads:
        sys.exit(f"torch threads changed during the run: {torch.get_num_threads()}")
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(
        ["python benchmarks/vae_overhead.py", *(a for a in given if a != "--write-docs")]
    )
    body = report(result, cfg, size, threads, command)
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md",
            "vae_overhead",
            "VAE: Lightning overhead per epoch",
            body,
        )


if __name__ == "__main__":
    main()
