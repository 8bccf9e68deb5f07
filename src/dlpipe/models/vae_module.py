"""The variational autoencoder as a LightningModule: reparameterised sampling, the ELBO's terms
per epoch, and what one does with a trained VAE (sample, reconstruct, encode, decode).

Batches are (images, labels) as every MNIST loader serves them; labels are ignored.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from lightning.pytorch.utilities.types import OptimizerLRScheduler
from torch.distributions import Normal

from dlpipe.data.tensor_data import Batch
from dlpipe.models.components.vae_nets import VaeNet
from dlpipe.models.epoch_means import EpochMeans
from dlpipe.models.split_module import SplitModule
from dlpipe.models.vae_loss import kl_nats, negative_elbo, reconstruction_nats
from dlpipe.optim.factory import OptimizerFactory

LrSchedule = Literal["constant", "cosine"]
LR_SCHEDULES: tuple[LrSchedule, ...] = ("constant", "cosine")
VAE_METRICS = ("loss", "neg_elbo", "recon", "kl")


class VAEModule(SplitModule):
    """Minimises reconstruction + beta * KL with one reparameterised sample per image.

    Logs once per epoch, in nats per image, for train/val/test: `loss` (the beta-weighted
    objective), `neg_elbo` (beta = 1: the bound, comparable across betas), `recon` and `kl`.
    Validation and test draw one sample too (the single-sample estimate the PyTorch example
    reports). `lr_schedule="cosine"` decays the learning rate to 0 over the whole fit, per step.
    The factory is a course optimizer (`dlpipe.optim.optimizer_factory`) or `fused_adam`; both
    are recorded, so `load_from_checkpoint(path)` rebuilds the module with its optimizer.
    `rebuild`: what a checkpoint passes instead of the network and factory (see SplitModule).
    """

    network: VaeNet

    def __init__(
        self,
        network: VaeNet | None = None,
        optimizer_factory: OptimizerFactory | None = None,
        beta: float = 1.0,
        lr_schedule: LrSchedule = "constant",
        **rebuild: Any,
    ) -> None:
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown lr_schedule {lr_schedule!r}; valid: {LR_SCHEDULES}")
        own = {"beta": float(beta), "lr_schedule": lr_schedule}
        super().__init__(network, optimizer_factory, hparams=own, **rebuild)
        self.beta = float(beta)
        self.lr_schedule = lr_schedule
        self.epoch_means = EpochMeans(VAE_METRICS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction logits from the posterior mean (no sampling)."""
        return self.network(x)

    def _step(self, batch: Batch, batch_idx: int, split: str) -> torch.Tensor:
        x = batch[0]
        mean, logvar = self.network.encode(x)
        z = Normal(mean, torch.exp(0.5 * logvar)).rsample()
        recon = reconstruction_nats(self.network.decode(z), x)
        kl = kl_nats(mean, logvar)
        loss = negative_elbo(recon, kl, self.beta).mean()
        with torch.no_grad():
            values = {
                "loss": loss,
                "neg_elbo": (recon + kl).mean(),
                "recon": recon.mean(),
                "kl": kl.mean(),
            }
        self.epoch_means.update(self, split, batch_idx, values, len(x))
        return loss

    def configure_optimizers(self) -> OptimizerLRScheduler:
        optimizer = super().configure_optimizers()
        if self.lr_schedule == "constant":
            return optimizer
        steps = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """`n` images (n, pixels) of Bernoulli means decoded from z ~ N(0, I); the draw comes
        from `generator` (CPU) when given, so a seed fixes the images."""
        z = torch.randn(n, self.network.latent, generator=generator)
        return torch.sigmoid(self.network.decode(z.to(self.device)))

    @torch.no_grad()
    def neg_elbo_per_image(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Each image's single-sample negative ELBO (beta = 1) in nats, (N,) on CPU: what the
        test metric averages, kept per image so two VAEs can be compared pairwise. The
        reparameterisation noise comes from `generator` (CPU) when given."""
        mean, logvar = self.network.encode(x.to(self.device))
        noise = torch.randn(mean.shape, generator=generator).to(self.device)
        z = mean + torch.exp(0.5 * logvar) * noise
        recon = reconstruction_nats(self.network.decode(z), x.to(self.device))
        return (recon + kl_nats(mean, logvar)).cpu()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli means (N, pixels) decoded from the posterior means: no sampling noise."""
        return torch.sigmoid(self.network(x.to(self.device)))

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior means (N, latent): where each image sits in the latent space."""
        return self.network.encode(x.to(self.device))[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli means (N, pixels) for latent points `z` (N, latent)."""
        return torch.sigmoid(self.network.decode(z.to(self.device)))
