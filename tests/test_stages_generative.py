"""The generative chapter's stages on synthetic digits and tiny settings: judge, VAE, GAN."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlpipe.datasets.mnist import save_splits
from synthetic_data import synthetic_mnist
from test_stages import REPO, _headline, _run_stage, _runs, scratch_project


@pytest.fixture(scope="module")
def generative(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("generative"))
    save_splits(synthetic_mnist(), project / "data/raw/mnist.npz")
    for stage in ("train_digit_classifier", "train_vae", "train_gan"):
        _run_stage(project, stage)
    return project


@pytest.mark.slow
def test_the_judge_scores_the_real_test_set(generative: Path) -> None:
    metrics = _headline(generative, "reports/generative/classifier/metrics.json")
    assert 0.0 <= metrics["test/accuracy"] <= 1.0 and metrics["data/classes"] == 10
    assert 1.0 <= metrics["real/inception_score"] <= 10.0
    assert metrics["real/frechet_distance"] >= 0.0
    assert (generative / "models/digit_classifier/model.pt").is_file()


@pytest.mark.slow
def test_vae_stage(generative: Path) -> None:
    metrics = _headline(generative, "reports/generative/vae/metrics.json")
    assert metrics["test/neg_elbo"] == pytest.approx(metrics["test/recon"] + metrics["test/kl"])
    assert metrics["test/kl"] >= 0 and "baseline/neg_elbo" not in metrics  # anchor off here
    assert 1.0 <= metrics["samples/inception_score"] <= 10.0
    assert 0 <= metrics["samples/classes_covered"] <= 10
    page = (generative / "reports/generative/vae/report.md").read_text()
    for figure in ("reconstructions.png", "samples.png", "interpolation.png", "latent_map.png"):
        assert f"]({figure})" in page
        assert Image.open(generative / "reports/generative/vae" / figure).size[0] > 28
    curves = (generative / "reports/generative/vae/learning_curves.csv").read_text().splitlines()
    assert len(curves) == 3  # header + 2 epochs
    validation = json.loads((generative / "reports/generative/vae/details.json").read_text())[
        "validation"
    ]  # what train_tuned@vae sets tuned settings against
    assert validation["val/neg_elbo"] > 0 and validation["best_epoch"] in (1, 2)


@pytest.mark.slow
def test_gan_stage(generative: Path) -> None:
    metrics = _headline(generative, "reports/generative/gan/metrics.json")
    assert metrics["data/epochs"] == 2 and 1.0 <= metrics["samples/inception_score"] <= 10.0
    frames = sorted((generative / "reports/generative/gan/progress").iterdir())
    assert [f.name for f in frames] == ["epoch_001.png", "epoch_002.png"]
    gif = Image.open(generative / "reports/generative/gan/progress.gif")
    assert gif.n_frames == 2
    details = json.loads((generative / "reports/generative/gan/details.json").read_text())
    steps = details["steps"]
    assert details["validation"]["images"] == 200  # scores.samples, as train_tuned@gan checks
    assert details["validation"]["val/frechet_distance"] >= 0
    lines = (generative / "reports/generative/gan/losses.csv").read_text().splitlines()
    assert lines[0] == "step,d_loss,g_loss,d_real,d_fake,info_loss" and len(lines) == steps + 1
    runs = _runs(generative, "generative")
    names = {r.info.run_name for r in runs}
    assert {"train_digit_classifier", "train_vae", "train_gan"} <= names
    assert all(r.info.status == "FINISHED" for r in runs)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["vae", "gan"])
def test_dlpipe_sample_writes_a_grid_from_the_registered_model(
    generative: Path, kind: str, tmp_path: Path
) -> None:
    out = tmp_path / f"{kind}.png"
    command = [sys.executable, "-m", "dlpipe.cli", "sample", "--model", kind, "-n", "9"]
    done = subprocess.run(
        [*command, "--seed", "3", "--out", str(out)],
        cwd=generative,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first = np.asarray(Image.open(out))
    assert first.shape[0] > 3 * 28 and first.std() > 0
    again = subprocess.run(
        [*command, "--seed", "3", "--out", str(tmp_path / "again.png")],
        cwd=generative,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0
    assert np.array_equal(first, np.asarray(Image.open(tmp_path / "again.png")))
