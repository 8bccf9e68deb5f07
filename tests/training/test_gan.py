"""train_gan end to end on tiny synthetic digits: curves per step, a frame per epoch, seeded
samples, a checkpoint that rebuilds the generator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_gan import GanConfig
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.models.components.gan_nets import DcganGenerator, MlpGenerator
from dlpipe.models.gan_module import HISTORY_KEYS, INFO_KEY, GANModule
from dlpipe.training.gan import train_gan


def tiny_config(kind: str, max_epochs: int, ema_decay: float = 0.0, codes: int = 0) -> GanConfig:
    return GanConfig(
        kind=kind,
        noise_dim=8,
        mlp={
            "generator_hidden": (16,),
            "discriminator_hidden": (16,),
            "generator_batch_norm": True,
        },
        dcgan={"generator_channels": 2, "discriminator_channels": 2},
        discriminator_dropout=0.1,
        lr_g=2e-4,
        lr_d=2e-4,
        beta1=0.5,
        beta2=0.999,
        batch_size=64,
        max_epochs=max_epochs,
        d_steps=2,
        real_label=0.9,
        ema_decay=ema_decay,
        codes=codes,
        info_weight=1.0,
        grid_size=9,
    )


@pytest.mark.parametrize(
    ("kind", "network", "ema_decay", "codes"),
    [("mlp", MlpGenerator, 0.9, 3), ("dcgan", DcganGenerator, 0.0, 0)],
)
def test_a_short_run_records_every_step_and_every_epoch(
    kind: str,
    network: type,
    ema_decay: float,
    codes: int,
    mnist_splits: MnistSplits,
    cpu_training: TrainingConfig,
    tmp_path: Path,
) -> None:
    epochs = 2
    cfg = tiny_config(kind, epochs, ema_decay, codes)
    result = train_gan(mnist_splits, cfg, cpu_training, 0, None, tmp_path)
    steps = epochs * math.ceil(len(mnist_splits.train_x) / 64)  # 400 images: 7 batches an epoch
    keys = (*HISTORY_KEYS, INFO_KEY) if codes else HISTORY_KEYS
    assert {key: len(values) for key, values in result.history.items()} == dict.fromkeys(
        keys, steps
    )
    assert all(np.isfinite(values).all() for values in result.history.values())
    assert all(0 < p < 1 for p in result.history["train/d_real"] + result.history["train/d_fake"])
    assert result.frames.shape == (epochs, 9, 28, 28) and result.frames.dtype == np.float32
    assert not np.array_equal(result.frames[0], result.frames[1])  # the generator moved
    assert isinstance(result.generator, network) and not result.generator.training
    assert result.generator.codes == codes
    samples = result.generate(20, seed=3)
    assert samples.shape == (20, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(result.generate(20, seed=3), samples)
    assert not np.array_equal(result.generate(20, seed=4), samples)
    # The saved checkpoint holds the trained generator.
    loaded = GANModule.load_from_checkpoint(result.checkpoint, map_location="cpu")
    assert (loaded.generator_average is not None) == (ema_decay > 0)
    np.testing.assert_array_equal(loaded.fixed_samples().numpy(), result.frames[-1])
    assert torch.equal(
        loaded.sample(20, torch.Generator().manual_seed(3)), torch.from_numpy(samples)
    )


def test_the_same_seed_trains_the_same_gan(
    mnist_splits: MnistSplits, cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    cfg = tiny_config("mlp", 1)
    first = train_gan(mnist_splits, cfg, cpu_training, 7, None, tmp_path / "a")
    again = train_gan(mnist_splits, cfg, cpu_training, 7, None, tmp_path / "b")
    other = train_gan(mnist_splits, cfg, cpu_training, 8, None, tmp_path / "c")
    assert first.history == again.history
    np.testing.assert_array_equal(first.frames, again.frames)
    assert first.history != other.history


def test_a_code_must_leave_free_noise() -> None:
    assert tiny_config("mlp", 1, codes=7).codes == 7  # noise_dim 8: one value stays free
    for codes in (1, 8):
        with pytest.raises(ValueError, match=rf"codes: must be .*\(got {codes}\)"):
            tiny_config("mlp", 1, codes=codes)


def test_the_gan_trains_on_its_own_thread_count(
    mnist_splits: MnistSplits, cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    """`gan.cpu_threads` wins over `training.cpu_threads` (1 here); None leaves training's."""
    before = torch.get_num_threads()
    try:
        train_gan(
            mnist_splits,
            tiny_config("mlp", 1).replace(cpu_threads=2),
            cpu_training,
            7,
            None,
            tmp_path / "two",
        )
        assert torch.get_num_threads() == 2
        train_gan(mnist_splits, tiny_config("mlp", 1), cpu_training, 7, None, tmp_path / "one")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
