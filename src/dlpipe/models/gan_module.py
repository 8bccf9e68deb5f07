"""A generative adversarial network as a LightningModule with manual optimisation.

Two players, two optimizers, two steps per batch: Lightning's automatic loop would backpropagate
one loss through one optimizer, so the module drives both itself (`automatic_optimization =
False`): a discriminator step on real and generated images, then a generator step through the
freshly updated discriminator (non-saturating loss, Goodfellow et al. 2014).

Per-step numbers (discriminator and generator loss, mean D(x) and D(G(z))) stay in memory as
tensors and become floats once per epoch, so a step pays no host sync or `self.log` call; the
stage writes the whole curves to MLflow in one batch. A fixed noise batch (seeded, a buffer saved
with the checkpoint) gives a comparable grid of samples at every epoch end.

Like SplitModule, the module records how to rebuild itself (both networks' classes and
constructor arguments, both optimizers' names and hyperparameters), so
`GANModule.load_from_checkpoint(path)` needs no other argument.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn
from torch.nn import functional as F

from dlpipe.data.tensor_data import Batch
from dlpipe.models.components.gan_nets import (
    code_of,
    refresh_batch_norm,
    sample_images,
    update_average,
)
from dlpipe.models.split_module import build_network, network_spec
from dlpipe.optim.factory import OptimizerFactory, optimizer_record
from dlpipe.optim.factory import optimizer_factory as build_factory

log = logging.getLogger(__name__)

HISTORY_KEYS = ("train/d_loss", "train/g_loss", "train/d_real", "train/d_fake")
"""Per-step curves: discriminator loss, generator loss, mean D(x) on the real batch and mean
D(G(z)) on the generated batch (both probabilities, read before the discriminator's update).
The losses are the adversarial parts only; with InfoGAN codes `INFO_KEY` adds the code's
cross-entropy in the generator step."""
INFO_KEY = "train/info_loss"
EMA_WARMUP = 10  # TensorFlow's: the average spans about the last 1/9 of the steps so far

REBUILD_KEYS = frozenset(
    f"{player}_{part}"
    for player, parts in (
        ("generator", ("class", "kwargs")),
        ("discriminator", ("class", "kwargs")),
        ("g", ("optimizer", "optimizer_hyper")),
        ("d", ("optimizer", "optimizer_hyper")),
    )
    for part in parts
)
"""What a checkpoint passes instead of the networks and factories."""


def _prefixed(prefix: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """network_spec's keys under a player's name: network_class -> generator_class."""
    return {f"{prefix}_{key.removeprefix('network_')}": value for key, value in spec.items()}


class GANModule(pl.LightningModule):
    """Give the two networks and one optimizer factory each (`rebuild` holds what a checkpoint
    gives instead: `generator_class`, `generator_kwargs`, `discriminator_class`,
    `discriminator_kwargs`, `g_optimizer`, `g_optimizer_hyper`, `d_optimizer`,
    `d_optimizer_hyper`).

    `d_steps` discriminator updates (fresh noise each, the same real batch) precede each
    generator update; `real_label` is the discriminator's target for real images (below 1:
    one-sided label smoothing, Salimans et al. 2016). The generator needs `noise_dim`.
    `ema_decay` > 0 keeps an exponential moving average of the generator's weights after every
    generator step (`generator_average`); it then makes the grids and samples (`sampler`), with
    its BatchNorm statistics re-estimated at each epoch end.
    Networks built with `codes` > 0 (both the same) train InfoGAN's categorical code: both
    players also minimise `info_weight` times the cross-entropy of the discriminator's guess of
    the category the noise carried (the discriminator's code head in its step, the generator in
    its own).
    """

    def __init__(
        self,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
        g_optimizer_factory: OptimizerFactory | None = None,
        d_optimizer_factory: OptimizerFactory | None = None,
        *,
        d_steps: int = 1,
        real_label: float = 1.0,
        grid_size: int = 64,
        grid_seed: int = 0,
        ema_decay: float = 0.0,
        info_weight: float = 1.0,
        **rebuild: Any,
    ) -> None:
        super().__init__()
        if d_steps < 1 or grid_size < 1:
            raise ValueError(f"d_steps and grid_size must be >= 1, got {d_steps}, {grid_size}")
        if info_weight < 0:
            raise ValueError(f"info_weight must be >= 0, got {info_weight}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        if not 0.5 < real_label <= 1.0:
            raise ValueError(f"real_label must be in (0.5, 1], got {real_label}")
        unknown = sorted(set(rebuild) - REBUILD_KEYS)
        if unknown:
            raise TypeError(f"GANModule got unexpected argument(s) {unknown}")
        if generator is None:
            generator = build_network(
                rebuild.get("generator_class"), rebuild.get("generator_kwargs")
            )
        if discriminator is None:
            discriminator = build_network(
                rebuild.get("discriminator_class"), rebuild.get("discriminator_kwargs")
            )
        g_optimizer_factory = g_optimizer_factory or _rebuilt_factory(rebuild, "g")
        d_optimizer_factory = d_optimizer_factory or _rebuilt_factory(rebuild, "d")
        self.save_hyperparameters(
            {
                **_prefixed("generator", network_spec(generator)),
                **_prefixed("discriminator", network_spec(discriminator)),
                **_prefixed("g", optimizer_record(g_optimizer_factory)),
                **_prefixed("d", optimizer_record(d_optimizer_factory)),
                "d_steps": int(d_steps),
                "real_label": float(real_label),
                "grid_size": int(grid_size),
                "grid_seed": int(grid_seed),
                "ema_decay": float(ema_decay),
                "info_weight": float(info_weight),
            },
            logger=False,
        )
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.g_optimizer_factory = g_optimizer_factory
        self.d_optimizer_factory = d_optimizer_factory
        # The averaged generator: a copy that only follows the trained one's weights.
        self.generator_average = (
            copy.deepcopy(generator).requires_grad_(False) if ema_decay > 0 else None
        )
        self.ema_decay = float(ema_decay)
        self._g_updates = 0
        self.grid_seed = int(grid_seed)
        self.d_steps = int(d_steps)
        self.codes = int(getattr(generator, "codes", 0))
        if int(getattr(discriminator, "codes", 0)) != self.codes:
            raise ValueError(
                f"the generator carries {self.codes} code categories but the discriminator "
                f"guesses {getattr(discriminator, 'codes', 0)}: give both the same `codes`"
            )
        self.info_weight = float(info_weight)
        self.real_label = float(real_label)
        self.noise_dim = int(generator.noise_dim)
        seeded = torch.Generator().manual_seed(int(grid_seed))
        self.register_buffer(
            "fixed_noise", torch.randn(grid_size, self.noise_dim, generator=seeded)
        )
        keys = (*HISTORY_KEYS, INFO_KEY) if self.codes else HISTORY_KEYS
        self.history: dict[str, list[float]] = {key: [] for key in keys}
        self.frames: list[torch.Tensor] = []  # one (grid_size, H, W) float CPU tensor per epoch
        self._steps: list[torch.Tensor] = []  # this epoch's stacked per-step values

    @property
    def sampler(self) -> nn.Module:
        """The generator that makes the samples: the averaged one when `ema_decay` > 0."""
        return self.generator_average if self.generator_average is not None else self.generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (N, noise_dim) -> images (N, 1, H, W) in [0, 1], from `sampler`."""
        return self.sampler(z)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        if self.g_optimizer_factory is None or self.d_optimizer_factory is None:
            raise ValueError(
                "GANModule has no optimizers: the checkpoint does not name them; pass "
                "`g_optimizer_factory=` and `d_optimizer_factory=` to train it"
            )
        return [
            self.g_optimizer_factory(self.generator.parameters()),
            self.d_optimizer_factory(self.discriminator.parameters()),
        ]

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        real = batch[0]
        g_opt, d_opt = self.optimizers()
        n = len(real)
        for _ in range(self.d_steps):
            z = torch.randn(n, self.noise_dim, device=self.device)
            fake = self.generator(z)
            real_logits = self.discriminator(real)
            fake_logits, d_info = self._judge(fake.detach(), z)
            d_loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.full_like(real_logits, self.real_label)
            ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
            d_opt.zero_grad(set_to_none=True)
            self.manual_backward(d_loss + self.info_weight * d_info)
            d_opt.step()
        # The discriminator's weights need no gradient here: only the generator steps.
        with self.toggled_optimizer(g_opt):
            g_logits, g_info = self._judge(fake, z)
            g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
            g_opt.zero_grad(set_to_none=True)
            self.manual_backward(g_loss + self.info_weight * g_info)
            g_opt.step()
        if self.generator_average is not None:
            # A short memory at first (TensorFlow's ExponentialMovingAverage with num_updates),
            # so the early grids do not average in the random initial weights.
            self._g_updates += 1
            t = self._g_updates
            decay = min(self.ema_decay, (1 + t) / (EMA_WARMUP + t))
            update_average(self.generator_average, self.generator, decay)
        with torch.no_grad():
            values = [
                d_loss.detach(),
                g_loss.detach(),
                torch.sigmoid(real_logits).mean(),
                torch.sigmoid(fake_logits).mean(),
            ]
            if self.codes:
                values.append(g_info.detach())
            self._steps.append(torch.stack(values))
        # Returned for the callbacks (StopOnNonFiniteLoss); nothing backpropagates it.
        return d_loss.detach() + g_loss.detach()

    def _judge(self, images: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The discriminator's logits for generated `images`, and with codes the cross-entropy
        of its guess of the category that `z` carried (0 without codes)."""
        if not self.codes:
            return self.discriminator(images), torch.zeros((), device=images.device)
        logits, code_logits = self.discriminator.forward_codes(images)
        return logits, F.cross_entropy(code_logits, code_of(z, self.codes))

    def on_train_epoch_end(self) -> None:
        if self._steps:
            columns = torch.stack(self._steps).cpu().T.tolist()
            for key, values in zip(self.history, columns, strict=True):
                self.history[key].extend(values)
            self._steps = []
        if self.generator_average is not None:
            # Fixed noise: the re-estimate is the same whenever the weights are.
            rng = torch.Generator().manual_seed(self.grid_seed + 1)
            refresh_batch_norm(self.generator_average, rng)
        self.frames.append(self.fixed_samples())
        last = {
            key.removeprefix("train/"): values[-1] for key, values in self.history.items() if values
        }
        log.debug("GAN epoch %d: last step %s", self.current_epoch + 1, last)

    @torch.no_grad()
    def fixed_samples(self) -> torch.Tensor:
        """`sampler`'s images (grid_size, H, W) for the fixed noise, in eval mode, on CPU."""
        generator = self.sampler
        was_training = generator.training
        generator.eval()
        try:
            images = generator(self.fixed_noise)
        finally:
            generator.train(was_training)
        return images.squeeze(1).float().cpu()

    def sample(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        """`n` new images (n, H, W) in [0, 1] on CPU; noise drawn on CPU from `rng` (torch's
        global generator if None), so a seed gives the same images on any device."""
        return sample_images(self.sampler, n, rng)


def _rebuilt_factory(rebuild: Mapping[str, Any], player: str) -> OptimizerFactory | None:
    name = rebuild.get(f"{player}_optimizer")
    if name is None:
        return None
    hyper = dict(rebuild.get(f"{player}_optimizer_hyper") or {})
    return build_factory(name, hyper)
