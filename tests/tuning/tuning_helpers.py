"""Helpers for the tuning tests: the repo's params.yaml shrunk to a second per trial, synthetic
daily prices."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from dlpipe.config import Params, build

REPO = Path(__file__).resolve().parents[2]


def repo_raw() -> dict[str, Any]:
    return yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))


def tiny_raw(repo_raw: dict[str, Any]) -> dict[str, Any]:
    """Params for seconds-long studies: a 2-epoch ANN on 2 folds, a 4-unit LSTM."""
    raw = copy.deepcopy(repo_raw)
    raw["training"].update(progress_bar=False, accelerator="cpu")
    raw["classifiers"]["ann"].update(hidden_units=8, max_epochs=2)
    raw["ann_study"]["search"]["folds"] = 2
    raw["stock_lstm"].update(
        window=10, hidden_size=4, num_layers=1, dropout=0.0, patience=10, max_epochs=4
    )
    raw["stock_lstm"]["optimizer_hyper"] = {"lr": 0.01}
    tuning = raw["tuning"]
    tuning["pruner"] = {"startup_trials": 1, "warmup_epochs": 1}
    tuning["families"] = {
        "classifiers": {
            "trials": 3,
            "timeout_s": 600,
            "max_epochs": 2,
            "test_fraction": 0.2,
            "space": {
                "classifiers.ann.hidden_units": {"low": 2, "high": 16, "log": True},
                "classifiers.ann.lr": {"low": 0.001, "high": 0.05, "log": True},
            },
        }
    }
    return raw


def write_params(root: Path, raw: dict[str, Any]) -> Params:
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return build(Params, raw, "params")


def read_raw(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))


def write_prices(root: Path, days: int = 300, seed: int = 0) -> None:
    """A random walk of daily prices where fetch_stock_prices would write them."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    frame = pd.DataFrame(
        {
            "open": close * (1 + rng.normal(0, 0.002, days)),
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.integers(1_000, 2_000, days).astype(float),
        },
        index=pd.bdate_range("2020-01-01", periods=days, name="date"),
    )
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["low"] = frame[["open", "low", "close"]].min(axis=1)
    path = root / "data" / "raw" / "stock_prices.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frame.to_csv(date_format="%Y-%m-%d", lineterminator="\n"), encoding="utf-8")
