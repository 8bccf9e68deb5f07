"""GANModule: both players really step under manual optimisation, the per-step numbers are the
ones a hand computation gives, fixed noise makes comparable grids, and a checkpoint rebuilds it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.data.tensor_data import TensorPairs, tensor_loader
from dlpipe.models.components.gan_nets import MlpDiscriminator, MlpGenerator
from dlpipe.models.gan_module import HISTORY_KEYS, INFO_KEY, GANModule
from dlpipe.optim import optimizer_factory
from dlpipe.optim.factory import FUSED_ADAM, fused_adam
from dlpipe.training import build_trainer


def small_gan(lr_d: float = 0.01, grid_seed: int = 0, codes: int = 0) -> GANModule:
    torch.manual_seed(0)
    return GANModule(
        MlpGenerator(8, (16,), codes=codes),
        MlpDiscriminator((16,), codes=codes),
        optimizer_factory("adam", {"lr": 0.01, "beta1": 0.5}),
        optimizer_factory("adam", {"lr": lr_d, "beta1": 0.5}),
        real_label=0.9,
        grid_size=6,
        grid_seed=grid_seed,
    )


def train(module: GANModule, training: TrainingConfig, batches: int, tmp_path: Path) -> None:
    images = TensorPairs(torch.rand(32, 784), torch.zeros(32, dtype=torch.long))
    trainer = build_trainer(
        training, seed=0, max_epochs=1, checkpoint_dir=None, limit_train_batches=batches
    )
    trainer.fit(module, train_dataloaders=tensor_loader(images, 8, True, 0))
    trainer.save_checkpoint(tmp_path / "gan.ckpt")


def snapshot(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in network.named_parameters()}


def test_one_batch_steps_both_players(cpu_training: TrainingConfig, tmp_path: Path) -> None:
    module = small_gan()
    assert module.automatic_optimization is False
    before_g, before_d = snapshot(module.generator), snapshot(module.discriminator)
    train(module, cpu_training, batches=1, tmp_path=tmp_path)
    for before, network in ((before_g, module.generator), (before_d, module.discriminator)):
        unchanged = [n for n, p in network.named_parameters() if torch.equal(p, before[n])]
        assert unchanged == [], f"{type(network).__name__} did not step: {unchanged}"
    assert {key: len(values) for key, values in module.history.items()} == dict.fromkeys(
        HISTORY_KEYS, 1
    )
    assert len(module.frames) == 1 and module.frames[0].shape == (6, 28, 28)


@pytest.mark.parametrize("codes", [0, 4])
def test_per_step_numbers_match_a_hand_computation(
    codes: int, cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    """A discriminator with zero weights answers its last bias b for every image; with lr_d = 0
    it keeps doing so, so D(x) = D(G(z)) = sigmoid(b), the discriminator loss is
    softplus(b) - 0.9 b + softplus(b) (real target 0.9, fake target 0) and the generator's is
    softplus(b) - b, at every step. Its code head's logits are all 0: a uniform guess, whose
    cross-entropy is ln(codes) whatever the category."""
    module = small_gan(lr_d=0.0, codes=codes)
    with torch.no_grad():
        for p in module.discriminator.parameters():
            p.zero_()
        module.discriminator.head.bias.fill_(1.0)
    train(module, cpu_training, batches=3, tmp_path=tmp_path)
    softplus = math.log1p(math.e)
    expected = {
        "train/d_loss": 2 * softplus - 0.9,
        "train/g_loss": softplus - 1.0,
        "train/d_real": 1 / (1 + math.exp(-1.0)),
        "train/d_fake": 1 / (1 + math.exp(-1.0)),
    }
    if codes:
        expected[INFO_KEY] = math.log(codes)
    assert set(module.history) == set(expected)
    for key, value in expected.items():
        assert module.history[key] == pytest.approx([value] * 3, rel=1e-6), key


def test_fixed_noise_gives_the_same_grid_for_the_same_weights() -> None:
    module, twin, other_seed = small_gan(), small_gan(), small_gan(grid_seed=1)
    module.generator.train()
    grid = module.fixed_samples()
    assert grid.shape == (6, 28, 28)
    assert torch.equal(module.fixed_samples(), grid)
    assert module.generator.training  # the training mode is restored
    assert torch.equal(twin.fixed_samples(), grid)
    assert not torch.allclose(other_seed.fixed_samples(), grid)
    # Different weights, same noise: a different grid (the grid follows the weights).
    with torch.no_grad():
        twin.generator.net[0].weight.add_(0.5)
    assert not torch.allclose(twin.fixed_samples(), grid)


def test_a_checkpoint_alone_rebuilds_the_module(
    cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    module = small_gan()
    train(module, cpu_training, batches=2, tmp_path=tmp_path)
    loaded = GANModule.load_from_checkpoint(tmp_path / "gan.ckpt", map_location="cpu")
    assert dict(loaded.hparams) == dict(module.hparams)
    assert loaded.hparams["generator_class"].endswith("gan_nets.MlpGenerator")
    assert loaded.hparams["d_optimizer"] == "adam"
    assert torch.equal(loaded.fixed_samples(), module.fixed_samples())
    rng = (torch.Generator().manual_seed(5), torch.Generator().manual_seed(5))
    assert torch.equal(loaded.sample(4, rng[0]), module.sample(4, rng[1]))
    g_opt, d_opt = loaded.configure_optimizers()
    assert (g_opt.param_groups[0]["lr"], d_opt.param_groups[0]["lr"]) == (0.01, 0.01)
    d_params = {id(p) for p in d_opt.param_groups[0]["params"]}
    assert d_params == {id(p) for p in loaded.discriminator.parameters()}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="same `codes`"):
        GANModule(MlpGenerator(4, (4,), codes=2), MlpDiscriminator((4,)))
    with pytest.raises(ValueError, match="real_label"):
        GANModule(MlpGenerator(4, (4,)), MlpDiscriminator((4,)), real_label=0.5)
    with pytest.raises(TypeError, match="unexpected"):
        GANModule(MlpGenerator(4, (4,)), MlpDiscriminator((4,)), generator_klass="x")


def test_the_averaged_generator_follows_and_makes_the_samples(
    cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    module = GANModule(
        MlpGenerator(8, (16,)),
        MlpDiscriminator((16,)),
        optimizer_factory("adam", {"lr": 0.01}),
        optimizer_factory("adam", {"lr": 0.01}),
        grid_size=6,
        ema_decay=0.5,
    )
    assert module.generator_average is not None and module.sampler is module.generator_average
    start = snapshot(module.generator)
    train(module, cpu_training, batches=3, tmp_path=tmp_path)
    trained, average = snapshot(module.generator), snapshot(module.generator_average)
    for name in start:  # strictly between the start and the end of training, for this decay
        assert not torch.equal(average[name], trained[name])
        assert not torch.equal(average[name], start[name])
    assert not any(p.requires_grad for p in module.generator_average.parameters())
    # Grids and samples come from the average.
    module.generator_average.eval()
    with torch.no_grad():
        expected = module.generator_average(module.fixed_noise).squeeze(1)
    assert torch.equal(module.fixed_samples(), expected)
    assert torch.equal(module.frames[-1], expected)


def test_fused_adam_is_recorded_and_rebuilt() -> None:
    module = GANModule(
        MlpGenerator(4, (4,)),
        MlpDiscriminator((4,)),
        fused_adam(0.001, 0.5, 0.99),
        fused_adam(0.003, 0.5, 0.99),
    )
    assert module.hparams["d_optimizer"] == FUSED_ADAM
    assert module.hparams["d_optimizer_hyper"] == {"lr": 0.003, "beta1": 0.5, "beta2": 0.99}
    rebuilt = GANModule(**module.hparams)
    g_opt, d_opt = rebuilt.configure_optimizers()
    assert isinstance(d_opt, torch.optim.Adam) and d_opt.defaults["fused"] is True
    assert (d_opt.defaults["lr"], d_opt.defaults["betas"]) == (0.003, (0.5, 0.99))
    assert g_opt.defaults["lr"] == 0.001
