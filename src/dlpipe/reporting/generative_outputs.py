"""Everything the generative stages leave in reports/generative: curves, grids, GIF, pages."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from dlpipe.atomic import write_json, write_text
from dlpipe.evaluation.generative_scores import GeneratedScores
from dlpipe.evaluation.verdicts import verdict_words
from dlpipe.reporting.generative_plots import (
    plot_adversarial,
    plot_class_histograms,
    plot_latent_map,
)
from dlpipe.reporting.image_grids import save_gif, save_grid, tile
from dlpipe.reporting.tables import figures, markdown_table, wide_csv

CLASSIFIER_OUTPUTS = ("learning_curves.csv", "details.json", "report.md")
VAE_OUTPUTS = (
    "learning_curves.csv",
    "reconstructions.png",
    "samples.png",
    "interpolation.png",
    "latent_map.png",
    "class_histogram.png",
    "details.json",
    "report.md",
)
GAN_OUTPUTS = (
    "losses.csv",
    "losses.png",
    "progress",
    "progress.gif",
    "samples.png",
    "class_histogram.png",
    "details.json",
    "report.md",
)


class VaePictures(Protocol):
    """What train_vae hands over as pictures (training.vae.VaeArtifacts has these fields)."""

    originals: np.ndarray
    reconstructions: np.ndarray
    samples: np.ndarray
    interpolation: np.ndarray
    latent_map: np.ndarray | None
    latent_labels: np.ndarray | None


PUBLISHED_VAE_NATS = 105.5  # the PyTorch example VAE, 784-400-20, 10 epochs (docs/DESIGN.md)
PUBLISHED_REAL_IS = 9.88  # MNIST test set, classifier-based Inception Score (docs/DESIGN.md)


def scores_row(scores: GeneratedScores) -> dict[str, object]:
    return {
        "Inception Score": f"{scores.inception_score:.3f} +- {scores.inception_std:.3f}",
        "Frechet distance": scores.frechet_distance,
        "classes covered": scores.n_covered,
    }


def scores_details(scores: GeneratedScores, class_names: Sequence[str]) -> dict[str, object]:
    return {
        "inception_score": scores.inception_score,
        "inception_std": scores.inception_std,
        "frechet_distance": None
        if math.isnan(scores.frechet_distance)
        else scores.frechet_distance,
        "histogram": dict(zip(class_names, map(float, scores.histogram), strict=True)),
        "covered": [class_names[k] for k in scores.covered],
    }


def write_classifier_outputs(
    accuracy: float,
    majority: float,
    history: Mapping[str, Sequence[float]],
    best_epoch: int,
    real: GeneratedScores,
    class_names: Sequence[str],
    targets: Mapping[str, Path],
) -> None:
    """The judge's curves, numbers and page."""
    keys = [k for k in ("train/loss", "val/loss", "val/acc") if k in history]
    write_text(
        targets["learning_curves.csv"],
        wide_csv("epoch", {k.replace("/", "_"): history[k] for k in keys}, start=1),
    )
    write_json(
        targets["details.json"],
        {
            "test_accuracy": accuracy,
            "best_epoch": best_epoch,
            "real_test": scores_details(real, class_names),
        },
    )
    lines = [
        "# The judge: a digit classifier that scores generated images",
        "",
        f"A small CNN trained on the train split (best epoch {best_epoch} on validation loss) "
        f"classifies **{100 * accuracy:.2f}%** of the test images correctly (always answering "
        f"the training set's commonest class: {100 * majority:.2f}%). Its class probabilities "
        "give the Inception Score and its last hidden layer the features of the Frechet "
        "distance of the VAE's and the GAN's images.",
        "",
        "The real test set, scored by the same judge, is the line generated images aim at "
        f"(published with a good MNIST classifier: Inception Score {PUBLISHED_REAL_IS}; the "
        "Frechet distance is to the training images' features):",
        "",
        markdown_table("set", {"real test images": scores_row(real)}),
    ]
    write_text(targets["report.md"], "\n".join(lines) + "\n")


