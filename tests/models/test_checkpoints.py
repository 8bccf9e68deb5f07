"""Every family's LightningModule rebuilds itself from a checkpoint alone: one epoch on tiny data
through the one fit routine, then `Module.load_from_checkpoint(path)` predicts the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from dlpipe.config import FaceAugment, TrainingConfig
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.models.autoencoder_module import AutoencoderModule, rating_rows
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.models.components.autoencoders import build_autoencoder
from dlpipe.models.components.face_cnn import FaceCNN
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.face_module import FaceClassifierModule
from dlpipe.models.regression_module import RegressionModule
from dlpipe.models.split_module import SplitModule
from dlpipe.optim import optimizer_factory
from dlpipe.training.fit import fit

ADAM = ("adam", {"lr": 0.01})


def classifier_case() -> tuple[SplitModule, TensorPairs]:
    x, y = torch.rand(24, 12), torch.randint(0, 3, (24,))
    module = ClassifierModule(MLP(12, (6,), 3, dropout=0.2), optimizer_factory(*ADAM))
    return module, TensorPairs(x, y)


def regression_case() -> tuple[SplitModule, TensorPairs]:
    x, y = torch.rand(24, 5, 2), torch.rand(24)
    network = LSTMRegressor(2, 4, 2, 0.1, (3,))
    return RegressionModule(network, optimizer_factory("rmsprop", {"lr": 0.01})), TensorPairs(x, y)


def autoencoder_case() -> tuple[SplitModule, TensorPairs]:
    ratings = torch.randint(0, 6, (16, 10)).float()
    mask = (ratings > 0).float()
    network = build_autoencoder("denoising", 10, hidden=(6, 3))
    module = AutoencoderModule(
        network,
        optimizer_factory(*ADAM),
        sparsity_weight=0.1,
        sparsity_target=0.1,
        l2=0.001,
        rating_range=(1, 5),
    )
    return module, rating_rows(ratings, ratings, mask)


def face_case() -> tuple[SplitModule, TensorPairs]:
    x, y = torch.rand(12, 1, 16, 16), torch.randint(0, 3, (12,))
    network = FaceCNN(1, 16, 3, (4, 4), 3, (8,), 0.1, True)
    augment = FaceAugment(flip=True, rotation_deg=5.0, shift=0.1, brightness=0.1)
    weights = torch.tensor([0.5, 1.0, 2.0])
    module = FaceClassifierModule(network, optimizer_factory(*ADAM), weights, augment)
    return module, TensorPairs(x, y)


CASES: dict[str, Callable[[], tuple[SplitModule, TensorPairs]]] = {
    "classifier": classifier_case,
    "regression": regression_case,
    "autoencoder": autoencoder_case,
    "face": face_case,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_checkpoint_alone_rebuilds_the_module(
    case: str, tmp_path: Path, cpu_training: TrainingConfig
) -> None:
    torch.manual_seed(0)
    module, pairs = CASES[case]()
    data = PairsDataModule(pairs, pairs, batch_size=8, seed=0)
    fit(module, data, cpu_training, seed=0, max_epochs=1, checkpoint_dir=tmp_path, history_keys=())
    path = tmp_path / "best.ckpt"
    loaded = type(module).load_from_checkpoint(path, map_location="cpu")
    assert type(loaded.network) is type(module.network)
    assert loaded.network is not module.network
    module.eval()
    loaded.eval()
    with torch.no_grad():
        assert torch.equal(loaded(pairs.x), module.cpu()(pairs.x))
    # The rebuilt module carries the same settings and can train again with its optimizer.
    assert dict(loaded.hparams) == dict(module.hparams)
    assert type(loaded.configure_optimizers()) is type(module.configure_optimizers())
    if isinstance(module, FaceClassifierModule):
        assert loaded.augment == module.augment
        assert torch.equal(loaded.class_weights, module.class_weights)
    if isinstance(module, AutoencoderModule):
        assert (loaded.l2, loaded.rating_range) == (module.l2, module.rating_range)


def test_the_record_draws_no_random_numbers() -> None:
    """Same init order and RNG use: a module built around a network leaves the stream as is."""
    torch.manual_seed(3)
    MLP(12, (6,), 3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    ClassifierModule(MLP(12, (6,), 3), optimizer_factory(*ADAM))
    assert torch.equal(torch.rand(4), expected)


def test_hparams_name_the_network_and_the_optimizer() -> None:
    module, _ = classifier_case()
    assert dict(module.hparams) == {
        "network_class": "dlpipe.models.components.mlp.MLP",
        "network_kwargs": {
            "in_features": 12,
            "hidden_sizes": [6],
            "out_features": 3,
            "dropout": 0.2,
        },
        "optimizer": "adam",
        "optimizer_hyper": {"lr": 0.01},
    }
    rebuilt = ClassifierModule(**module.hparams)
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in module.parameters()]


def test_what_cannot_be_recorded_fails_only_when_rebuilt(tmp_path: Path) -> None:
    plain = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    module = ClassifierModule(plain, lambda params: torch.optim.SGD(params, lr=0.1))
    assert module.hparams["network_kwargs"] is None and module.hparams["optimizer"] is None
    with pytest.raises(ValueError, match="pass `network=` to load_from_checkpoint"):
        ClassifierModule(**module.hparams)
    rebuilt = ClassifierModule(**{**module.hparams, "network": nn.Sequential(nn.Linear(4, 2))})
    with pytest.raises(ValueError, match="has no optimizer"):
        rebuilt.configure_optimizers()
    with pytest.raises(ValueError, match=r"refusing to build 'os\.system'"):
        ClassifierModule(network_class="os.system", network_kwargs={})
