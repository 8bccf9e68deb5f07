"""Next-day forecasting samples from daily prices: targets, windows, chronological splits, scaling.

Sample i is anchored at a day t (a 0-based row of the frame): its inputs are rows t-window+1 .. t
of the feature columns and its target belongs to day t+1, so no input ever lies after day t.

Targets, with the reference ("today") price r they are measured against:
  "close":      y = close[t+1],               r = close[t]
  "open":       y = open[t+1],                r = open[t]
  "log_return": y = log(close[t+1]/close[t]), r = close[t]; a predicted y maps to r * exp(y)
Every metric is on prices: `to_price` maps a target (or a prediction of it) back to a price.

Residuals: `to_residual` gives y - r for the price targets (the model then learns the change from
today, whose scale the target scaler sets) and y itself for log returns, which are already a change
relative to r. `from_residual` undoes it. Whether to use them is the model's choice.

Scaling is standardisation per feature column, fit on training samples only:
  features: on every frame row up to the last input day of the training windows
            (`fit_feature_scaler`), so no validation/test target day or later row is seen;
  target:   on the training targets (or residuals) alone (`fit_target_scaler`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

TARGETS = ("close", "open", "log_return")


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")


def price_column(target: str) -> str:
    """The price column a target forecasts (log returns forecast the close)."""
    _check_target(target)
    return "close" if target == "log_return" else target


def target_history(prices: np.ndarray, target: str) -> np.ndarray:
    """The target quantity observed on each day (T,): the price, or the log return since the
    previous day (NaN on day 0). Sample anchored at day t has y = history[t + 1]."""
    _check_target(target)
    prices = np.asarray(prices, dtype=np.float64)
    if target != "log_return":
        return prices.copy()
    history = np.full(len(prices), np.nan)
    history[1:] = np.log(prices[1:] / prices[:-1])
    return history


def to_price(target: str, values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Target values (true or predicted) -> next-day prices, given the reference price r."""
    _check_target(target)
    values = np.asarray(values, dtype=np.float64)
    if target == "log_return":
        return np.asarray(reference, dtype=np.float64) * np.exp(values)
    return values.copy()


def to_residual(target: str, y: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The change from today: y - r for price targets, y itself for log returns."""
    _check_target(target)
    y = np.asarray(y, dtype=np.float64)
    if target == "log_return":
        return y.copy()
    return y - np.asarray(reference, dtype=np.float64)


def from_residual(target: str, residual: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Inverse of `to_residual`: back to the target's own units."""
    _check_target(target)
    residual = np.asarray(residual, dtype=np.float64)
    if target == "log_return":
        return residual.copy()
    return residual + np.asarray(reference, dtype=np.float64)


def make_windows(features: np.ndarray, window: int) -> np.ndarray:
    """(T, F) -> (T - window, window, F): sample k holds rows k .. k+window-1, i.e. it is anchored
    at day t = k + window - 1, for t = window-1 .. T-2 (the last day has no next day to predict)."""
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"features must be 2-D (T, F), got shape {features.shape}")
    if not 1 <= window < len(features):
        raise ValueError(f"window must be in [1, {len(features) - 1}], got {window}")
    views = sliding_window_view(features, window, axis=0)  # (T-window+1, F, window)
    return np.ascontiguousarray(views[:-1].transpose(0, 2, 1))


@dataclass(frozen=True, eq=False)
class WindowedSeries:
    """Aligned next-day samples; index i of every per-sample array is the same sample.

    x: (N, window, F) float32 unscaled inputs, rows t-window+1 .. t.
    y: (N,) target for day t+1.  reference: (N,) price r on day t.
    actual_price: (N,) price on day t+1, what every metric compares with.
    dates: the predicted days t+1.  day: (N,) the anchor row t (the last input row).
    features: (T, F) float64 all rows of the feature columns (scalers are fit on a prefix).
    history: (T,) the target quantity on each row, `target_history` (baselines look back in it).
    """

    x: np.ndarray
    y: np.ndarray
    reference: np.ndarray
    actual_price: np.ndarray
    dates: pd.DatetimeIndex
    day: np.ndarray
    features: np.ndarray
    history: np.ndarray
    feature_names: tuple[str, ...]
    target: str
    window: int

    def __len__(self) -> int:
        return len(self.y)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        raise ValueError(f"column {name!r} is missing; have {list(frame.columns)}")
    values = frame[name].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"column {name!r} has NaN or infinite values")
    return values