def write_vae_outputs(
    history: Mapping[str, Sequence[float]],
    test: Mapping[str, float],
    anchor: Mapping[str, float],
    art: VaePictures,
    samples: GeneratedScores,
    real: GeneratedScores,
    description: str,
    class_names: Sequence[str],
    targets: Mapping[str, Path],
    validation: Mapping[str, float] | None = None,
) -> None:
    """Curves, the four kinds of pictures, the histogram, details and the page. `validation`:
    the tested epoch's figures on the validation split (details only: what train_tuned@vae
    sets tuned settings against)."""
    names = [k for k in history if k.endswith(("neg_elbo", "recon", "kl"))]
    write_text(
        targets["learning_curves.csv"],
        wide_csv("epoch", {k.replace("/", "_"): history[k] for k in names}, start=1),
    )
    columns = max(len(art.originals) // 2, 1)
    pairs = np.concatenate([art.originals, art.reconstructions])
    save_grid(pairs, targets["reconstructions.png"], columns=columns)
    save_grid(art.samples, targets["samples.png"])
    save_grid(art.interpolation, targets["interpolation.png"], columns=len(art.interpolation))
    if art.latent_map is not None and art.latent_labels is not None:
        plot_latent_map(art.latent_map, art.latent_labels, class_names, targets["latent_map.png"])
    else:  # latent2_epochs: 0 -- the page says the map was not drawn
        save_grid(art.samples[:1], targets["latent_map.png"])
    plot_class_histograms(
        {"VAE samples": samples.histogram, "real test images": real.histogram},
        class_names,
        targets["class_histogram.png"],
    )
    write_json(
        targets["details.json"],
        {
            "validation": dict(validation or {}),
            "test": dict(test),
            "anchor_784_400_20_10_epochs": dict(anchor),
            "published_anchor_neg_elbo": PUBLISHED_VAE_NATS,
            "samples": scores_details(samples, class_names),
            "real_test": scores_details(real, class_names),
        },
    )
    rows = {"this configuration": {k: test.get(f"test/{k}") for k in ("neg_elbo", "recon", "kl")}}
    if anchor:
        rows["784-400-20, 10 epochs (ours)"] = {
            k: anchor.get(f"test/{k}") for k in ("neg_elbo", "recon", "kl")
        }
    rows["784-400-20, 10 epochs (PyTorch example)"] = {"neg_elbo": PUBLISHED_VAE_NATS}
    lines = [
        "# Variational autoencoder",
        "",
        description,
        "",
        "Test set, nats per image (lower is better): the negative ELBO is the reconstruction "
        "term (Bernoulli log-likelihood, summed over pixels) plus the KL divergence of the "
        "posterior from the prior.",
        "",
        markdown_table("model", rows),
        "",
        *_anchor_verdict(anchor),
        f"The judge's scores of {samples.n_images:,} samples from the prior against the real "
        "test set:",
        "",
        markdown_table(
            "images", {"VAE samples": scores_row(samples), "real test images": scores_row(real)}
        ),
        "",
        *figures(
            {
                "reconstructions.png": "Test digits (top half) and their reconstructions "
                "(bottom half)",
                "samples.png": "New images decoded from the prior N(0, I)",
                "interpolation.png": "Decoded points on the line between two test digits' "
                "latent means",
                "latent_map.png": "The latent-2 model's test means, coloured by class",
                "class_histogram.png": "Classes of the samples as the judge sees them",
            }
        ),
    ]
    write_text(targets["report.md"], "\n".join(lines) + "\n")


def _anchor_verdict(anchor: Mapping[str, float]) -> list[str]:
    """The paired test's sentence, when the anchor ran."""
    if "p_value" not in anchor:
        return []
    words = verdict_words(int(anchor["verdict"]))
    return [
        "This configuration against our 784-400-20 rerun, image by image (paired t-test on the "
        f"per-image test negative ELBO, same seeded noise): **{words}** "
        f"(p = {anchor['p_value']:.3g}).",
        "",
    ]


def write_gan_outputs(
    history: Mapping[str, Sequence[float]],
    frames: np.ndarray,
    samples_grid: np.ndarray,
    samples: GeneratedScores,
    real: GeneratedScores,
    description: str,
    class_names: Sequence[str],
    targets: Mapping[str, Path],
    validation: Mapping[str, float] | None = None,
) -> None:
    """Per-step curves, per-epoch grids and their GIF, samples, histogram, details, page.
    `validation`: the samples' Frechet distance to the validation images (details only: what
    train_tuned@gan sets tuned settings against)."""
    short = {key.split("/")[-1]: values for key, values in history.items()}
    write_text(targets["losses.csv"], wide_csv("step", short, start=1))
    plot_adversarial(short, targets["losses.png"])
    folder = targets["progress"]
    folder.mkdir(parents=True, exist_ok=True)
    tiles = [tile(frame) for frame in frames]
    for epoch, frame in enumerate(frames, start=1):
        save_grid(frame, folder / f"epoch_{epoch:03d}.png")
    save_gif(tiles, targets["progress.gif"])
    save_grid(samples_grid, targets["samples.png"])
    plot_class_histograms(
        {"GAN samples": samples.histogram, "real test images": real.histogram},
        class_names,
        targets["class_histogram.png"],
    )
    write_json(
        targets["details.json"],
        {
            "validation": dict(validation or {}),
            "samples": scores_details(samples, class_names),
            "real_test": scores_details(real, class_names),
            "epochs": len(frames),
            "steps": len(next(iter(short.values()), [])),
        },
    )
    lines = [
        "# Generative adversarial network",
        "",
        description,
        "",
        f"The judge's scores of {samples.n_images:,} fresh samples from the generator against the "
        "real test set (published "
        f"Inception Score of the MNIST test set with a good classifier: {PUBLISHED_REAL_IS}):",
        "",
        markdown_table(
            "images", {"GAN samples": scores_row(samples), "real test images": scores_row(real)}
        ),
        "",
        *figures(
            {
                "progress.gif": "The same fixed noise through the generator after each epoch",
                "samples.png": "New samples after training",
                "losses.png": "Adversarial losses, D(x) and D(G(z)) per step",
                "class_histogram.png": "Classes of the samples as the judge sees them (mode "
                "coverage)",
            }
        ),
    ]
    write_text(targets["report.md"], "\n".join(lines) + "\n")
