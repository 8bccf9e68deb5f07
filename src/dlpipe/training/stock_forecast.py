"""The stock LSTM end to end: scaled windows in, next-day prices out, next to the baselines.

Every number that leaves here is a price on the test days, for the LSTM and for each baseline on
exactly the same days; scalers only ever see training samples.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dlpipe.config import StockLstmConfig, TrainingConfig
from dlpipe.data.stock_windows import (
    Scaler,
    WindowedSeries,
    fit_scaler,
    fit_target_scaler,
    from_residual,
    inverse_transform,
    split_chronological,
    to_price,
    to_residual,
    transform,
)
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.evaluation.forecast_metrics import metric_table, walk_forward_splits
from dlpipe.evaluation.forecast_tests import diebold_mariano
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.regression_module import RegressionModule
from dlpipe.models.stock_model_io import relative_to_reference
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import RunLogger
from dlpipe.training.fit import fit
from dlpipe.training.forecast_baselines import baseline_forecasts


@dataclass(frozen=True)
class Forecast:
    """Test-day prices: the actual ones, today's reference, and each model's prediction."""

    dates: pd.DatetimeIndex
    actual: np.ndarray
    reference: np.ndarray
    predictions: Mapping[str, np.ndarray]
    metrics: Mapping[str, Mapping[str, float]]
    history: Mapping[str, tuple[float, ...]]
    dm_p_value: float  # Diebold-Mariano, LSTM vs persistence (squared errors)
    # What a saved model needs (`dlpipe.models.stock_model_io.save_stock_model`): the trained
    # network with its best weights (a CPU copy, eval mode) and the scalers of `model_inputs`.
    network: LSTMRegressor
    x_scaler: Scaler
    y_scaler: Scaler


@dataclass(frozen=True)
class Inputs:
    """Model-ready arrays for every sample (scaled with statistics from training samples only)."""

    x: np.ndarray
    y: np.ndarray
    x_scaler: Scaler
    y_scaler: Scaler


def model_inputs(series: WindowedSeries, train_idx: np.ndarray, cfg: StockLstmConfig) -> Inputs:
    """Windows relative to today's price (scale-free, so a level never seen in training is no
    extrapolation), then standardised; targets as the change from today when `residual`."""
    x = relative_to_reference(series.x, series.feature_names, series.reference)
    x_scaler = fit_scaler(x[train_idx].reshape(-1, x.shape[-1]))
    y = to_residual(series.target, series.y, series.reference) if cfg.residual else series.y
    y_scaler = fit_target_scaler(series, train_idx, residual=cfg.residual)
    return Inputs(
        x=transform(x_scaler, x).astype(np.float32),
        y=transform(y_scaler, y).astype(np.float32),
        x_scaler=x_scaler,
        y_scaler=y_scaler,
    )


def _pairs(inputs: Inputs, idx: np.ndarray) -> TensorPairs:
    return TensorPairs(torch.from_numpy(inputs.x[idx]), torch.from_numpy(inputs.y[idx]))


def train_lstm(
    inputs: Inputs,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    cfg: StockLstmConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> tuple[RegressionModule, dict[str, tuple[float, ...]]]:
    """Fit with early stopping on val/loss; the returned module holds the best weights."""
    torch.manual_seed(seed)
    network = LSTMRegressor(
        inputs.x.shape[-1], cfg.hidden_size, cfg.num_layers, cfg.dropout, cfg.head_sizes
    )
    module = RegressionModule(network, optimizer_factory(cfg.optimizer, cfg.optimizer_hyper))
    data = PairsDataModule(_pairs(inputs, train_idx), _pairs(inputs, val_idx), cfg.batch_size, seed)
    fitted = fit(
        module,
        data,
        training,
        seed=seed,
        max_epochs=cfg.max_epochs,
        checkpoint_dir=checkpoint_dir,
        run=run,
        patience=cfg.patience,
        history_keys=("train/loss", "val/loss"),
        label="stock LSTM",
    )
    return module, dict(fitted.history)


def predict_prices(
    module: RegressionModule,
    inputs: Inputs,
    series: WindowedSeries,
    idx: np.ndarray,
    cfg: StockLstmConfig,
) -> np.ndarray:
    module.eval()
    with torch.no_grad():
        scaled = module(torch.from_numpy(inputs.x[idx]).to(module.device)).cpu().numpy()
    values = inverse_transform(inputs.y_scaler, scaled.astype(np.float64))
    if cfg.residual:
        values = from_residual(series.target, values, series.reference[idx])
    return to_price(series.target, values, series.reference[idx])


def forecast(
    series: WindowedSeries,
    cfg: StockLstmConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> Forecast:
    """Chronological train/val/test; the LSTM and every baseline on the same test days."""
    train_idx, val_idx, test_idx = split_chronological(
        len(series), cfg.val_fraction, cfg.test_fraction
    )
    inputs = model_inputs(series, train_idx, cfg)
    module, history = train_lstm(
        inputs, train_idx, val_idx, cfg, training, seed, run, checkpoint_dir
    )
    # Baselines may use training and validation days (they are all before the test days).
    fit_idx = np.concatenate([train_idx, val_idx])
    predictions = {
        "lstm": predict_prices(module, inputs, series, test_idx, cfg),
        **baseline_forecasts(series, fit_idx, test_idx, cfg.moving_average_days),
    }
    actual, reference = series.actual_price[test_idx], series.reference[test_idx]
    return Forecast(
        dates=series.dates[test_idx],
        actual=actual,
        reference=reference,
        predictions=predictions,
        metrics=metric_table(actual, reference, predictions),
        history=history,
        dm_p_value=diebold_mariano(actual, predictions["lstm"], predictions["persistence"])[1],
        network=copy.deepcopy(module.network).cpu().eval(),
        x_scaler=inputs.x_scaler,
        y_scaler=inputs.y_scaler,
    )


def walk_forward(
    series: WindowedSeries,
    cfg: StockLstmConfig,
    training: TrainingConfig,
    seed: int,
    checkpoint_dir: Path,
) -> list[dict[str, dict[str, float]]]:
    """Refit on an expanding window before each successive test block; metrics per block.

    Each refit keeps the last `val_fraction` of its training part for early stopping.
    """
    _, _, test_idx = split_chronological(len(series), cfg.val_fraction, cfg.test_fraction)
    blocks = []
    for i, (past, block) in enumerate(
        walk_forward_splits(len(series), int(test_idx[0]), cfg.walk_forward_windows)
    ):
        n_val = max(1, round(len(past) * cfg.val_fraction))
        train_idx, val_idx = past[:-n_val], past[-n_val:]
        inputs = model_inputs(series, train_idx, cfg)
        module, _ = train_lstm(
            inputs, train_idx, val_idx, cfg, training, seed, None, checkpoint_dir / f"block{i}"
        )
        predictions = {
            "lstm": predict_prices(module, inputs, series, block, cfg),
            **baseline_forecasts(series, past, block, cfg.moving_average_days),
        }
        blocks.append(
            metric_table(series.actual_price[block], series.reference[block], predictions)
        )
    return blocks
