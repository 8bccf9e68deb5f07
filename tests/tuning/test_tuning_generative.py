"""The VAE and GAN objectives on synthetic digits and tiny networks: a study each (every epoch
reported to the pruner), and the retrain that reads the defaults' figures from train_vae /
train_gan's details instead of training the defaults again."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from tuning_helpers import read_raw, write_params

from dlpipe.datasets.mnist import save_splits
from dlpipe.families.tuning.retrain import train_tuned, train_tuned_spec
from dlpipe.families.tuning.tune import tune_family, tune_spec
from dlpipe.models.components.digit_cnn import DigitCNN
from dlpipe.models.digit_classifier_io import save_digit_classifier
from dlpipe.stage import temporary_stage
from dlpipe.tuning.retrain import retrain
from dlpipe.tuning.workers import tune
from synthetic_data import synthetic_mnist


@pytest.fixture
def generative(project: Path) -> dict[str, Any]:
    """Synthetic digits, an untrained tiny judge (its features are enough for a distance), and
    seconds-long VAE and GAN studies of 3 trials, 2 epochs each, on 200 training images."""
    save_splits(synthetic_mnist(), project / "data/raw/mnist.npz")
    torch.manual_seed(0)
    judge = DigitCNN(10, [4, 8], 16, 0.0)
    save_digit_classifier(project / "models/digit_classifier/model.pt", judge)
    raw = read_raw(project)
    raw["vae"].update(kind="mlp", hidden=[32], latent=4, max_epochs=3, batch_size=64)
    raw["vae"].update(latent2_epochs=1, anchor=False, n_samples=4, recon_per_class=1)
    raw["gan"].update(kind="mlp", max_epochs=3, grid_size=4, batch_size=64, codes=10)
    raw["gan"]["mlp"].update(generator_hidden=[32], discriminator_hidden=[32])
    raw["scores"].update(samples=100, splits=2)
    raw["digit_classifier"]["score_batch"] = 100
    raw["tuning"]["families"] = {
        "vae": {
            "trials": 3,
            "timeout_s": 600,
            "max_epochs": 2,
            "fixed": {"vae.train_limit": 200},
            "space": {
                "vae.lr": {"low": 0.0001, "high": 0.01, "log": True},
                "vae.latent": {"choices": [4, 8]},
            },
        },
        "gan": {
            "trials": 3,
            "timeout_s": 600,
            "max_epochs": 2,
            "retrain_epochs": 1,
            "fixed": {"gan.train_limit": 200, "scores.samples": 50},
            "space": {
                "gan.lr_g": {"low": 0.0001, "high": 0.01, "log": True},
                "gan.codes": {"choices": [0, 10]},
            },
        },
    }
    return raw


def _record(project: Path, family: str, details: dict[str, Any]) -> None:
    path = project / "reports" / "generative" / family / "details.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(details), encoding="utf-8")


def test_the_vae_study_and_its_retrain_against_train_vaes_figures(
    project: Path, generative: dict[str, Any]
) -> None:
    params = write_params(project, generative)
    with temporary_stage(tune_spec("vae"), params, project) as stage:
        tune_family(stage, "vae")
    best = yaml.safe_load((project / "reports/tuning/vae/best_params.yaml").read_text())
    details = json.loads((project / "reports/tuning/vae/details.json").read_text())
    assert details["counts"]["complete"] + details["counts"]["pruned"] == 3
    assert details["storage"] == "tuning/optuna.journal"  # portable: no machine path
    complete = [t for t in details["trials"] if t["state"] == "COMPLETE"]
    assert complete and all(t["epochs"] == 2 for t in complete)  # val/neg_elbo every epoch
    assert all(t["value"] > 0 for t in complete)  # nats per image

    # train_vae's own figures (as its stage records them): far worse than any trained VAE
    _record(project, "vae", {"validation": {"val/neg_elbo": 1e9}, "test": {"test/neg_elbo": 1e9}})
    with temporary_stage(train_tuned_spec("vae"), params, project) as stage:
        train_tuned(stage, "vae")
    tuned = json.loads((project / "reports/tuning/vae/tuned.json").read_text())
    assert tuned["defaults"]["val"] == 1e9 and tuned["defaults_from"].endswith("details.json")
    assert tuned["tuned_trained"] == best["better_than_defaults"]
    assert tuned["kept"] == ("tuned" if best["better_than_defaults"] else "defaults")

    forced = retrain(project, params, "vae", {"vae.latent": 8}, True)
    assert forced.tuned_trained and forced.kept == "tuned" and forced.epochs is None
    assert math.isfinite(forced.tuned.test) and forced.gain("test") > 0
    kept = retrain(project, params, "vae", {"vae.latent": 8}, False)
    assert not kept.tuned_trained and kept.kept == "defaults" and kept.gain("test") == 0


def test_the_gan_study_reports_every_epoch_and_its_retrain_is_shortened(
    project: Path, generative: dict[str, Any]
) -> None:
    params = write_params(project, generative)
    summary = tune(project, params, "gan")
    assert summary.counts["complete"] + summary.counts["pruned"] == 3
    complete = [r for r in summary.rows if r.state == "COMPLETE"]
    assert complete and all(r.epochs == 2 for r in complete)  # the distance every epoch
    assert summary.defaults is not None and summary.defaults.value > 0

    # train_gan's own figures: a distance no 1-epoch GAN reaches
    record = {"validation": {"val/frechet_distance": 0.0, "images": 100}}
    _record(project, "gan", {**record, "samples": {"frechet_distance": 0.0}})
    result = retrain(project, params, "gan", {"gan.lr_g": 0.001}, True)
    assert result.tuned_trained and result.epochs == 1 and result.kept == "defaults"
    assert "tuned trained 1 epochs" in result.reason and result.gain("test") == 0
    assert result.tuned.val > 0 and math.isfinite(result.tuned.test)

    # figures from another sample count do not compare: the retrain refuses them
    _record(project, "gan", {"validation": {"val/frechet_distance": 1.0, "images": 7}})
    with pytest.raises(ValueError, match="train_gan"):
        retrain(project, params, "gan", {"gan.lr_g": 0.001}, True)
