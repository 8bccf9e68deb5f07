"""The VAE end to end: fit on train (checkpoint on val/neg_elbo), test, and the pictures' arrays.

Library code: everything comes back as values (the module, metrics, float arrays in [0, 1] of
shape (n, height, width)); the stage and reporting write the files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_vae import VaeConfig
from dlpipe.data.mnist_data import limit_training, to_tensors
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.models.components.vae_nets import build_vae_net
from dlpipe.models.vae_module import VAE_METRICS, VAEModule
from dlpipe.optim.factory import fused_adam
from dlpipe.tracking import RunLogger
from dlpipe.training.denormals import flushed_denormals
from dlpipe.training.fit import History, fit

EVAL_BATCH = 1000  # val/test batches: the ELBO is per image, so their size changes no number
MONITOR = "val/neg_elbo"
HISTORY_KEYS = tuple(f"{split}/{name}" for split in ("train", "val") for name in VAE_METRICS)

ANCHOR = VaeConfig(
    kind="mlp",
    hidden=(400,),
    channels=(32, 64),
    latent=20,
    beta=1.0,
    lr=1e-3,
    lr_schedule="constant",
    batch_size=128,
    max_epochs=10,
    patience=0,
    latent2_epochs=0,
    n_samples=1,
    recon_per_class=1,
    interpolation_steps=2,
    anchor=False,
)
"""The PyTorch example VAE's training: 784-400-20, Adam 1e-3 (constant), batch 128, 10 epochs."""
ANCHOR_NATS = 105.5
"""Its test negative ELBO after those 10 epochs on the 60,000 official training images, nats per
image (the example's own test loss: one posterior sample per image, as ours)."""


@dataclass(frozen=True)
class VaeArtifacts:
    """Images as float arrays in [0, 1], (n, height, width), and the latent map.

    `originals`/`reconstructions`: the first `recon_per_class` test digits of each class, class
    by class (`reconstruction_labels`); reconstructions decode the posterior means. `samples`:
    decoded draws from the prior (seeded). `interpolation`: decoded points evenly spaced from the
    latent mean of one test digit to that of another of a different class (`interpolation_labels`),
    both ends included. `latent_map` (N_test, 2): the latent-2 model's test means, with
    `latent_labels`; None when `latent2_epochs` is 0.
    """

    originals: np.ndarray
    reconstructions: np.ndarray
    reconstruction_labels: np.ndarray
    samples: np.ndarray
    interpolation: np.ndarray
    interpolation_labels: tuple[int, int]
    latent_map: np.ndarray | None
    latent_labels: np.ndarray | None


@dataclass(frozen=True)
class VaeResult:
    """The best epoch's module (eval mode, CPU), one value per epoch for HISTORY_KEYS, the test
    metrics (`test/neg_elbo`, `test/recon`, `test/kl`, `test/loss`: nats per image), the
    artifacts, and the latent-2 model's test metrics (empty when it was skipped).
    `best_epoch` is 1-based."""

    module: VAEModule
    history: History
    test: dict[str, float]
    artifacts: VaeArtifacts
    latent2_test: dict[str, float]
    best_epoch: int

    @property
    def val_neg_elbo(self) -> float:
        """The best epoch's validation negative ELBO (nats per image): the epoch tested."""
        return float(self.history[MONITOR][self.best_epoch - 1])


def image_size(splits: MnistSplits) -> int:
    """The side of the square images in the training split."""
    height, width = splits.train_x.shape[1:3]
    if height != width:
        raise ValueError(f"the VAE needs square images, got {height}x{width}")
    return int(height)


def vae_datamodule(
    splits: MnistSplits, batch_size: int, seed: int, num_workers: int, *, train_on_val: bool = False
) -> PairsDataModule:
    """Flat [0, 1] images per split; `train_on_val` adds the val images to the training set."""
    train_x, train_y = to_tensors(splits.train_x, splits.train_y)
    val = TensorPairs(*to_tensors(splits.val_x, splits.val_y))
    if train_on_val:
        train_x, train_y = torch.cat((train_x, val.x)), torch.cat((train_y, val.y))
    return PairsDataModule(
        TensorPairs(train_x, train_y),
        val,
        batch_size,
        seed,
        test=TensorPairs(*to_tensors(splits.test_x, splits.test_y)),
        eval_batch_size=EVAL_BATCH,
        num_workers=num_workers,
    )


def _fit_and_test(
    cfg: VaeConfig,
    datamodule: PairsDataModule,
    training: TrainingConfig,
    *,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
    size: int,
    label: str,
) -> tuple[VAEModule, History, dict[str, float]]:
    """Fit `cfg`'s network, restore its best epoch, test it; the module comes back on CPU."""
    torch.manual_seed(seed)
    network = build_vae_net(cfg.kind, size, cfg.latent, cfg.hidden, cfg.channels)
    module = VAEModule(network, fused_adam(cfg.lr), cfg.beta, cfg.lr_schedule)
    with flushed_denormals():
        fitted = fit(
            module,
            datamodule,
            training,
            seed=seed,
            max_epochs=cfg.max_epochs,
            checkpoint_dir=checkpoint_dir,
            run=run,
            monitor=MONITOR,
            patience=cfg.patience or None,
            history_keys=HISTORY_KEYS,
            label=label,
        )
        results = fitted.trainer.test(module, datamodule=datamodule, verbose=False)
    test = {key: float(value) for key, value in results[0].items()}
    return module.cpu().eval(), fitted.history, test


