"""Torch threads for the generative models: their own `cpu_threads` (params.yaml) against the
plain setting every other family uses (`training.cpu_threads`, one thread).

Each of the three models (the digit classifier that judges, the VAE, the GAN) is trained by its
real training function (Trainer, callbacks, checkpoints, its test pass) for one epoch on a
seeded subset of the training images, once per setting and `--repeats` times, alternating, on
an otherwise idle machine: `dvc repro` runs one stage at a time, so the second core is free.

Run: .venv/bin/python benchmarks/generative_threads.py [--images 10000] [--repeats 2] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from dlpipe import paths
from dlpipe.config import Params, TrainingConfig, load_params
from dlpipe.data.mnist_data import limit_training
from dlpipe.datasets.mnist import MnistSplits, load_splits
from dlpipe.training.digit_classifier import train_digit_classifier
from dlpipe.training.gan import train_gan
from dlpipe.training.vae import train_vae
from docs_section import write_section

Trainer = Callable[[MnistSplits, TrainingConfig, Path, int | None], object]


def trainers(params: Params) -> dict[str, tuple[int | None, Trainer]]:
    """Model -> (its own cpu_threads, one epoch of its real training with a thread count)."""
    judge, vae, gan, seed = params.digit_classifier, params.vae, params.gan, params.seed
    vae_short = vae.replace(max_epochs=1, latent2_epochs=0)
    return {
        "digit classifier": (
            judge.cpu_threads,
            lambda s, t, d, n: train_digit_classifier(
                s, judge.replace(max_epochs=1, cpu_threads=n), t, seed, None, d
            ),
        ),
        "VAE": (
            vae.cpu_threads,
            lambda s, t, d, n: train_vae(s, vae_short.replace(cpu_threads=n), t, seed, None, d),
        ),
        "GAN": (
            gan.cpu_threads,
            lambda s, t, d, n: train_gan(
                s, gan.replace(max_epochs=1, cpu_threads=n), t, seed, None, d
            ),
        ),
    }


def timed(train: Trainer, splits: MnistSplits, training: TrainingConfig, n: int | None) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        train(splits, training, Path(folder), n)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="training images per epoch")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per setting")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    root = paths.project_root(Path(__file__).resolve().parent)
    params = load_params(root / "params.yaml")
    training = params.training.replace(progress_bar=False)
    splits = limit_training(load_splits(paths.data_raw(root) / "mnist.npz"), args.images, 0)
    lines = [
        "| model | threads (plain) | s | threads (own) | s | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for name, (own, train) in trainers(params).items():
        plain_s, own_s = [], []
        for _ in range(args.repeats):
            plain_s.append(timed(train, splits, training, None))
            own_s.append(timed(train, splits, training, own))
        plain, mine = statistics.median(plain_s), statistics.median(own_s)
        lines.append(
            f"| {name} | {training.cpu_threads} | {plain:.1f} | {own} | {mine:.1f} "
            f"| {plain / mine:.2f}x |"
        )
        print(lines[-1], flush=True)
    day = datetime.date.today().isoformat()
    body = "\n".join(
        [
            *lines,
            "",
            f"One epoch on {args.images:,} training images plus the model's own evaluation "
            f"(median of {args.repeats}). Measured {day} on {platform.machine()}, "
            f"nproc={os.cpu_count()}, torch {torch.__version__}; command: "
            f"`python benchmarks/generative_threads.py --images {args.images} "
            f"--repeats {args.repeats}`.",
        ]
    )
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md",
            "generative_threads",
            "Threads for the generative models",
            body,
        )


if __name__ == "__main__":
    main()
