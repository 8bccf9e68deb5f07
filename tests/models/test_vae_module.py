"""The VAE networks and module: shapes, seeded sampling, gradients through rsample, beta."""

from __future__ import annotations

import pytest
import torch

from dlpipe.models.components.vae_nets import ConvVae, MlpVae, build_vae_net
from dlpipe.models.vae_module import VAEModule
from dlpipe.optim import optimizer_factory
from dlpipe.optim.factory import fused_adam

# training_step called without a Trainer: the epoch means still update, only logging is off.
NO_TRAINER = pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")
SIZE = 8  # 8x8 images keep the tests fast; both variants take any size divisible by 4


def _module(kind: str = "mlp", beta: float = 1.0, latent: int = 3) -> VAEModule:
    torch.manual_seed(0)
    network = build_vae_net(kind, SIZE, latent, hidden=(16,), channels=(4, 8))
    return VAEModule(network, optimizer_factory("adam", {"lr": 1e-3}), beta=beta)


def _images(n: int = 5) -> torch.Tensor:
    return torch.rand(n, SIZE * SIZE, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_networks_encode_to_latent_pairs_and_decode_to_pixel_logits(kind: str) -> None:
    network = build_vae_net(kind, SIZE, 3, hidden=(16,), channels=(4, 8))
    mean, logvar = network.encode(_images())
    assert mean.shape == logvar.shape == (5, 3)
    assert network.decode(mean).shape == (5, SIZE * SIZE)
    assert network(_images()).shape == (5, SIZE * SIZE)


def test_the_mlp_is_the_pytorch_example_shape() -> None:
    network = MlpVae(28, (400,), 20)
    shapes = [tuple(p.shape) for p in network.parameters()]
    # fc1 784->400, fc21+fc22 400->2x20, fc3 20->400, fc4 400->784
    assert shapes == [(400, 784), (400,), (40, 400), (40,), (400, 20), (400,), (784, 400), (784,)]


def test_bad_network_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvVae(image_size=10)
    with pytest.raises(ValueError, match="two channel counts"):
        ConvVae(channels=(4, 8, 16))
    with pytest.raises(ValueError, match="unknown VAE kind"):
        build_vae_net("gru", SIZE, 2)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_module_helpers_give_images_and_means(kind: str) -> None:
    module = _module(kind)
    recon = module.reconstruct(_images())
    assert recon.shape == (5, SIZE * SIZE)
    assert recon.min() >= 0 and recon.max() <= 1
    assert module.encode(_images()).shape == (5, 3)
    assert module.decode(torch.zeros(2, 3)).shape == (2, SIZE * SIZE)


def test_sampling_is_reproducible_with_a_seeded_generator() -> None:
    module = _module()
    first = module.sample(4, torch.Generator().manual_seed(7))
    again = module.sample(4, torch.Generator().manual_seed(7))
    other = module.sample(4, torch.Generator().manual_seed(8))
    assert first.shape == (4, SIZE * SIZE)
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, other)


@NO_TRAINER
def test_gradients_flow_through_the_reparameterised_sample() -> None:
    module = _module()
    loss = module.training_step((_images(), torch.zeros(5, dtype=torch.long)), 0)
    loss.backward()
    # The encoder's mean/logvar head reaches the loss only through z = mean + std * eps.
    head = module.network.to_stats.weight.grad
    assert head is not None
    latent = module.network.latent
    assert head[:latent].abs().sum() > 0  # mean rows
    assert head[latent:].abs().sum() > 0  # logvar rows: through std and the KL


@NO_TRAINER
def test_beta_changes_the_objective_but_not_the_reported_bound() -> None:
    batch = (_images(), torch.zeros(5, dtype=torch.long))
    losses = {}
    for beta in (1.0, 0.0):
        module = _module(beta=beta)
        torch.manual_seed(3)  # the same noise for both
        losses[beta] = float(module.training_step(batch, 0).detach())
        means = module.epoch_means.means
        bound = float(means["train_neg_elbo"].compute())
        recon, kl = (float(means[f"train_{k}"].compute()) for k in ("recon", "kl"))
        assert bound == pytest.approx(recon + kl, rel=1e-6)
        assert losses[beta] == pytest.approx(recon + beta * kl, rel=1e-6)
    assert losses[0.0] < losses[1.0]


def test_fused_adam_makes_the_course_adam_update() -> None:
    torch.manual_seed(0)
    course_net = build_vae_net("mlp", SIZE, 3, hidden=(16,))
    fused_net = build_vae_net("mlp", SIZE, 3, hidden=(16,))
    fused_net.load_state_dict(course_net.state_dict())
    start = [p.detach().clone() for p in course_net.parameters()]
    course = optimizer_factory("adam", {"lr": 1e-2})(course_net.parameters())
    fused = fused_adam(1e-2)(fused_net.parameters())
    for _ in range(3):
        for net, optimizer in ((course_net, course), (fused_net, fused)):
            optimizer.zero_grad()
            net(_images()).square().mean().backward()
            optimizer.step()
    for a, b, before in zip(course_net.parameters(), fused_net.parameters(), start, strict=True):
        assert not torch.equal(a, before)  # the steps moved every tensor
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
