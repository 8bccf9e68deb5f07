"""Test helpers for the serving tests: what the stages leave behind, built small, and a way to
run the installed `dlpipe` console script on this checkout's code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from dlpipe.config import FaceAugment, FaceCnnConfig, StockLstmConfig, TrainingConfig
from dlpipe.datasets.movielens import Ratings, save_ratings
from dlpipe.datasets.stocks import PriceSeries, save_prices
from dlpipe.models.components.face_cnn import FaceCNN
from dlpipe.models.face_model_io import save_face_model
from dlpipe.paths import data_path
from dlpipe.serving.recommendations import save, top_unseen
from dlpipe.tracking import RunLogger, start_run

REPO = Path(__file__).resolve().parents[2]
SHARED_GALLERY = data_path(REPO, "../shared/data/faces/five-celebrities")


# --- the console script -----------------------------------------------------------------------


def dlpipe_script() -> str:
    """The `dlpipe` console script installed beside this interpreter (`pip install -e .`)."""
    bin_dir = Path(sys.executable).parent
    found = shutil.which("dlpipe", path=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    assert found, f"no `dlpipe` script beside {sys.executable}: run `pip install -e .` (or make)"
    return found


def run_dlpipe(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`dlpipe ARGS...` in `cwd`, on this checkout's src/ (as the stage tests run scripts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(
        [dlpipe_script(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def scratch_project(root: Path) -> Path:
    """A folder that `paths.project_root` takes for a project (it holds a dvc.yaml)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    return root


def register_in(root: Path, family: str, register: Callable[[RunLogger], str | None]) -> str:
    """Run `register(run)` in a run of `family`'s experiment in the tracking store of the
    project at `root` (MLFLOW_TRACKING_URI, when set, wins: unset it for the project's own)."""
    with start_run(root, family, "test_registration", {}) as run:
        version = register(run)
    assert version is not None
    return version


# --- stock LSTM -------------------------------------------------------------------------------

CPU_TRAINING = {
    "accelerator": "cpu",
    "devices": 1,
    "cpu_threads": 1,
    "deterministic": True,
    "progress_bar": False,
    "num_workers": 0,
    "log_every_n_steps": 1,
}


def cpu_training() -> TrainingConfig:
    return TrainingConfig(**CPU_TRAINING)


def stock_cfg(**overrides) -> StockLstmConfig:
    options = {
        "target": "close",
        "features": ("close",),
        "window": 8,
        "val_fraction": 0.15,
        "test_fraction": 0.15,
        "residual": True,
        "hidden_size": 6,
        "num_layers": 2,
        "dropout": 0.1,
        "head_sizes": (4,),
        "batch_size": 32,
        "max_epochs": 3,
        "patience": 2,
        "optimizer": "adam",
        "optimizer_hyper": {"lr": 0.01},
        "moving_average_days": 5,
        "walk_forward_windows": 0,
    }
    options.update(overrides)
    return StockLstmConfig(**options)


def random_walk_prices(days: int = 180, seed: int = 5) -> pd.DataFrame:
    """Daily OHLCV in the layout save_prices writes, around 2500 like the S&P 500."""
    rng = np.random.default_rng(seed)
    close = 2500 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    open_ = close * np.exp(rng.normal(0, 0.003, days))
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.004,
            "low": np.minimum(open_, close) * 0.996,
            "close": close,
            "volume": rng.integers(1_000_000, 9_000_000, days).astype(np.float64),
        },
        index=pd.DatetimeIndex(pd.bdate_range("2018-01-02", periods=days), name="date"),
    )


def write_prices(frame: pd.DataFrame, path: Path) -> Path:
    save_prices(PriceSeries(frame, "synthetic", {}), path)
    return path


# --- recommender ------------------------------------------------------------------------------


def small_recommendations():
    scores = np.array([[5.0, 1.0, 4.0, 3.0], [2.0, 4.5, 1.0, 3.5]])
    seen = np.array([[True, False, False, False], [False, True, True, True]])
    return top_unseen("stacked", scores, seen, np.array([10, 20]), np.array([101, 102, 103, 104]))


def small_titles() -> pd.Series:
    titles = pd.Series({i: f"Movie {i}" for i in (101, 102, 103, 104)}, name="title")
    titles.index.name = "item"
    return titles


def recommender_project(root: Path) -> Path:
    """What train_recommender and fetch_movielens leave behind, in a scratch project."""
    scratch_project(root)
    save(small_recommendations(), root / "models" / "recommender" / "recommendations.npz")
    ratings = pd.DataFrame(
        {"user": [10, 20], "item": [101, 102], "rating": [4.0, 3.0], "timestamp": [1, 2]}
    )
    save_ratings(Ratings(ratings, small_titles(), "test", {}), root / "data" / "raw" / "movielens")
    return root


# --- face CNN ---------------------------------------------------------------------------------

PEOPLE = ("ada", "grace", "alan")
EXTRACT = {
    "cascade": "haarcascade_frontalface_default.xml",
    "scale_factor": 1.1,
    "min_neighbors": 5,
    "min_size": 30,
    "eye_check": False,
    "eye_cascade": "haarcascade_eye.xml",
    "multiple_faces": "largest",
    "margin": 0.2,
    "size": 24,
    "color": "grey",
    "equalize": True,
    "detect_max_side": 800,
    "min_side": 48,
    "max_pixels": 40_000_000,
    "workers": 1,
    "sheet_columns": 10,
}


def save_tiny_face_model(path: Path, **extract_changes) -> FaceCNN:
    """An untrained two-layer face CNN for 24 x 24 grey crops, saved as the stage saves one."""
    cfg = FaceCnnConfig(
        channels=(4, 8),
        kernel_size=3,
        dense=(8,),
        dropout=0.0,
        batch_norm=False,
        augment=FaceAugment(flip=False, rotation_deg=0.0, shift=0.0, brightness=0.0),
        balance="none",
        optimizer="adam",
        optimizer_hyper={"lr": 0.01},
        batch_size=4,
        max_epochs=1,
        patience=1,
    )
    torch.manual_seed(0)
    network = FaceCNN(1, 24, len(PEOPLE), cfg.channels, cfg.kernel_size, cfg.dense, 0.0, False)
    extract = {**EXTRACT, **extract_changes}
    save_face_model(path, network, PEOPLE, cfg, in_channels=1, size=24, extract=extract)
    return network


def blank_photo(path: Path) -> Path:
    Image.new("RGB", (200, 200), (128, 128, 128)).save(path)
    return path


def gallery_photos() -> list[Path]:
    """The shared five-celebrity photos (tests only, never in the repo); [] when absent."""
    if not SHARED_GALLERY.is_dir():
        return []
    return sorted(SHARED_GALLERY.glob("*/*.jp*g"))
