"""Face crops as tensors, class weights, the balanced sampler and the data module's loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import WeightedRandomSampler

from dlpipe.data.face_data import (
    FaceDataModule,
    FaceSplits,
    balanced_sampler,
    class_weights,
    images_to_tensor,
)


def _splits(n: dict[str, int] | None = None, rgb: bool = False) -> FaceSplits:
    n = n or {"train": 30, "val": 9, "test": 9}
    rng = np.random.default_rng(0)
    shape = (8, 8, 3) if rgb else (8, 8)
    x = {s: rng.integers(0, 256, size=(k, *shape), dtype=np.uint8) for s, k in n.items()}
    y = {s: np.arange(k, dtype=np.int64) % 3 for s, k in n.items()}
    return FaceSplits(x=x, y=y, classes=("a", "b", "c"))


def test_grey_crops_become_one_channel_in_unit_range() -> None:
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = images_to_tensor(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    torch.testing.assert_close(x[0, 0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))


def test_rgb_crops_become_channels_first() -> None:
    images = np.zeros((2, 4, 5, 3), dtype=np.uint8)
    images[..., 1] = 255  # pure green
    x = images_to_tensor(images)
    assert x.shape == (2, 3, 4, 5)
    assert torch.all(x[:, 1] == 1.0) and torch.all(x[:, [0, 2]] == 0.0)


@pytest.mark.parametrize(
    "images",
    [np.zeros((2, 4, 4), dtype=np.float32), np.zeros((2, 4, 4, 2), dtype=np.uint8)],
)
def test_other_layouts_are_refused(images) -> None:
    with pytest.raises(ValueError, match="face crops"):
        images_to_tensor(images)


def test_splits_are_checked() -> None:
    good = _splits()
    with pytest.raises(ValueError, match="labels"):
        FaceSplits(x=good.x, y={**good.y, "val": good.y["val"][:3]}, classes=good.classes)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        FaceSplits(x=good.x, y=good.y, classes=("a", "b"))
    with pytest.raises(ValueError, match="differ"):
        FaceSplits(x=good.x, y={"train": good.y["train"]}, classes=good.classes)


def test_class_weights_are_n_over_k_times_count() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2])  # counts 6, 2, 4; n = 12, k = 3
    weights = class_weights(y, 3)
    torch.testing.assert_close(weights, torch.tensor([12 / 18, 12 / 6, 12 / 12]))
    # Every class then carries the same total weight n / k.
    totals = weights * torch.tensor([6.0, 2.0, 4.0])
    torch.testing.assert_close(totals, torch.full((3,), 4.0))


def test_class_without_training_example_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"\[1\]"):
        class_weights(np.array([0, 0, 2]), 3)


def test_balanced_sampler_roughly_balances_and_repeats_from_its_seed() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)
    sampler = balanced_sampler(y, 3, seed=7)
    assert isinstance(sampler, WeightedRandomSampler) and len(sampler) == 100
    drawn = np.concatenate([y[list(sampler)] for _ in range(30)])
    shares = np.bincount(drawn, minlength=3) / len(drawn)
    np.testing.assert_allclose(shares, 1 / 3, atol=0.04)
    assert list(balanced_sampler(y, 3, seed=7)) == list(balanced_sampler(y, 3, seed=7))
    assert list(balanced_sampler(y, 3, seed=7)) != list(balanced_sampler(y, 3, seed=8))


@pytest.mark.parametrize("balanced", [False, True])
def test_loaders_serve_float_batches(balanced) -> None:
    data = _splits(rgb=True)
    module = FaceDataModule(data, batch_size=8, seed=0, balanced=balanced)
    module.setup("fit")
    x, y = next(iter(module.train_dataloader()))
    assert x.shape == (8, 3, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert sum(len(b[1]) for b in module.train_dataloader()) == 30
    assert isinstance(module.train_dataloader().sampler, WeightedRandomSampler) == balanced
    val_y = torch.cat([b[1] for b in module.val_dataloader()])
    assert torch.equal(val_y, torch.from_numpy(data.y["val"]))  # unshuffled
    assert len(next(iter(module.test_dataloader()))[1]) == 8


def test_missing_split_is_named() -> None:
    module = FaceDataModule(_splits({"train": 6, "val": 3}), batch_size=4, seed=0)
    with pytest.raises(ValueError, match="'test'"):
        module.test_dataloader()