def train_vae(
    splits: MnistSplits,
    cfg: VaeConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> VaeResult:
    """Fit the configured VAE (on `cfg.train_limit` training images when set) and test its best
    epoch; then the latent-2 copy (not logged to `run`, its keys would clash; checkpoints under
    `checkpoint_dir/latent2`) and the artifacts."""
    training = training.with_threads(cfg.cpu_threads)
    splits = limit_training(splits, cfg.train_limit, seed)
    size = image_size(splits)
    datamodule = vae_datamodule(splits, cfg.batch_size, seed, training.num_workers)
    module, history, test = _fit_and_test(
        cfg,
        datamodule,
        training,
        seed=seed,
        run=run,
        checkpoint_dir=checkpoint_dir,
        size=size,
        label="VAE",
    )
    test_x = datamodule.pairs["test"].x
    latent_map = latent_labels = None
    latent2_test: dict[str, float] = {}
    if cfg.latent2_epochs > 0:
        small, _, latent2_test = _fit_and_test(
            cfg.replace(latent=2, max_epochs=cfg.latent2_epochs, patience=0),
            datamodule,
            training,
            seed=seed,
            run=None,
            checkpoint_dir=checkpoint_dir / "latent2",
            size=size,
            label="VAE latent-2",
        )
        latent_map = _batched(small.encode, test_x).numpy()
        latent_labels = np.asarray(splits.test_y)
    return VaeResult(
        module=module,
        history=history,
        test=test,
        artifacts=_artifacts(
            module, cfg, test_x, np.asarray(splits.test_y), seed, size, latent_map, latent_labels
        ),
        latent2_test=latent2_test,
        best_epoch=_best_epoch(history[MONITOR]),
    )


def vae_anchor(
    splits: MnistSplits,
    training: TrainingConfig,
    seed: int,
    checkpoint_dir: Path,
    *,
    train_on_val: bool = True,
) -> tuple[VAEModule, dict[str, float]]:
    """The example's training (ANCHOR) through our pipeline: the module (CPU, eval) and its test
    metrics, to set against ANCHOR_NATS.

    The example trains on all 60,000 official training images; our train split holds 50,000 of
    them and val the other 10,000, so `train_on_val` (default) trains on both, as the example
    does (val then only picks the checkpoint: in practice the last epoch). False trains on the
    train split alone, with 1/6 fewer steps than the example (about 0.7 nats worse).
    """
    datamodule = vae_datamodule(
        splits, ANCHOR.batch_size, seed, training.num_workers, train_on_val=train_on_val
    )
    module, _, test = _fit_and_test(
        ANCHOR,
        datamodule,
        training,
        seed=seed,
        run=None,
        checkpoint_dir=checkpoint_dir,
        size=image_size(splits),
        label="VAE anchor",
    )
    return module, test


def _artifacts(
    module: VAEModule,
    cfg: VaeConfig,
    test_x: torch.Tensor,
    test_y: np.ndarray,
    seed: int,
    size: int,
    latent_map: np.ndarray | None,
    latent_labels: np.ndarray | None,
) -> VaeArtifacts:
    def images(flat: torch.Tensor) -> np.ndarray:
        return flat.reshape(-1, size, size).float().numpy()

    picked = fixed_digits(test_y, cfg.recon_per_class)
    first, second = interpolation_pair(test_y)
    ends = module.encode(test_x[[first, second]])
    weights = torch.linspace(0.0, 1.0, cfg.interpolation_steps).unsqueeze(1)
    path = (1.0 - weights) * ends[0] + weights * ends[1]
    generator = torch.Generator().manual_seed(seed)
    return VaeArtifacts(
        originals=images(test_x[picked]),
        reconstructions=images(module.reconstruct(test_x[picked])),
        reconstruction_labels=test_y[picked],
        samples=images(module.sample(cfg.n_samples, generator)),
        interpolation=images(module.decode(path)),
        interpolation_labels=(int(test_y[first]), int(test_y[second])),
        latent_map=latent_map,
        latent_labels=latent_labels,
    )


def fixed_digits(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first `per_class` images of each class (fewer where a class has fewer),
    class by class in label order: the same digits in every run."""
    labels = np.asarray(labels)
    return np.concatenate(
        [np.flatnonzero(labels == label)[:per_class] for label in np.unique(labels)]
    ).astype(np.int64)


def interpolation_pair(labels: np.ndarray) -> tuple[int, int]:
    """The first image and the first one after it of another class."""
    labels = np.asarray(labels)
    other = np.flatnonzero(labels != labels[0])
    if other.size == 0:
        raise ValueError("the interpolation needs test images of two classes; all share one")
    return 0, int(other[0])


def neg_elbo_per_image(module: VAEModule, images: np.ndarray, seed: int) -> np.ndarray:
    """Per-image test negative ELBO (nats) of uint8 `images`, one seeded sample each."""
    x = to_tensors(images, np.zeros(len(images), dtype=np.int64))[0]
    generator = torch.Generator().manual_seed(seed)
    return _batched(lambda part: module.neg_elbo_per_image(part, generator), x).numpy()


def _batched(function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return torch.cat([function(x[i : i + EVAL_BATCH]).cpu() for i in range(0, len(x), EVAL_BATCH)])


def _best_epoch(values: tuple[float, ...]) -> int:
    finite = np.asarray(values, dtype=np.float64)
    if finite.size == 0 or np.isnan(finite).all():
        raise ValueError(f"no finite {MONITOR} was recorded")
    return int(np.nanargmin(finite)) + 1
