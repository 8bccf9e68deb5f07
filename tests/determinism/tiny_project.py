"""A tiny project for the determinism tests, and running its training stages in a subprocess.

The project is the stage smoke tests' scratch project (tests/test_stages.py: params shrunk to
seconds per stage, synthetic digits, prices and ratings, five photos each of three people from
the shared gallery) with two optimizers to compare and tuning studies of three two-epoch
trials. `prepare` runs the stages that only fetch, extract and split once; copies of it then
train with the same or another seed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from dlpipe.datasets.mnist import save_splits
from synthetic_data import synthetic_mnist
from test_stages import REPO, _random_walk_csv, _small_gallery, _write_movielens, scratch_project

DRIVER = Path(__file__).with_name("run_stages.py")
INPUT_STAGES = (
    "fetch_stock_prices",
    "fetch_movielens",
    "crawl_face_images",
    "extract_faces",
    "split_faces",
)
TUNED = ("stock_lstm", "classifiers")
TINY_TUNING = {
    "stock_lstm": {
        "trials": 3,
        "timeout_s": 600,  # never reached: a timeout would make the trial count depend on time
        "max_epochs": 2,
        "space": {
            "stock_lstm.optimizer_hyper.lr": {"low": 0.001, "high": 0.05, "log": True},
            "stock_lstm.hidden_size": {"low": 2, "high": 8, "log": True},
        },
    },
    "classifiers": {
        "trials": 3,
        "timeout_s": 600,
        "max_epochs": 2,
        "test_fraction": 0.2,
        "space": {
            "classifiers.ann.hidden_units": {"low": 2, "high": 16, "log": True},
            "classifiers.ann.lr": {"low": 0.001, "high": 0.05, "log": True},
        },
    },
}


def prepare(folder: Path) -> Path:
    """The tiny project with every training stage's inputs in place (and no MLflow store)."""
    project = scratch_project(folder)
    params = read_params(project)
    params["tuning"]["families"] = {family: TINY_TUNING[family] for family in TUNED}
    params["tuning"]["pruner"] = {"startup_trials": 1, "warmup_epochs": 1}
    kept = {"sgd", "adam"}  # the baseline and one adaptive rule: 5 s less per run than all 7
    optimizers = params["compare_optimizers"]["optimizers"]
    params["compare_optimizers"]["optimizers"] = {k: v for k, v in optimizers.items() if k in kept}
    write_params(project, params)
    save_splits(synthetic_mnist(), project / "data/raw/mnist.npz")
    (project / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    _write_movielens(project / "ml")
    _small_gallery(project / "gallery")
    run_stages(project, INPUT_STAGES, hash_seed=0).wait_checked()
    shutil.rmtree(project / "mlruns")  # each copy opens its own store
    return project


def copy_with_seed(base: Path, target: Path, seed: int) -> Path:
    shutil.copytree(base, target)
    params = read_params(target)
    params["seed"] = seed
    write_params(target, params)
    return target


def read_params(project: Path) -> dict:
    return yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))


def write_params(project: Path, params: dict) -> None:
    text = yaml.safe_dump(params, sort_keys=False)
    (project / "params.yaml").write_text(text, encoding="utf-8")


class StageRun:
    """The stages of one project running in one subprocess; its log goes to run.log there."""

    def __init__(self, project: Path, stages: Sequence[str], hash_seed: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env.update(PYTHONPATH=str(REPO / "src"), PYTHONHASHSEED=str(hash_seed))
        self.log = project / "run.log"
        with self.log.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(DRIVER), *stages],
                cwd=project,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_checked(self, timeout: float = 600) -> None:
        code = self.process.wait(timeout=timeout)
        tail = self.log.read_text(encoding="utf-8")[-3000:]
        assert code == 0, f"{self.log} (exit {code}):\n{tail}"


def run_stages(project: Path, stages: Sequence[str], hash_seed: int) -> StageRun:
    """Start `stages` in order in `project`; different `hash_seed`s give str and set orders
    that differ between runs (PYTHONHASHSEED), as two DVC runs in two processes would."""
    return StageRun(project, stages, hash_seed)
