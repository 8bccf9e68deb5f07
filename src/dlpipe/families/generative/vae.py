"""DVC stage train_vae: the VAE, its ELBO against the PyTorch example's, and its samples judged."""

from __future__ import annotations

import logging

import numpy as np
import torch
from scipy.stats import ttest_rel

from dlpipe.datasets.mnist import load_splits
from dlpipe.evaluation.verdicts import verdict
from dlpipe.families.generative import CLASSIFIER_FILE, MNIST, REPORTS, trained_on
from dlpipe.families.generative.judge import load_judge, score_headline
from dlpipe.models.vae_module import VAEModule
from dlpipe.reporting.generative_outputs import VAE_OUTPUTS, write_vae_outputs
from dlpipe.serving.pyfunc import register_sampler
from dlpipe.serving.registry import VAE
from dlpipe.stage import Stage
from dlpipe.training.vae import neg_elbo_per_image, train_vae, vae_anchor

log = logging.getLogger(__name__)


def paired_comparison(
    model: VAEModule, anchor: VAEModule, test_x: np.ndarray, seed: int
) -> dict[str, float]:
    """The configured VAE against the anchor image by image: a paired t-test on the per-image
    test negative ELBO (same images, same seeded noise), so the verdict says whether the gap
    is more than the single-sample noise of the estimate."""
    ours = neg_elbo_per_image(model, test_x, seed)
    theirs = neg_elbo_per_image(anchor, test_x, seed)
    p_value = float(ttest_rel(ours, theirs).pvalue)
    return {"p_value": p_value, "verdict": verdict(p_value, bool(ours.mean() < theirs.mean()))}


def train_vae_stage(stage: Stage) -> None:
    """Fit the configured VAE (best epoch on validation), test it, optionally rerun the PyTorch
    example's configuration as the anchor, and score `scores.samples` prior samples."""
    params = stage.params
    cfg = params.vae
    splits = load_splits(stage.path(MNIST))
    judge = load_judge(stage.path(CLASSIFIER_FILE), splits, params)
    folder = stage.out("models/vae")
    result = train_vae(splits, cfg, params.training, params.seed, stage.run, folder)
    anchor: dict[str, float] = {}
    comparison: dict[str, float] = {}
    if cfg.anchor:
        log.info("VAE anchor: 784-400-20, Adam 1e-3, batch 128, 10 epochs")
        training = params.training.with_threads(cfg.cpu_threads)
        anchor_module, anchor = vae_anchor(splits, training, params.seed, folder / "anchor")
        comparison = paired_comparison(result.module, anchor_module, splits.test_x, params.seed)
        anchor.update(comparison)
    generator = torch.Generator().manual_seed(params.seed)
    with torch.no_grad():
        flat = result.module.sample(params.scores.samples, generator).cpu().numpy()
    side = splits.test_x.shape[1]
    samples = judge.score(flat.reshape(len(flat), side, side))
    if stage.run is not None:
        register_sampler(stage.run, VAE, folder / "best.ckpt")
    headline = {
        "test/neg_elbo": result.test["test/neg_elbo"],
        "test/recon": result.test["test/recon"],
        "test/kl": result.test["test/kl"],
        **score_headline(samples, judge.real),
        "data/train": trained_on(len(splits.train_y), cfg.train_limit),
        "data/test": len(splits.test_y),
    }
    if anchor:
        headline["baseline/neg_elbo"] = anchor["test/neg_elbo"]
        headline.update(comparison)
    stage.write_headline(f"{REPORTS}/vae/metrics.json", headline)
    hidden = "-".join(str(h) for h in cfg.hidden)
    kind = "An MLP" if cfg.kind == "mlp" else "A convolutional"
    description = (
        f"{kind} VAE ({side * side}-{hidden}-{cfg.latent}, beta {cfg.beta:g}), Adam "
        f"lr {cfg.lr:g} ({cfg.lr_schedule}), batch {cfg.batch_size}, best of {cfg.max_epochs} "
        f"epochs on the validation negative ELBO (epoch {result.best_epoch})."
    )
    write_vae_outputs(
        result.history,
        result.test,
        anchor,
        result.artifacts,
        samples,
        judge.real,
        description,
        judge.class_names,
        {name: stage.out(f"{REPORTS}/vae/{name}") for name in VAE_OUTPUTS},
        validation={"val/neg_elbo": result.val_neg_elbo, "best_epoch": result.best_epoch},
    )
