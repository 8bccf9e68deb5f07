"""GAN networks: shapes, output ranges, flat or image inputs alike, and rebuildable settings."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlpipe.models.components.gan_nets import (
    DcganDiscriminator,
    DcganGenerator,
    MlpDiscriminator,
    MlpGenerator,
    code_of,
    refresh_batch_norm,
    sample_images,
    update_average,
)

PAIRS = {
    "mlp": lambda: (MlpGenerator(8, (16, 32)), MlpDiscriminator((32, 16), dropout=0.1)),
    "dcgan": lambda: (DcganGenerator(8, 4), DcganDiscriminator(4, dropout=0.1)),
    "infogan": lambda: (MlpGenerator(8, (16,), codes=3), MlpDiscriminator((16,), codes=3)),
    "infogan-dcgan": lambda: (DcganGenerator(8, 4, codes=3), DcganDiscriminator(4, codes=3)),
}


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_generator_makes_images_in_the_unit_range(kind: str) -> None:
    torch.manual_seed(0)
    generator, _ = PAIRS[kind]()
    # Large noise pushes the output layer to saturate: still inside [0, 1].
    images = generator(torch.randn(5, 8) * 50)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.std() > 0  # not a constant image


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_discriminator_gives_one_logit_per_image_of_any_layout(kind: str) -> None:
    torch.manual_seed(0)
    _, discriminator = PAIRS[kind]()
    discriminator.eval()
    images = torch.rand(6, 1, 28, 28)
    logits = discriminator(images)
    assert logits.shape == (6,)
    # Flat rows (the data loaders' layout) and (N, H, W) give the very same logits.
    assert torch.equal(discriminator(images.reshape(6, 784)), logits)
    assert torch.equal(discriminator(images.reshape(6, 28, 28)), logits)


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_init_kwargs_rebuild_the_same_architecture(kind: str) -> None:
    for network in PAIRS[kind]():
        rebuilt = type(network)(**network.init_kwargs)
        assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in network.parameters()]


def test_other_square_sizes_work_and_dcgan_needs_a_multiple_of_four() -> None:
    assert MlpGenerator(4, (8,), image_size=10)(torch.randn(2, 4)).shape == (2, 1, 10, 10)
    assert DcganGenerator(4, 2, image_size=32)(torch.randn(2, 4)).shape == (2, 1, 32, 32)
    assert DcganDiscriminator(2, image_size=32)(torch.rand(2, 1024)).shape == (2,)
    with pytest.raises(ValueError, match="divide by 4"):
        DcganGenerator(4, 2, image_size=30)


def test_samples_depend_on_the_seed_only() -> None:
    torch.manual_seed(0)
    generator = MlpGenerator(8, (16,))
    generator.train()
    first = sample_images(generator, 7, torch.Generator().manual_seed(1), batch_size=3)
    again = sample_images(generator, 7, torch.Generator().manual_seed(1), batch_size=7)
    other = sample_images(generator, 7, torch.Generator().manual_seed(2))
    assert first.shape == (7, 28, 28)
    # Eval mode: batch mates and batch size do not change an image (up to float rounding).
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, other)
    assert generator.training  # the caller's mode is restored


def test_the_average_moves_a_share_of_the_way() -> None:
    average, current = nn.Linear(2, 1), nn.Linear(2, 1)
    with torch.no_grad():
        average.weight.fill_(1.0), average.bias.fill_(-2.0)
        current.weight.fill_(3.0), current.bias.fill_(2.0)
    update_average(average, current, decay=0.75)  # 0.75 * old + 0.25 * new
    assert average.weight.tolist() == [[1.5, 1.5]] and average.bias.tolist() == [-1.0]
    assert current.weight.tolist() == [[3.0, 3.0]]  # the trained network is untouched


def test_refreshed_batch_norm_statistics_are_those_of_the_noise() -> None:
    """BatchNorm's input is W z here, so its refreshed running mean is the mean of W z over
    the noise the same seed draws (two equal batches: the mean of the two batch means) and its
    running variance the mean of the two batches' unbiased variances."""
    torch.manual_seed(0)
    generator = MlpGenerator(4, (3,))
    generator.net[1].running_mean.fill_(9.0)
    refresh_batch_norm(generator, torch.Generator().manual_seed(1), n=1024)
    rng = torch.Generator().manual_seed(1)
    batches = [torch.randn(512, 4, generator=rng) @ generator.net[0].weight.T for _ in range(2)]
    mean = torch.stack([b.mean(0) for b in batches]).mean(0)
    var = torch.stack([b.var(0) for b in batches]).mean(0)
    torch.testing.assert_close(generator.net[1].running_mean, mean)
    torch.testing.assert_close(generator.net[1].running_var, var)
    assert not generator.training and generator.net[1].momentum == 0.1


def test_a_code_is_the_argmax_of_the_first_noise_values_and_only_it_counts() -> None:
    torch.manual_seed(0)
    generator = MlpGenerator(6, (8,), codes=3)
    generator.eval()
    z = torch.tensor([[0.1, 2.0, -1.0, 0.3, 0.4, 0.5], [5.0, 0.0, 1.0, 0.3, 0.4, 0.5]])
    assert code_of(z, 3).tolist() == [1, 0]
    # Another noise with the same category and the same free values: the same image.
    same = torch.tensor([[-3.0, 0.5, 0.2, 0.3, 0.4, 0.5]])
    assert torch.equal(generator(same), generator(z[:1]))
    assert not torch.equal(generator(z[1:]), generator(z[:1]))
    with pytest.raises(ValueError, match="codes"):
        MlpGenerator(4, (8,), codes=4)  # no free noise left


@pytest.mark.parametrize(
    "discriminator", [MlpDiscriminator((16,), codes=5), DcganDiscriminator(2, codes=5)]
)
def test_the_code_head_shares_the_body(discriminator: nn.Module) -> None:
    discriminator.eval()
    images = torch.rand(4, 784)
    logits, code_logits = discriminator.forward_codes(images)
    assert logits.shape == (4,) and code_logits.shape == (4, 5)
    assert torch.equal(logits, discriminator(images))
    with pytest.raises(ValueError, match="no code head"):
        MlpDiscriminator((4,)).forward_codes(images)
