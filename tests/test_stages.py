"""Stage smoke tests: each pipeline script, run as DVC runs it, writes exactly what dvc.yaml says.

They run in a scratch project (a copy of dvc.yaml and a shrunken params.yaml) on synthetic data,
so they take seconds, not the real budget.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient
from PIL import Image

from dlpipe.datasets.mnist import save_splits
from dlpipe.paths import data_path

REPO = Path(__file__).resolve().parents[1]


def _declared(stage: str) -> list[str]:
    """Every path a stage declares as out, metric or plot."""
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"][stage]
    entries = spec.get("outs", []) + spec.get("metrics", []) + spec.get("plots", [])
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return scratch_project(tmp_path)


def scratch_project(tmp_path: Path) -> Path:
    """A project folder with dvc.yaml and a params.yaml shrunk to seconds per stage."""
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["training"]["progress_bar"] = False
    params["training"]["accelerator"] = "cpu"
    params["compare_optimizers"].update(epochs=2, hidden_sizes=[16], train_limit=200)
    params["stock_lstm"].update(
        window=10, hidden_size=4, num_layers=1, max_epochs=2, walk_forward_windows=2
    )
    params["movielens"].update(source="path", path="ml")
    params["recommender"].update(min_item_ratings=1, sample_users=[1, 2], patience=2)
    for run in params["recommender"]["autoencoders"].values():
        run["max_epochs"] = 3
    params["stocks"].update(source="csv")
    params["stocks"]["csv"].update(path="prices.csv", date_column="Date")
    for run in params["trace_optimizers"]["surfaces"].values():
        run["steps"] = 60
    params["trace_optimizers"]["gif_frames"] = 5
    params["face_crawl"].update(gallery="gallery")
    params["face_extract"].update(workers=2, size=32)
    params["face_cnn"].update(max_epochs=3, patience=2, channels=[4, 8], dense=[16])
    params["eigenfaces"].update(n_components=4, cv_folds=2, C=[1.0, 10.0], gamma=[0.001])
    # the pinned dlib files, fetched once into this clone's cache (not once per scratch project)
    params["face_embedding"]["cache_dir"] = str(REPO / params["face_embedding"]["cache_dir"])
    _shrink_classifiers(params)
    _shrink_generative(params)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (tmp_path / "dvc.yaml").write_text((REPO / "dvc.yaml").read_text(), encoding="utf-8")
    return tmp_path


def _shrink_classifiers(params: dict) -> None:
    """3 folds once, tiny forests, a 3-epoch ANN, budget-2 searches."""
    params["classifiers"].update(folds=3, repeats=1)
    params["classifiers"]["ann"].update(max_epochs=3)
    params["classifiers"]["classic"].update(forest_trees=10, boosting_trees=10)
    study = params["ann_study"]
    study.update(folds=2, train_sizes=[0.5, 1.0], capacity_units=[2, 4])
    study["dropout"].update(hidden_units=16, max_epochs=4)
    search = study["search"]
    search.update(budget=2, folds=2)
    search["space"]["hidden_units"]["grid"] = [8]
    search["space"]["lr"]["grid"] = [0.01]
    search["manual"] = search["manual"][:2]


def _shrink_generative(params: dict) -> None:
    """A tiny judge, a 2-epoch VAE without the anchor rerun, a 2-epoch small MLP GAN."""
    params["digit_classifier"].update(channels=[4, 8], dense=16, max_epochs=2, patience=0)
    params["scores"].update(samples=200, splits=2)
    params["vae"].update(
        kind="mlp", hidden=[32], latent=4, max_epochs=2, latent2_epochs=1, anchor=False
    )
    params["vae"].update(n_samples=16, recon_per_class=1, interpolation_steps=4)
    params["gan"].update(kind="mlp", max_epochs=2, grid_size=16, batch_size=64)
    params["gan"]["mlp"].update(generator_hidden=[32], discriminator_hidden=[32])


def _run_stage(project: Path, stage: str) -> str:
    """Run the stage's script in `project`; its stderr (the log) comes back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    done = subprocess.run(
        [sys.executable, str(REPO / "pipeline" / f"{stage}.py")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for declared in _declared(stage):
        assert (project / declared).exists(), f"{stage} did not write {declared}"
    leftovers = [p for p in project.rglob("*.tmp*")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    return done.stderr


def _headline(project: Path, relative: str) -> dict:
    """A family's DVC metrics file: flat numbers only (no text, no flags), at most 15."""
    metrics = json.loads((project / relative).read_text())
    assert len(metrics) <= 15, sorted(metrics)
    for key, value in metrics.items():
        assert "/" in key or key in {"p_value", "verdict", "skipped"} or key.endswith("_ratio"), key
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert "seconds" not in key, key
    return metrics


def _runs(project: Path, experiment: str) -> list:
    client = MlflowClient(f"sqlite:///{project}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name(experiment)
    return client.search_runs([exp.experiment_id])


@pytest.mark.slow
def test_compare_optimizers_stage(project: Path, mnist_splits) -> None:
    save_splits(mnist_splits, project / "data" / "raw" / "mnist.npz")
    _run_stage(project, "compare_optimizers")
    details = json.loads((project / "reports/optimizers/comparison.json").read_text())
    names = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"]
    assert sorted(details) == sorted(names)
    for row in details.values():
        assert 0.0 <= row["test/accuracy"] <= 1.0 and row["test/loss"] > 0
    metrics = _headline(project, "reports/optimizers/metrics.json")
    assert metrics["baseline/accuracy"] == details["sgd"]["test/accuracy"]
    assert metrics["data/test"] > 0 and metrics["verdict"] in (-1, 0, 1)
    header = (project / "reports/optimizers/val_loss.csv").read_text().splitlines()
    assert header[0] == "epoch," + ",".join(names) and len(header) == 3
    runs = _runs(project, "optimizers")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and sorted(r.info.run_name for r in children) == sorted(names)
    assert all(r.info.status == "FINISHED" for r in runs)
    assert all(r.data.tags["mlflow.parentRunId"] == parents[0].info.run_id for r in children)
    for name in names:
        assert sorted(p.name for p in (project / "models/optimizers" / name).iterdir()) == [
            "best.ckpt",
            "last.ckpt",
        ]


@pytest.mark.slow
def test_trace_optimizers_stage(project: Path) -> None:
    _run_stage(project, "trace_optimizers")
    table = json.loads((project / "reports/optimizers/trace.json").read_text())
    assert sorted(table) == ["beale", "rosenbrock", "saddle", "valley"]
    for rows in table.values():
        assert len(rows) == 7
        for row in rows.values():
            assert row["status"] in {"converged", "did not converge", "diverged"}
            assert (row["steps"] is None) == (row["status"] != "converged")
    figures = project / "reports/optimizers/trajectories"
    for surface in table:
        assert Image.open(figures / f"{surface}.png").format == "PNG"
        gif = Image.open(figures / f"{surface}.gif")
        assert gif.format == "GIF" and gif.n_frames == 5
    assert "| steps to tolerance |" in (project / "reports/optimizers/trace_table.md").read_text()
    (run,) = _runs(project, "optimizers")
    assert run.info.status == "FINISHED"


@pytest.mark.slow
def test_a_failing_stage_leaves_its_run_failed_and_no_outputs(project: Path) -> None:
    # No MNIST file: the stage must fail clearly, mark its MLflow run FAILED, write nothing.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    done = subprocess.run(
        [sys.executable, str(REPO / "pipeline" / "compare_optimizers.py")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0
    assert "mnist.npz" in done.stderr
    assert not (project / "reports").exists()
    assert not (project / "models" / "optimizers").exists()
    (run,) = _runs(project, "optimizers")
    assert run.info.status == "FAILED"
    assert "mnist.npz" in run.data.tags["dlpipe.error"]


GOOGLE_STYLE = """Date,Open,High,Low,Close,Volume
{rows}"""


def _random_walk_csv(days: int = 300) -> str:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    dates = pd.bdate_range("2012-01-03", periods=days)
    rows = [
        f'{d:%m/%d/%Y},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},"{v:,}"'
        for d, c, v in zip(dates, close, rng.integers(1_000_000, 9_000_000, days), strict=True)
    ]
    return GOOGLE_STYLE.format(rows="\n".join(rows))


@pytest.mark.slow
def test_stock_stages_from_a_google_style_csv(project: Path) -> None:
    (project / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    _run_stage(project, "fetch_stock_prices")
    data = json.loads((project / "reports/stocks/data.json").read_text())
    assert data["days"] == 300 and data["first_day"] == "2012-01-03"
    _run_stage(project, "train_stock_lstm")
    details = json.loads((project / "reports/stocks/details.json").read_text())
    assert {"lstm", "persistence", "moving_average", "linear"} <= set(details)
    assert details["persistence"]["rmse_ratio_to_persistence"] == 1.0
    assert details["lstm"]["rmse"] > 0 and len(details["walk_forward"]) == 2
    metrics = _headline(project, "reports/stocks/metrics.json")
    assert metrics["test/rmse"] == details["lstm"]["rmse"]
    assert metrics["baseline/rmse"] == details["persistence"]["rmse"]
    assert metrics["rmse_ratio"] == details["lstm"]["rmse_ratio_to_persistence"]
    predictions = pd.read_csv(project / "reports/stocks/predictions.csv")
    assert list(predictions.columns) == [
        "date",
        "actual",
        "lstm",
        "persistence",
        "moving_average",
        "linear",
    ]
    # Persistence on day t+1 is the actual price of day t: the series shifted by one day.
    np.testing.assert_allclose(
        predictions["persistence"].to_numpy()[1:],
        predictions["actual"].to_numpy()[:-1],
        rtol=1e-5,
    )
    report = (project / "reports/stocks/report.md").read_text()
    assert "persistence" in report and "Diebold-Mariano p =" in report
    assert "![Next-day price" in report
    (run,) = _runs(project, "stock_lstm")
    assert run.info.status == "FINISHED" and "dlpipe.verdict" in run.data.tags


def _write_movielens(folder: Path, users: int = 60, items: int = 40) -> None:
    """A small low-rank rating matrix in the official ml-100k layout (u.data, Latin-1 u.item)."""
    rng = np.random.default_rng(3)
    taste = rng.normal(size=(users, 2)) @ rng.normal(size=(2, items))
    rated = rng.random((users, items)) < 0.5
    u, i = np.nonzero(rated)
    stars = np.clip(np.round(3 + taste[u, i]), 1, 5).astype(int)
    folder.mkdir(parents=True)
    lines = [
        f"{a + 1}\t{b + 1}\t{r}\t{880000000 + k}"
        for k, (a, b, r) in enumerate(zip(u, i, stars, strict=True))
    ]
    (folder / "u.data").write_text("\n".join(lines) + "\n", encoding="utf-8")
    titles = [f"{b + 1}|Film n\u00b0{b + 1} (1995)|01-Jan-1995||http://x|0" for b in range(items)]
    (folder / "u.item").write_bytes(("\n".join(titles) + "\n").encode("latin-1"))


@pytest.mark.slow
def test_recommender_stages_from_a_local_folder(project: Path) -> None:
    _write_movielens(project / "ml")
    _run_stage(project, "fetch_movielens")
    log = _run_stage(project, "train_recommender")
    # Progress: which model of how many, which epoch of how many, its validation RMSE.
    assert "autoencoder 1/5 stacked: epoch 1/3: " in log and "val/rmse" in log
    assert re.search(r"autoencoder 5/5 autorec: done in \d+ s, \d+ epochs, best val RMSE", log)
    details = json.loads((project / "reports/recommender/details.json").read_text())
    assert {"global_mean", "biases", "matrix_factorization", "stacked"} <= set(details)
    for row in details.values():
        assert {"rmse", "mae", "per_user_loss", "precision@10", "recall@10", "ndcg@10"} <= set(row)
    metrics = _headline(project, "reports/recommender/metrics.json")
    best_baseline = min(
        details[m]["rmse"] for m in ("global_mean", "biases", "matrix_factorization")
    )
    assert metrics["baseline/rmse"] == best_baseline and metrics["data/test_ratings"] > 0
    report = (project / "reports/recommender/report.md").read_text()
    assert "User 1:" in report and "Film n\u00b0" in report
    runs = _runs(project, "recommender")
    assert all(r.info.status == "FINISHED" for r in runs)
    assert (project / "models/recommender/recommendations.npz").is_file()


SHARED_GALLERY = data_path(REPO, "../shared/data/faces/five-celebrities")
FACE_STAGES = (
    "crawl_face_images", "extract_faces", "split_faces", "embed_faces", "train_face_cnn"
)  # fmt: skip


def _small_gallery(target: Path, people: int = 3, photos: int = 5) -> None:
    """The first photos of a few people from the shared set (tests only; never in the repo)."""
    if not SHARED_GALLERY.is_dir():
        pytest.skip(f"{SHARED_GALLERY} is not on this machine")
    for person in sorted(p for p in SHARED_GALLERY.iterdir() if p.is_dir())[:people]:
        (target / person.name).mkdir(parents=True)
        for photo in sorted(person.iterdir())[:photos]:
            (target / person.name / photo.name).write_bytes(photo.read_bytes())


@pytest.mark.slow
def test_face_stages_crawl_extract_split_train_and_predict(project: Path) -> None:
    _small_gallery(project / "gallery")
    logs = {stage: _run_stage(project, stage) for stage in FACE_STAGES}
    # Quiet by default: no line per request or item from Scrapy, no library DEBUG lines.
    noisy = re.findall(r"^(?:DEBUG|INFO) (?:scrapy|PIL)\S*: .*$", logs["crawl_face_images"], re.M)
    assert not noisy, noisy[:3]
    crawl = json.loads((project / "reports/faces/crawl.json").read_text())
    assert crawl["skipped"] is None and crawl["images"]["ok"] + crawl["images"]["duplicate"] == 15
    assert crawl["people"] == 3 and crawl["scrapy"]["requests"] >= 15
    manifest = pd.read_csv(project / "data/raw/faces/manifest.csv")
    assert len(manifest) == 15 and set(manifest["person"]) == {
        p.name for p in (project / "gallery").iterdir()
    }
    audit = pd.read_csv(project / "reports/faces/audit.csv")
    extract = json.loads((project / "reports/faces/extract.json").read_text())
    assert len(audit) == crawl["images"]["ok"] and extract["accepted"] == audit["accepted"].sum()
    assert extract["accepted"] >= 9
    sheets = sorted(p.name for p in (project / "reports/faces/sheets").iterdir())
    assert "rejected.png" in sheets and len(sheets) == 4
    splits = pd.read_csv(project / "data/processed/faces/splits.csv")
    assert len(splits) == extract["accepted"] and {"train", "val", "test"} <= set(splits["split"])
    embedded = json.loads((project / "reports/faces/embed.json").read_text())
    assert embedded["faces"] == len(splits) and "seconds" not in json.dumps(embedded)
    details = json.loads((project / "reports/faces/details.json").read_text())
    for model in ("embedding", "cnn", "eigenfaces"):
        assert 0.0 <= details[model]["test"]["accuracy"] <= 1.0
        assert set(details[model]["test_per_person"]) <= set(manifest["person"])
    assert set(details["pairwise_tests"]) == {
        "embedding_vs_cnn", "embedding_vs_eigenfaces", "cnn_vs_eigenfaces"
    }  # fmt: skip
    metrics = _headline(project, "reports/faces/metrics.json")
    assert metrics["test/accuracy"] == details["embedding"]["test"]["accuracy"]
    assert metrics["baseline/accuracy"] == details["cnn"]["test"]["accuracy"]
    assert metrics["eigenfaces/accuracy"] == details["eigenfaces"]["test"]["accuracy"]
    assert metrics["p_value"] == details["pairwise_tests"]["embedding_vs_cnn"]["p_value"]
    assert metrics["unknown/threshold"] == details["unknown"]["threshold"]
    assert 0 < metrics["unknown/threshold"] <= 0.6 and 0 <= metrics["unknown/false_accept"] <= 1
    predictions = pd.read_csv(project / "reports/faces/test_predictions.csv")
    assert list(predictions.columns) == ["actual", "embedding", "cnn", "eigenfaces"]
    assert len(predictions) == metrics["data/test"]
    report = (project / "reports/faces/report.md").read_text()
    assert "Eigenfaces + SVM" in report and "## Unknown faces" in report
    assert "embedding_map.png" in report
    with Image.open(project / "reports/faces/embedding_map.png") as picture:
        assert picture.size[0] > 100
    runs = _runs(project, "faces")
    assert sorted(r.info.run_name for r in runs) == sorted(
        ["crawl_face_images", "extract_faces", "embed_faces", "train_face_cnn"]
    )
    assert all(r.info.status == "FINISHED" for r in runs)
    accepted = audit[audit["accepted"]].iloc[0]
    stored = manifest.loc[manifest["sha256"] == accepted["key"], "path"].iloc[0]
    photo = project / "data/raw/faces" / stored
    said = _predict(project, photo)
    assert said.returncode == 0, said.stderr
    assert any(name in said.stdout for name in set(manifest["person"]))
    assert "distance" in said.stdout and "face box" in said.stdout
    said = _predict(project, photo, "--model", "models/face_cnn/model.pt")
    assert said.returncode == 0 and "probability" in said.stdout, said.stderr
    stranger = _stranger_photo()
    said = _predict(project, stranger)
    # A person left out of the tiny gallery: "unknown", or (a look-alike) some gallery person.
    assert said.returncode == 0, said.stderr
    first = said.stdout.split(": ", 1)[1]
    assert first.startswith("unknown (distance") or first.split(" ")[0] in set(manifest["person"])
    blank = project / "blank.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    said = _predict(project, blank)
    assert said.returncode == 1 and "no usable face" in said.stdout
    text = project / "notes.jpg"
    text.write_text("not a photo", encoding="utf-8")
    said = _predict(project, text)
    assert said.returncode == 1 and "unreadable" in said.stdout


def _stranger_photo() -> Path:
    """A photo of the last person of the shared set, whom _small_gallery leaves out."""
    last = sorted(p for p in SHARED_GALLERY.iterdir() if p.is_dir())[-1]
    return sorted(last.iterdir())[0]


def _predict(project: Path, photo: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return subprocess.run(
        [sys.executable, "-m", "dlpipe.cli", "predict-face", str(photo), *extra],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_face_stages_record_skipped_without_a_gallery(project: Path) -> None:
    for stage in FACE_STAGES:
        _run_stage(project, stage)
    for name in ("crawl", "extract", "splits", "details"):
        metrics = json.loads((project / f"reports/faces/{name}.json").read_text())
        assert metrics["skipped"].startswith("no images"), (name, metrics)
    assert _headline(project, "reports/faces/metrics.json") == {"skipped": 1}
    assert "gallery" in json.loads((project / "reports/faces/crawl.json").read_text())["skipped"]
    assert "Skipped: no images" in (project / "reports/faces/report.md").read_text()
