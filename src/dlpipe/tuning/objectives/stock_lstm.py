"""The stock LSTM: validation RMSE of next-day prices (the pruner watches val/loss per epoch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from dlpipe.config import Params
from dlpipe.data.stock_windows import build_dataset, split_chronological
from dlpipe.datasets.stocks import load_prices
from dlpipe.evaluation.errors import rmse
from dlpipe.training.stock_forecast import model_inputs, predict_prices, train_lstm
from dlpipe.tuning.objectives.base import Objective, Scores

PRICES = "data/raw/stock_prices.csv"


def load(params: Params, root: Path) -> pd.DataFrame:
    return load_prices(root / PRICES).frame


def score(
    params: Params, prices: pd.DataFrame, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    """Train as train_stock_lstm does (early stopping on val/loss, best epoch restored); RMSE
    in prices on the validation days (and the test days). A longer window drops a few of the
    first days, so the splits' edges move by a few days between windows."""
    cfg = params.stock_lstm
    series = build_dataset(prices, cfg.features, cfg.target, cfg.window)
    train_idx, val_idx, test_idx = split_chronological(
        len(series), cfg.val_fraction, cfg.test_fraction
    )
    inputs = model_inputs(series, train_idx, cfg)
    module, _ = train_lstm(
        inputs, train_idx, val_idx, cfg, params.training, params.seed, None, workdir
    )

    def on(idx: Any) -> float:
        return rmse(series.actual_price[idx], predict_prices(module, inputs, series, idx, cfg))

    return Scores(val=on(val_idx), test=on(test_idx) if with_test else None)


OBJECTIVE = Objective(
    family="stock_lstm",
    metric="rmse",
    direction="minimize",
    monitor="val/loss",
    fidelity=lambda params, epochs: {"stock_lstm.max_epochs": epochs},
    reads=("seed", "stocks", "stock_lstm"),
    data=(PRICES,),
    load=load,
    score=score,
)
