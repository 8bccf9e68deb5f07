"""The course's autoencoder recommenders: one mirrored network, five presets.

A row is one user's ratings over all movies (or, for I-AutoRec, one movie's ratings over all
users), 0 where unrated; every network returns the full reconstructed row. The stacked, sparse,
denoising, deep and AutoRec models differ only in widths, activation and noise, so they share
one class and `build_autoencoder` names the presets.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = ("sigmoid", "relu", "selu", "tanh")


def _activation(name: str) -> nn.Module:
    modules = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "selu": nn.SELU, "tanh": nn.Tanh}
    return modules[name]()


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")


class MirroredAutoencoder(nn.Module):
    """n -> hidden[0] -> ... -> hidden[-1] (the code) -> ... -> hidden[0] -> n, linear output.

    `corruption` zeroes input entries with that probability in training mode only (masking
    noise, rescaled like dropout so the input's scale matches at evaluation): the denoising AE.
    `dropout` acts on the code in training mode, as in NVIDIA's DeepRec. `encode` and `decode`
    are public so a training module can penalise the code (the sparse AE's KL term).
    `init_kwargs`: the constructor's arguments, plain values (a checkpoint rebuilds from them).
    """

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        activation: str = "sigmoid",
        dropout: float = 0.0,
        corruption: float = 0.0,
    ) -> None:
        super().__init__()
        widths = [int(w) for w in hidden]
        if n_inputs < 1 or not widths or min(widths) < 1:
            raise ValueError(
                f"need n_inputs >= 1 and positive hidden widths, got {n_inputs}, {hidden}"
            )
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        _check_probability("dropout", dropout)
        _check_probability("corruption", corruption)
        self.corruption = corruption
        self.init_kwargs: dict[str, Any] = {
            "n_inputs": int(n_inputs),
            "hidden": widths,
            "activation": activation,
            "dropout": float(dropout),
            "corruption": float(corruption),
        }
        self.encoder = self._stack([n_inputs, *widths], activation)
        self.code_dropout = nn.Dropout(dropout)
        decoder_widths = widths[::-1]
        self.decoder = nn.Sequential(
            *self._stack(decoder_widths, activation), nn.Linear(decoder_widths[-1], n_inputs)
        )

    @staticmethod
    def _stack(widths: Sequence[int], activation: str) -> nn.Sequential:
        layers: list[nn.Module] = []
        for width_in, width_out in pairwise(widths):
            layers += [nn.Linear(width_in, width_out), _activation(activation)]
        return nn.Sequential(*layers)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.corruption > 0:
            x = F.dropout(x, self.corruption, self.training)
        return self.encoder(x)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.code_dropout(code))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def kl_sparsity(code: torch.Tensor, target: float) -> torch.Tensor:
    """Sum over units of KL(target || mean activation): the sparse AE's penalty.

    Needs activations in (0, 1) (sigmoid codes); the mean is clamped away from 0 and 1 so a
    saturated unit gives a large but finite penalty instead of NaN.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"sparsity target must be in (0, 1), got {target}")
    eps = 1e-6
    rho_hat = code.mean(dim=0).clamp(eps, 1.0 - eps)
    kl = target * torch.log(target / rho_hat) + (1.0 - target) * torch.log(
        (1.0 - target) / (1.0 - rho_hat)
    )
    return kl.sum()


def _presets(n_inputs: int) -> dict[str, dict[str, Any]]:
    """Each kind's defaults; their keys are the hyperparameters that kind accepts."""
    return {
        # The course: 20-10-20 sigmoid, linear output.
        "stacked": {"hidden": (20, 10), "activation": "sigmoid"},
        # Overcomplete sigmoid layer (2n, at most `max_hidden` units: at ml-1m's 6,040-wide rows
        # 2n would be 146M weights, and Adam's pass over them dominates each step); the KL
        # weight and target live in the training module.
        "sparse": {"hidden": (2 * n_inputs,), "max_hidden": None},
        "denoising": {"hidden": (20, 10), "activation": "sigmoid", "corruption": 0.2},
        # DeepRec-like: SELU, dropout on the code.
        "deep": {"hidden": (512, 256), "activation": "selu", "dropout": 0.5},
        # I-AutoRec (Sedhain et al. 2015): rows are items; the L2 weight is the module's `l2`.
        "autorec": {"hidden": (500,)},
    }


AUTOENCODER_KINDS = tuple(_presets(1))


def build_autoencoder(kind: str, n_inputs: int, **hyper: Any) -> MirroredAutoencoder:
    """The network for a config entry; unknown kinds or hyperparameters fail naming the key."""
    presets = _presets(n_inputs)
    if kind not in presets:
        raise ValueError(f"unknown autoencoder {kind!r}; valid kinds: {', '.join(presets)}")
    defaults = presets[kind]
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for autoencoder "
            f"{kind!r}; accepted: {', '.join(defaults)}"
        )
    settings = {**defaults, **hyper}
    cap = settings.pop("max_hidden", None)
    if cap is not None:
        settings["hidden"] = tuple(min(int(width), int(cap)) for width in settings["hidden"])
    return MirroredAutoencoder(n_inputs, **settings)