def build_dataset(
    frame: pd.DataFrame, features: Sequence[str], target: str, window: int
) -> WindowedSeries:
    """Windows of `features` and next-day targets from a daily price frame (DatetimeIndex,
    strictly increasing); one sample per day t = window-1 .. T-2."""
    _check_target(target)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError("frame must have a DatetimeIndex")
    if not (frame.index.is_monotonic_increasing and frame.index.is_unique):
        raise ValueError("frame dates must be strictly increasing")
    if not features:
        raise ValueError("at least one feature column is needed")
    matrix = np.column_stack([_column(frame, name) for name in features])
    prices = _column(frame, price_column(target))
    if target == "log_return" and (prices <= 0).any():
        raise ValueError("log returns need strictly positive close prices")
    x = make_windows(matrix, window).astype(np.float32)
    history = target_history(prices, target)
    day = np.arange(window - 1, len(frame) - 1)
    return WindowedSeries(
        x=x,
        y=history[day + 1],
        reference=prices[day],
        actual_price=prices[day + 1],
        dates=pd.DatetimeIndex(frame.index[day + 1]),
        day=day,
        features=matrix,
        history=history,
        feature_names=tuple(features),
        target=target,
        window=window,
    )


def _split_size(n: int, fraction: float) -> int:
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fractions must be in [0, 1), got {fraction}")
    return 0 if fraction == 0 else max(1, math.floor(n * fraction + 0.5))


def split_chronological(
    n: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous train | val | test index ranges over samples ordered by predicted day, so every
    train predicted day < every val predicted day < every test predicted day. Sizes round half up
    (at least 1 for a positive fraction); train is the rest and must not be empty."""
    n_val, n_test = _split_size(n, val_fraction), _split_size(n, test_fraction)
    n_train = n - n_val - n_test
    if n_train < 1:
        raise ValueError(f"{n} samples leave no training samples ({n_val} val, {n_test} test)")
    first_val, first_test = n_train, n_train + n_val
    return np.arange(first_val), np.arange(first_val, first_test), np.arange(first_test, n)


@dataclass(frozen=True, eq=False)
class Scaler:
    """Standardisation along the last axis: (v - mean) / std; a constant column keeps std 1."""

    mean: np.ndarray
    std: np.ndarray


def fit_scaler(values: np.ndarray) -> Scaler:
    """Column means and population std of (n,) or (n, F) values (pass training values only)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim not in (1, 2) or len(values) == 0:
        raise ValueError(f"need a non-empty (n,) or (n, F) array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("cannot fit a scaler on NaN or infinite values")
    mean, std = values.mean(axis=0), values.std(axis=0)
    constant = std <= 1e-12 * np.maximum(np.abs(mean), 1.0)
    return Scaler(mean=mean, std=np.where(constant, 1.0, std))


def _like(result: np.ndarray, values: np.ndarray) -> np.ndarray:
    return result.astype(np.float32) if values.dtype == np.float32 else result


def transform(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """Scale values whose last axis is the scaler's columns (x (N, window, F) works); float32 in,
    float32 out."""
    values = np.asarray(values)
    return _like((values - scaler.mean) / scaler.std, values)


def inverse_transform(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """Undo `transform`."""
    values = np.asarray(values)
    return _like(values * scaler.std + scaler.mean, values)


def fit_feature_scaler(series: WindowedSeries, train_idx: np.ndarray) -> Scaler:
    """Fit on each frame row up to the last input day of the training windows, once per row (not
    once per window it appears in); later rows, validation/test targets included, are unseen."""
    if len(train_idx) == 0:
        raise ValueError("no training samples")
    last_input_row = int(series.day[train_idx].max())
    return fit_scaler(series.features[: last_input_row + 1])


def fit_target_scaler(
    series: WindowedSeries, train_idx: np.ndarray, residual: bool = False
) -> Scaler:
    """Fit on the training targets (or their residuals, see `to_residual`) only."""
    if len(train_idx) == 0:
        raise ValueError("no training samples")
    y = series.y[train_idx]
    if residual:
        y = to_residual(series.target, y, series.reference[train_idx])
    return fit_scaler(y)
