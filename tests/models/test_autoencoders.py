"""Autoencoder recommenders: masking, penalties, noise, the builder and a short real run."""

from __future__ import annotations

import math

import pytest
import torch

from dlpipe.data.tensor_data import tensor_loader
from dlpipe.models.autoencoder_module import AutoencoderModule, masked_mse, rating_rows
from dlpipe.models.components.autoencoders import (
    AUTOENCODER_KINDS,
    MirroredAutoencoder,
    build_autoencoder,
    kl_sparsity,
)
from dlpipe.optim import optimizer_factory
from dlpipe.training import EpochHistory, build_trainer


def test_masked_loss_ignores_unobserved_entries() -> None:
    gen = torch.Generator().manual_seed(0)
    prediction = torch.rand(6, 9, generator=gen) * 5
    target = torch.randint(1, 6, (6, 9), generator=gen).float()
    mask = (torch.rand(6, 9, generator=gen) < 0.4).float()
    base = masked_mse(prediction, target, mask)
    hidden = mask == 0
    noise = torch.randn(6, 9, generator=gen) * 100
    changed = masked_mse(
        torch.where(hidden, noise, prediction), torch.where(hidden, -noise, target), mask
    )
    assert torch.equal(changed, base)
    # Not vacuous: changing one observed entry does change the loss.
    observed = mask.nonzero()[0].tolist()
    prediction[observed[0], observed[1]] += 1.0
    assert masked_mse(prediction, target, mask) != base


