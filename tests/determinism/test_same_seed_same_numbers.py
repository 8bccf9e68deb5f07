"""Determinism: each training stage, run twice with the same seed, writes identical numbers.

Three copies of one tiny project (tiny_project.py) train every family: `first` and `again` with
the same seed, `other` with another. `again` runs the stages in the opposite order and with
another PYTHONHASHSEED, so a stage that leaned on random state left by an earlier stage, or on
the order of a set of strings, would write other numbers. The three run side by side, so the
comparison also covers runs that compete for the CPU. Equality is exact: the headline file
(metrics.json) and the per-epoch history (or per-trial, for tuning) are compared value by value.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from tiny_project import TUNED, copy_with_seed, prepare, run_stages

SEED = 42
# (file, top-level key or None): the headline first, then the history of each stage.
COMPARED: dict[str, tuple[tuple[str, str | None], ...]] = {
    "compare_optimizers": (
        ("reports/optimizers/metrics.json", None),
        ("reports/optimizers/train_loss.csv", None),
        ("reports/optimizers/val_loss.csv", None),
        ("reports/optimizers/val_acc.csv", None),
    ),
    "train_stock_lstm": (
        ("reports/stocks/metrics.json", None),
        ("reports/stocks/learning_curves.csv", None),
        ("reports/stocks/predictions.csv", None),
    ),
    "train_recommender": (
        ("reports/recommender/metrics.json", None),
        ("reports/recommender/learning_curves.csv", None),
    ),
    "embed_faces": (
        ("reports/faces/embed.json", None),
        ("data/processed/faces/embeddings.npz", None),
    ),
    "train_face_cnn": (
        ("reports/faces/metrics.json", None),
        ("reports/faces/learning_curves.csv", None),
        ("reports/faces/test_predictions.csv", None),
    ),
    "compare_classifiers": (
        ("reports/classifiers/metrics.json", None),
        ("reports/classifiers/oof_predictions.csv", None),
    ),
    "study_ann": (
        ("reports/classifiers/study/metrics.json", None),
        ("reports/classifiers/study/dropout.csv", None),
        ("reports/classifiers/study/search_progress.csv", None),
    ),
    "train_digit_classifier": (
        ("reports/generative/classifier/metrics.json", None),
        ("reports/generative/classifier/learning_curves.csv", None),
    ),
    "train_vae": (
        ("reports/generative/vae/metrics.json", None),
        ("reports/generative/vae/learning_curves.csv", None),
    ),
    "train_gan": (
        ("reports/generative/gan/metrics.json", None),
        ("reports/generative/gan/losses.csv", None),
    ),
}
for _family in TUNED:
    COMPARED[f"tune@{_family}"] = (
        (f"reports/tuning/{_family}/metrics.json", None),
        (f"reports/tuning/{_family}/best_params.yaml", None),
        (f"reports/tuning/{_family}/details.json", "trials"),
    )
    COMPARED[f"train_tuned@{_family}"] = (
        (f"reports/tuning/{_family}/tuned_metrics.json", None),
        (f"reports/tuning/{_family}/tuned.json", None),
    )
# Stages that must follow another: each chain runs in this order; the chains run forwards in
# `first` and backwards in `again`.
CHAINS = (
    ("compare_optimizers",),
    ("train_stock_lstm",),
    ("train_recommender",),
    ("embed_faces", "train_face_cnn"),
    ("compare_classifiers",),
    ("study_ann",),
    ("train_digit_classifier", "train_vae", "train_gan"),
    *((f"tune@{family}", f"train_tuned@{family}") for family in TUNED),
)
UNSEEDED = {"embed_faces"}  # a pretrained network, no random draws at jitter <= 1: no seed
TIMING = "seconds"  # keys holding wall-clock time (a tuning estimate, a trial's duration)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = prepare(tmp_path_factory.mktemp("base"))
    root = tmp_path_factory.mktemp("runs")
    forwards = [stage for chain in CHAINS for stage in chain]
    backwards = [stage for chain in reversed(CHAINS) for stage in chain]
    projects = {
        "first": (copy_with_seed(base, root / "first", SEED), forwards, 1),
        "again": (copy_with_seed(base, root / "again", SEED), backwards, 2),
        "other": (copy_with_seed(base, root / "other", SEED + 1), forwards, 1),
    }
    started = [run_stages(*setting) for setting in projects.values()]
    for run in started:
        run.wait_checked()
    return {name: setting[0] for name, setting in projects.items()}


def test_every_training_stage_is_compared() -> None:
    stages = yaml.safe_load((Path(__file__).parents[2] / "dvc.yaml").read_text())["stages"]
    trained = {name for name, spec in stages.items() if "training" in _params(spec)}
    assert trained - {"tune", "train_tuned"} <= set(COMPARED)
    assert {name.split("@")[0] for name in COMPARED} >= {"tune", "train_tuned"}


@pytest.mark.slow
@pytest.mark.parametrize("stage", COMPARED)
def test_the_same_seed_gives_identical_numbers(runs: dict[str, Path], stage: str) -> None:
    for relative, part in COMPARED[stage]:
        first = _numbers(runs["first"] / relative, part)
        assert first, f"{relative} holds no numbers"
        assert first == _numbers(runs["again"] / relative, part), relative


@pytest.mark.slow
@pytest.mark.parametrize("stage", sorted(set(COMPARED) - UNSEEDED))
def test_another_seed_gives_other_numbers(runs: dict[str, Path], stage: str) -> None:
    files = COMPARED[stage]
    first = [_numbers(runs["first"] / relative, part) for relative, part in files]
    assert first != [_numbers(runs["other"] / relative, part) for relative, part in files]


def _params(spec: dict[str, Any]) -> list[str]:
    body = spec.get("do", spec)
    return [p if isinstance(p, str) else next(iter(p)) for p in body.get("params", [])]


def _numbers(path: Path, part: str | None) -> Any:
    """The file's content as comparable values (floats exactly as written), without timings."""
    if path.suffix == ".npz":
        with np.load(path) as arrays:
            return {key: arrays[key].tolist() for key in sorted(arrays.files)}
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return text.splitlines()
    content = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return _without_timings(content[part] if part else content)


def _without_timings(value: Any) -> Any:
    """Drops timing keys; NaN becomes "nan" (a NaN is not equal to itself)."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if TIMING not in k}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value
