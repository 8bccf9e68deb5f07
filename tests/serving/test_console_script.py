"""Every subcommand end to end through the installed `dlpipe` console script, as a user runs it:
exit status, what goes to stdout, and one `error: ...` line (never a traceback) on stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from serving_helpers import (
    REPO,
    blank_photo,
    cpu_training,
    gallery_photos,
    random_walk_prices,
    recommender_project,
    register_in,
    run_dlpipe,
    save_tiny_face_model,
    scratch_project,
    small_titles,
    stock_cfg,
    write_prices,
)

from dlpipe.data.stock_windows import build_dataset
from dlpipe.datasets.stocks import load_prices
from dlpipe.models.stock_model_io import save_stock_model
from dlpipe.serving.forecast import next_day_forecast
from dlpipe.serving.pyfunc import register_face_model, register_recommender, register_stock_model
from dlpipe.training.stock_forecast import forecast

pytestmark = pytest.mark.slow


def assert_clean_error(done, code: int, starts: str) -> None:
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith(starts), done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.fixture(autouse=True)
def _project_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script (no MLFLOW_ variables) reads the project's own tracking store."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_forecast(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    done = run_dlpipe("forecast", cwd=project)
    assert_clean_error(
        done, 2, "error: no registered model dlpipe-stock_lstm yet: run `make repro` first"
    )
    csv = write_prices(random_walk_prices(), project / "data/raw/stock_prices.csv")
    cfg = stock_cfg()
    frame = load_prices(csv).frame
    series = build_dataset(frame, cfg.features, cfg.target, cfg.window)
    result = forecast(series, cfg, cpu_training(), 0, None, tmp_path / "checkpoints")
    model = project / "models/stock_lstm/model.pt"
    save_stock_model(model, result.network, result.x_scaler, result.y_scaler, cfg)
    register_in(project, "stock_lstm", lambda run: register_stock_model(run, model, frame))
    day = next_day_forecast(root=project)
    done = run_dlpipe("forecast", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"data/raw/stock_prices.csv: last day {day.last_day:%Y-%m-%d} close "
        f"{day.last_price:.2f}; next trading day forecast {day.forecast:.2f} "
        f"({day.forecast - day.last_price:+.2f}; persistence {day.persistence:.2f})\n"
    )
    assert done.stderr == ""  # quiet by default
    verbose = run_dlpipe("-v", "forecast", "--csv", str(csv), "--model", str(model), cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stdout == "project/" + done.stdout  # the CSV's path, from tmp_path
    assert "INFO dlpipe.serving.forecast: loading the stock model" in verbose.stderr


def test_recommend(tmp_path: Path) -> None:
    empty = scratch_project(tmp_path / "empty")
    done = run_dlpipe("recommend", "42", cwd=empty)
    assert_clean_error(
        done, 2, "error: no registered model dlpipe-recommender yet: run `make repro` first"
    )
    project = recommender_project(tmp_path / "project")
    npz = project / "models/recommender/recommendations.npz"
    register_in(
        project, "recommender", lambda run: register_recommender(run, npz, small_titles(), [10])
    )
    done = run_dlpipe("recommend", "10", "-n", "2", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Top 2 unseen movies for user 10 (stacked):",
        " 1. Movie 103  [movie 103, predicted 4.00]",
        " 2. Movie 104  [movie 104, predicted 3.00]",
    ]
    assert_clean_error(run_dlpipe("recommend", "7", cwd=project), 2, "error: unknown user id 7")
    bad = run_dlpipe("recommend", "seven", cwd=project)
    assert bad.returncode == 2 and "invalid int value: 'seven'" in bad.stderr


def test_predict_face(tmp_path: Path) -> None:
    project = scratch_project(tmp_path)
    blank = blank_photo(project / "blank.png")
    assert_clean_error(
        run_dlpipe("predict-face", str(blank), cwd=project),
        2,
        "error: no registered model dlpipe-faces yet: run `make repro` first",
    )
    model = project / "models/face_cnn/model.pt"
    save_tiny_face_model(model)
    register_in(project, "faces", lambda run: register_face_model(run, model, blank))
    done = run_dlpipe("predict-face", str(blank), cwd=project)
    assert done.returncode == 1 and done.stdout.startswith(f"{blank}: no usable face (")
    assert done.stderr == ""
    assert_clean_error(
        run_dlpipe("predict-face", "missing.jpg", cwd=project), 2, "error: missing.jpg: no such"
    )
    photos = gallery_photos()
    if photos:  # a real face: the shared gallery, when this machine has it
        done = run_dlpipe("predict-face", str(photos[0]), "--top", "3", cwd=project)
        assert done.returncode == 0, done.stderr
        assert "probability" in done.stdout and "face box" in done.stdout
        assert sum(line.startswith("  then ") for line in done.stdout.splitlines()) == 2


def _jpeg(size: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


def test_crawl(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["face_crawl"].update(gallery="gallery", download_delay_s=0.01, autothrottle=False)
    (project / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    done = run_dlpipe("crawl", "out", cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["skipped"].startswith("no images: gallery folder")
    for person, seeds in (("ada", (1, 2)), ("alan", (3,))):
        (project / "gallery" / person).mkdir(parents=True)
        for seed in seeds:
            (project / "gallery" / person / f"{seed}.jpg").write_bytes(_jpeg(64, seed))
    done = run_dlpipe("crawl", "out", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["skipped"] is None and report["stats"]["images/ok"] == 3
    assert len(list((project / "out" / "images").rglob("*.jpg"))) == 3
    assert "INFO" not in done.stderr  # Scrapy's progress lines only with -v
    verbose = run_dlpipe("crawl", "-v", "out2", cwd=project)
    assert verbose.returncode == 0 and "INFO scrapy.core.engine: Spider opened" in verbose.stderr
    params["face_crawl"].update(retries="two", timeout_s="soon")
    (project / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    done = run_dlpipe("crawl", "out", cwd=project)
    assert_clean_error(done, 2, f"error: {project / 'params.yaml'}: face_crawl.")
    assert done.stderr.endswith(" and 1 more (`dlpipe params check` lists them)\n")


def test_params_and_stages_on_this_project(tmp_path: Path) -> None:
    done = run_dlpipe("params", "check", cwd=REPO)
    assert (done.returncode, done.stdout) == (0, "params.yaml: OK\n"), done.stderr
    bad = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    bad["seed"] = "forty-two"
    bad["stock_lstm"]["window"] = -1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    done = run_dlpipe("params", "check", "params.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert [line.split(": ")[1] for line in done.stdout.splitlines()] == [
        "seed",
        "stock_lstm.window",
    ]
    done = run_dlpipe("stages", cwd=REPO)
    assert done.returncode == 0, done.stderr
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    listed = [line.split()[0] for line in done.stdout.splitlines()[2:] if line[:1].strip()]
    assert listed == list(stages)
