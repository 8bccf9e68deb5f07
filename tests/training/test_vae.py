"""The VAE trained for real on tiny synthetic digits: the bound falls, the artifacts fit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_vae import VaeConfig
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.families.generative.vae import paired_comparison
from dlpipe.models.components.vae_nets import build_vae_net
from dlpipe.models.vae_module import VAEModule
from dlpipe.optim.factory import FUSED_ADAM
from dlpipe.training.vae import (
    ANCHOR,
    VaeResult,
    fixed_digits,
    interpolation_pair,
    neg_elbo_per_image,
    train_vae,
    vae_datamodule,
)
from synthetic_data import synthetic_mnist

CFG = VaeConfig(
    kind="mlp",
    hidden=(64,),
    channels=(4, 8),
    latent=4,
    beta=1.0,
    lr=1e-2,
    lr_schedule="cosine",
    batch_size=50,
    max_epochs=3,
    patience=0,
    latent2_epochs=1,
    n_samples=6,
    recon_per_class=2,
    interpolation_steps=5,
    anchor=False,
)
UNIFORM_NATS = (
    28 * 28 * math.log(2.0)
)  # every pixel predicted 1/2: the bound an untrained net is near


@pytest.fixture(scope="module")
def splits() -> MnistSplits:
    return synthetic_mnist(n_train=400, n_other=100)


@pytest.fixture(scope="module")
def trained(
    splits: MnistSplits, tmp_path_factory: pytest.TempPathFactory
) -> tuple[VaeResult, Path]:
    training = TrainingConfig("cpu", 1, 1, True, False, 0, 1)  # the cpu_training fixture's values
    folder = tmp_path_factory.mktemp("vae")
    return train_vae(splits, CFG, training, seed=0, run=None, checkpoint_dir=folder), folder


def test_the_bound_falls_and_the_test_metrics_add_up(trained: tuple[VaeResult, Path]) -> None:
    result, _ = trained
    train = result.history["train/neg_elbo"]
    assert len(train) == CFG.max_epochs
    assert train[-1] < train[0]
    assert len(result.history["val/kl"]) == CFG.max_epochs
    test = result.test
    assert test["test/neg_elbo"] < 0.8 * UNIFORM_NATS
    assert test["test/neg_elbo"] == pytest.approx(test["test/recon"] + test["test/kl"], rel=1e-5)
    assert test["test/loss"] == pytest.approx(test["test/neg_elbo"], rel=1e-5)  # beta = 1
    assert 1 <= result.best_epoch <= CFG.max_epochs
    assert set(result.latent2_test) >= {"test/neg_elbo", "test/recon", "test/kl"}
    assert not result.module.training and result.module.device.type == "cpu"


def test_artifacts_have_the_promised_shapes(
    trained: tuple[VaeResult, Path], splits: MnistSplits
) -> None:
    art = trained[0].artifacts
    picked = fixed_digits(splits.test_y, CFG.recon_per_class)
    assert art.originals.shape == art.reconstructions.shape == (len(picked), 28, 28)
    np.testing.assert_array_equal(art.reconstruction_labels, splits.test_y[picked])
    np.testing.assert_allclose(art.originals, splits.test_x[picked] / 255.0, atol=1e-6)
    assert art.samples.shape == (CFG.n_samples, 28, 28)
    assert art.interpolation.shape == (CFG.interpolation_steps, 28, 28)
    first, second = interpolation_pair(splits.test_y)
    assert art.interpolation_labels == (splits.test_y[first], splits.test_y[second])
    assert art.interpolation_labels[0] != art.interpolation_labels[1]
    assert art.latent_map is not None and art.latent_map.shape == (len(splits.test_y), 2)
    np.testing.assert_array_equal(art.latent_labels, splits.test_y)
    for images in (art.reconstructions, art.samples, art.interpolation):
        assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1


def test_the_interpolation_starts_at_the_first_digits_reconstruction(
    trained: tuple[VaeResult, Path], splits: MnistSplits
) -> None:
    result, _ = trained
    x = torch.from_numpy(splits.test_x[:1].reshape(1, -1)).float() / 255.0
    expected = result.module.reconstruct(x).reshape(28, 28).numpy()
    np.testing.assert_allclose(result.artifacts.interpolation[0], expected, atol=1e-6)


def test_samples_are_seeded(trained: tuple[VaeResult, Path]) -> None:
    result, _ = trained
    again = result.module.sample(CFG.n_samples, torch.Generator().manual_seed(0))
    np.testing.assert_allclose(result.artifacts.samples, again.reshape(-1, 28, 28).numpy())


def test_the_best_checkpoint_rebuilds_the_trained_module(
    trained: tuple[VaeResult, Path], splits: MnistSplits
) -> None:
    result, folder = trained
    loaded = VAEModule.load_from_checkpoint(folder / "best.ckpt", map_location="cpu")
    assert loaded.hparams["optimizer"] == FUSED_ADAM
    assert loaded.hparams["optimizer_hyper"]["lr"] == CFG.lr
    assert isinstance(loaded.optimizer_factory(loaded.parameters()), torch.optim.Adam)
    x = torch.from_numpy(splits.test_x[:4].reshape(4, -1)).float() / 255.0
    torch.testing.assert_close(loaded.reconstruct(x), result.module.reconstruct(x))
    assert (folder / "latent2" / "best.ckpt").is_file()


def test_fixed_digits_and_interpolation_pair_by_hand() -> None:
    labels = np.array([3, 1, 3, 1, 1, 0, 3])
    np.testing.assert_array_equal(fixed_digits(labels, 2), [5, 1, 3, 0, 2])
    assert interpolation_pair(labels) == (0, 1)
    assert interpolation_pair(np.array([2, 2, 2, 5])) == (0, 3)
    with pytest.raises(ValueError, match="two classes"):
        interpolation_pair(np.array([4, 4]))


def test_the_anchor_can_train_on_all_official_training_images(splits: MnistSplits) -> None:
    data = vae_datamodule(splits, ANCHOR.batch_size, 0, 0, train_on_val=True)
    assert len(data.pairs["train"]) == len(splits.train_y) + len(splits.val_y)
    assert len(vae_datamodule(splits, 128, 0, 0).pairs["train"]) == len(splits.train_y)
    assert (ANCHOR.hidden, ANCHOR.latent, ANCHOR.lr, ANCHOR.batch_size) == ((400,), 20, 1e-3, 128)
    assert ANCHOR.max_epochs == 10 and ANCHOR.lr_schedule == "constant"


def test_the_conv_variant_trains_and_skips_the_latent_map_when_asked(
    splits: MnistSplits, tmp_path: Path
) -> None:
    training = TrainingConfig("cpu", 1, 1, True, False, 0, 1)
    cfg = CFG.replace(kind="conv", max_epochs=1, latent2_epochs=0, hidden=(16,))
    result = train_vae(splits, cfg, training, seed=0, run=None, checkpoint_dir=tmp_path)
    assert type(result.module.network).__name__ == "ConvVae"
    assert result.test["test/neg_elbo"] < UNIFORM_NATS
    assert result.artifacts.latent_map is None and result.artifacts.latent_labels is None
    assert result.latent2_test == {}
    assert result.artifacts.samples.shape == (CFG.n_samples, 28, 28)


def test_per_image_bound_averages_to_the_test_metric(
    trained: tuple[VaeResult, Path], splits: MnistSplits
) -> None:
    """The per-image values are the test metric's terms: their mean matches it up to the
    single-sample noise, and a seed fixes them."""
    result, _ = trained
    values = neg_elbo_per_image(result.module, splits.test_x, seed=3)
    assert values.shape == (len(splits.test_x),) and np.isfinite(values).all()
    np.testing.assert_array_equal(values, neg_elbo_per_image(result.module, splits.test_x, 3))
    assert values.mean() == pytest.approx(result.test["test/neg_elbo"], rel=0.05)


def test_paired_comparison_tells_a_trained_vae_from_an_untrained_one(
    trained: tuple[VaeResult, Path], splits: MnistSplits
) -> None:
    result, _ = trained
    same = paired_comparison(result.module, result.module, splits.test_x, seed=0)
    assert same["verdict"] == 0  # identical values: no difference to find
    torch.manual_seed(0)
    untrained = VAEModule(build_vae_net("mlp", 28, 4, (64,), (4, 8))).eval()
    ahead = paired_comparison(result.module, untrained, splits.test_x, seed=0)
    behind = paired_comparison(untrained, result.module, splits.test_x, seed=0)
    assert ahead["verdict"] == 1 and behind["verdict"] == -1 and ahead["p_value"] < 1e-6
