"""VAE encoders and decoders as plain nn.Modules: an MLP (the PyTorch example's 784-400-20) and a
convolutional variant.

Both take flat images (N, size * size) in [0, 1], as the data modules serve them, and share one
interface, so the training module does not care which it has: `encode(x)` gives the posterior's
(mean, logvar), each (N, latent); `decode(z)` gives Bernoulli logits (N, size * size). Sampling
(the reparameterisation) belongs to the training module, not here.
`init_kwargs`: the constructor's arguments as plain values (a checkpoint rebuilds from them).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import torch
from torch import nn

VAE_KINDS = ("mlp", "conv")


def _widths(hidden: Sequence[int]) -> list[int]:
    widths = [int(w) for w in hidden]
    if not widths or min(widths) < 1:
        raise ValueError(f"hidden widths must be positive and at least one, got {hidden}")
    return widths


def _relu_stack(widths: Sequence[int]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for width_in, width_out in pairwise(widths):
        layers += [nn.Linear(width_in, width_out), nn.ReLU()]
    return layers


class VaeNet(nn.Module):
    """What both variants share: the latent size, the image size and `forward`."""

    def __init__(self, image_size: int, latent: int) -> None:
        super().__init__()
        if image_size < 1 or latent < 1:
            raise ValueError(f"image_size and latent must be >= 1, got {image_size}, {latent}")
        self.image_size = int(image_size)
        self.n_pixels = self.image_size**2
        self.latent = int(latent)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the reconstruction from the posterior mean (deterministic)."""
        return self.decode(self.encode(x)[0])


class MlpVae(VaeNet):
    """pixels -> hidden... -> (mean, logvar); latent -> hidden reversed... -> pixel logits.

    `hidden=(400,)`, `latent=20` on 28x28 images is the PyTorch example's network (its fc21/fc22
    are the two halves of `to_stats`).
    """

    def __init__(self, image_size: int = 28, hidden: Sequence[int] = (400,), latent: int = 20):
        super().__init__(image_size, latent)
        widths = _widths(hidden)
        self.init_kwargs: dict[str, Any] = {
            "image_size": self.image_size,
            "hidden": widths,
            "latent": self.latent,
        }
        self.encoder = nn.Sequential(*_relu_stack([self.n_pixels, *widths]))
        self.to_stats = nn.Linear(widths[-1], 2 * self.latent)
        back = widths[::-1]
        self.decoder = nn.Sequential(
            *_relu_stack([self.latent, *back]), nn.Linear(back[-1], self.n_pixels)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


class ConvVae(VaeNet):
    """Two stride-2 convolutions (size -> size/4), a dense layer, (mean, logvar); the decoder
    mirrors it with transposed convolutions. `image_size` must be divisible by 4."""

    def __init__(
        self,
        image_size: int = 28,
        channels: Sequence[int] = (32, 64),
        hidden: int = 256,
        latent: int = 20,
    ) -> None:
        super().__init__(image_size, latent)
        if self.image_size % 4:
            raise ValueError(f"the conv VAE needs an image size divisible by 4, got {image_size}")
        conv_widths = _widths(channels)
        if len(conv_widths) != 2:
            raise ValueError(f"the conv VAE takes exactly two channel counts, got {channels}")
        c1, c2 = conv_widths
        if hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {hidden}")
        self.init_kwargs = {
            "image_size": self.image_size,
            "channels": [c1, c2],
            "hidden": int(hidden),
            "latent": self.latent,
        }
        side = self.image_size // 4
        flat = c2 * side * side
        self.encoder = nn.Sequential(
            nn.Unflatten(1, (1, self.image_size, self.image_size)),
            nn.Conv2d(1, c1, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.ReLU(),
        )
        self.to_stats = nn.Linear(hidden, 2 * self.latent)
        self.decoder = nn.Sequential(
            nn.Linear(self.latent, hidden),
            nn.ReLU(),
            nn.Linear(hidden, flat),
            nn.ReLU(),
            nn.Unflatten(1, (c2, side, side)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
            nn.Flatten(),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def build_vae_net(
    kind: str,
    image_size: int,
    latent: int,
    hidden: Sequence[int] = (400,),
    channels: Sequence[int] = (32, 64),
) -> VaeNet:
    """The network a config names: `hidden` are the MLP's widths; the conv variant takes its
    first entry as the dense layer's width, and `channels` for its two convolutions."""
    if kind == "mlp":
        return MlpVae(image_size, hidden, latent)
    if kind == "conv":
        return ConvVae(image_size, channels, _widths(hidden)[0], latent)
    raise ValueError(f"unknown VAE kind {kind!r}; valid kinds: {', '.join(VAE_KINDS)}")
