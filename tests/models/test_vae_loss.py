"""The ELBO's terms on cases small enough to work out by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from dlpipe.models.vae_loss import kl_nats, negative_elbo, reconstruction_nats


def _softplus(v: float) -> float:
    return math.log1p(math.exp(v))


def test_reconstruction_is_the_bernoulli_nll_summed_over_pixels() -> None:
    # Two images of two pixels. -log p(x | logit l) = x * softplus(-l) + (1 - x) * softplus(l).
    logits = torch.tensor([[0.0, 2.0], [-1.0, 3.0]])
    x = torch.tensor([[1.0, 0.0], [0.25, 1.0]])
    by_hand = [
        math.log(2.0) + _softplus(2.0),  # sigmoid(0) = 1/2 for a 1; 1 - sigmoid(2) for a 0
        0.25 * _softplus(1.0) + 0.75 * _softplus(-1.0) + _softplus(-3.0),  # grey target 0.25
    ]
    got = reconstruction_nats(logits, x)
    assert got.shape == (2,)
    assert got.tolist() == pytest.approx(by_hand, rel=1e-6)


def test_reconstruction_sums_every_axis_after_the_first() -> None:
    logits = torch.zeros(3, 1, 4, 4)
    x = torch.ones(3, 1, 4, 4)
    assert reconstruction_nats(logits, x).tolist() == pytest.approx([16 * math.log(2.0)] * 3)


def test_reconstruction_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="differ"):
        reconstruction_nats(torch.zeros(2, 4), torch.zeros(2, 5))


def test_kl_matches_its_closed_form_by_hand() -> None:
    # One image, two latent dims: mu = (1, 0), sigma^2 = (1, e).
    # 0.5 * [(1 + 1 - 1 - 0) + (0 + e - 1 - 1)] = 0.5 * (e - 1)
    mean = torch.tensor([[1.0, 0.0]])
    logvar = torch.tensor([[0.0, 1.0]])
    assert kl_nats(mean, logvar).tolist() == pytest.approx([0.5 * (math.e - 1.0)], rel=1e-6)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere() -> None:
    zeros = torch.zeros(3, 5)
    assert kl_nats(zeros, zeros).tolist() == [0.0, 0.0, 0.0]
    assert (kl_nats(torch.full((3, 5), 0.1), zeros) > 0).all()


def test_kl_agrees_with_torch_distributions() -> None:
    generator = torch.Generator().manual_seed(0)
    mean = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    logvar = torch.randn(6, 4, generator=generator, dtype=torch.float64)
    posterior = Normal(mean, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = kl_divergence(posterior, prior).sum(dim=1)
    torch.testing.assert_close(kl_nats(mean, logvar), expected)


def test_beta_weighs_only_the_kl_term() -> None:
    recon = torch.tensor([100.0, 80.0])
    kl = torch.tensor([20.0, 10.0])
    assert negative_elbo(recon, kl).tolist() == [120.0, 90.0]
    assert negative_elbo(recon, kl, beta=0.5).tolist() == [110.0, 85.0]
    assert negative_elbo(recon, kl, beta=0.0).tolist() == [100.0, 80.0]
    with pytest.raises(ValueError, match="beta"):
        negative_elbo(recon, kl, beta=-1.0)