def test_masked_loss_matches_a_hand_computed_value() -> None:
    prediction = torch.tensor([[3.0, 1.0, 4.0], [2.0, 5.0, 0.0]])
    target = torch.tensor([[4.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    # Observed errors -1, 2, 2: (1 + 4 + 4) / 3 = 3.
    assert masked_mse(prediction, target, mask).item() == pytest.approx(3.0)
    assert masked_mse(prediction, target, torch.zeros_like(mask)).item() == 0.0


class _Fixed(MirroredAutoencoder):
    """Returns a given reconstruction whatever the input, to test the module's loss alone."""

    def __init__(self, output: torch.Tensor) -> None:
        super().__init__(output.shape[1], (2,))
        self.output = output

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.output


@pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")
def test_module_scores_only_the_targets_observed_entries() -> None:
    inputs = torch.tensor([[5.0, 0.0, 3.0, 0.0]])
    target = torch.tensor([[0.0, 4.0, 0.0, 2.0]])
    mask = (target > 0).float()
    batch = (inputs, torch.stack((target, mask), dim=1))
    factory = optimizer_factory("sgd", {"lr": 0.1})
    good = AutoencoderModule(_Fixed(torch.tensor([[-9.0, 4.5, 99.0, 2.5]])), factory)
    # Observed errors 0.5 and 0.5; the input row and unobserved predictions play no part.
    assert good._step(batch, 0, "val").item() == pytest.approx(0.25)
    wild = AutoencoderModule(_Fixed(torch.tensor([[1e6, 4.5, -1e6, 2.5]])), factory)
    assert wild._step(batch, 0, "val").item() == pytest.approx(0.25)
    decayed = AutoencoderModule(_Fixed(torch.tensor([[0.0, 4.5, 0.0, 2.5]])), factory, l2=0.1)
    assert decayed._step(batch, 0, "val").item() > 0.25
    sparse = AutoencoderModule(_Fixed(torch.tensor([[0.0, 4.5, 0.0, 2.5]])), factory, 0.1)
    assert sparse._step(batch, 0, "val").item() > 0.25
    with pytest.raises(ValueError, match="rating_rows"):
        good._step((inputs, target), 0, "val")
    with pytest.raises(ValueError, match="share one"):
        rating_rows(inputs, target[:, :3], mask[:, :3])


@pytest.mark.parametrize("kind", AUTOENCODER_KINDS)
def test_every_network_reconstructs_a_full_row(kind: str) -> None:
    net = build_autoencoder(kind, 37)
    assert net(torch.rand(4, 37) * 5).shape == (4, 37)


def test_presets_have_the_courses_shapes() -> None:
    stacked = build_autoencoder("stacked", 30)
    widths = [m.out_features for m in stacked.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [20, 10, 20, 30]
    assert build_autoencoder("sparse", 30).encode(torch.zeros(2, 30)).shape == (2, 60)
    autorec = build_autoencoder("autorec", 30)
    assert autorec.encode(torch.zeros(2, 30)).shape == (2, 500)
    assert isinstance(autorec.decoder[-1], torch.nn.Linear)  # identity output


def test_max_hidden_caps_the_sparse_width_and_only_above_the_cap() -> None:
    def width(n: int, **hyper: int) -> int:
        return build_autoencoder("sparse", n, **hyper).encode(torch.zeros(1, n)).shape[1]

    assert width(30, max_hidden=50) == 50  # 2n = 60, capped
    assert width(20, max_hidden=50) == 40  # 2n = 40, under the cap
    assert width(30) == 60  # no cap: the preset's 2n
    assert build_autoencoder("sparse", 30, max_hidden=50).init_kwargs["hidden"] == [50]


def test_sparsity_penalty_is_zero_only_at_the_target() -> None:
    at_target = torch.full((8, 5), 0.05)
    assert kl_sparsity(at_target, 0.05).item() == pytest.approx(0.0, abs=1e-6)
    assert kl_sparsity(torch.full((8, 5), 0.3), 0.05).item() > 0
    assert kl_sparsity(torch.full((8, 5), 0.01), 0.05).item() > 0
    assert math.isfinite(kl_sparsity(torch.ones(8, 5), 0.05).item())  # saturated, not NaN


def test_corruption_applies_in_training_mode_only() -> None:
    torch.manual_seed(0)
    net = build_autoencoder("denoising", 200, corruption=0.5)
    x = torch.rand(16, 200) + 1.0
    net.eval()
    assert torch.equal(net.encode(x), net.encode(x))
    assert torch.equal(net(x), build_clean(net)(x))
    net.train()
    assert not torch.equal(net.encode(x), net.encode(x))


def build_clean(noisy: MirroredAutoencoder) -> MirroredAutoencoder:
    """The same weights without corruption."""
    clean = build_autoencoder("stacked", 200)
    clean.load_state_dict(noisy.state_dict())
    return clean.eval()


def test_builder_names_the_bad_kind_or_key() -> None:
    with pytest.raises(ValueError, match=r"unknown autoencoder 'vae'; valid kinds: stacked"):
        build_autoencoder("vae", 10)
    with pytest.raises(ValueError, match=r"'corruption' for autoencoder 'stacked'; accepted"):
        build_autoencoder("stacked", 10, corruption=0.1)
    with pytest.raises(ValueError, match="activation"):
        build_autoencoder("deep", 10, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        build_autoencoder("deep", 10, dropout=1.0)


def _low_rank_ratings(
    users: int, items: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rank-2 ratings in 1..5 with half observed, split 80/20: (ratings, train mask, val mask)."""
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(users, 2, generator=gen) @ torch.randn(2, items, generator=gen)
    ratings = (3.0 + scores).round().clamp(1, 5)
    observed = torch.rand(users, items, generator=gen) < 0.5
    held_out = torch.rand(users, items, generator=gen) < 0.2
    return ratings, (observed & ~held_out).float(), (observed & held_out).float()


def test_short_training_run_lowers_val_rmse(cpu_training) -> None:
    ratings, train_mask, val_mask = _low_rank_ratings(200, 40, seed=0)
    train_values = ratings * train_mask
    train = rating_rows(train_values, train_values, train_mask)
    val = rating_rows(train_values, ratings * val_mask, val_mask)
    network = build_autoencoder("autorec", 40, hidden=(32,))
    module = AutoencoderModule(network, optimizer_factory("adam", {"lr": 0.02}), l2=1e-4)
    history = EpochHistory(keys=("train/rmse", "val/rmse"))
    trainer = build_trainer(cpu_training, seed=0, max_epochs=20, callbacks=[history])
    trainer.fit(module, tensor_loader(train, 16, True, 0), tensor_loader(val, 200, False, 0))
    rmse = history.history["val/rmse"]
    assert len(rmse) == 20 and all(math.isfinite(v) for v in rmse)
    spread = ratings[val_mask.bool()].std().item()  # RMSE of predicting the mean
    assert rmse[-1] < 0.8 * rmse[0] and rmse[-1] < 0.8 * spread
