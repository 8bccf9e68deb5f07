"""The VAE's evidence lower bound, term by term, in nats per image.

Pixels are Bernoulli with the decoder's logits; targets are the grey levels in [0, 1] (not
binarised), as in the PyTorch example VAE, so these nats compare with its ~105.5 after 10 epochs
and not with binarised-MNIST results. Every function returns one value per image (shape (N,)):
callers average over the batch, so the numbers do not depend on the batch size.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def reconstruction_nats(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) per image: binary cross-entropy with logits, summed over the pixels.

    `logits` and `x` are (N, pixels...); everything after the first axis is summed.
    """
    if logits.shape != x.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and images {tuple(x.shape)} differ")
    per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel.flatten(start_dim=1).sum(dim=1)


def kl_nats(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per image, closed form, summed over latent dims:
    0.5 * sum(mean^2 + sigma^2 - 1 - log sigma^2)."""
    if mean.shape != logvar.shape:
        raise ValueError(f"mean {tuple(mean.shape)} and logvar {tuple(logvar.shape)} differ")
    return 0.5 * (mean.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)


def negative_elbo(
    reconstruction: torch.Tensor, kl: torch.Tensor, beta: float = 1.0
) -> torch.Tensor:
    """reconstruction + beta * KL per image: the training objective.

    With beta = 1 it is the negative ELBO, an upper bound on -log p(x). The metrics always report
    the beta = 1 value as `neg_elbo` (the bound), whatever beta training uses, so runs with
    different betas stay comparable; the beta-weighted objective is logged as `loss`.
    """
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    return reconstruction + beta * kl
