"""Next-day baselines that any forecaster must beat, as prices on the very samples it is scored on.

Each takes a WindowedSeries and sample indices and returns predicted prices aligned with them, so
`actual_price[idx]` and `reference[idx]` line up for the metrics.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

from dlpipe.data.stock_windows import (
    WindowedSeries,
    fit_feature_scaler,
    fit_target_scaler,
    inverse_transform,
    to_price,
    transform,
)


def persistence(series: WindowedSeries, idx: np.ndarray) -> np.ndarray:
    """Tomorrow = today: the reference price r (close[t] for log returns)."""
    return series.reference[idx].astype(np.float64)


def moving_average(series: WindowedSeries, idx: np.ndarray, k: int) -> np.ndarray:
    """Mean of the target quantity on days t-k+1 .. t, as a price: for "close"
    mean(close[t-k+1..t]); for "log_return" close[t] * exp(mean of the last k log returns).
    k = 1 on a price target is persistence. Raises if a sample has fewer than k past values."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    days = series.day[idx]
    rows = days[:, None] + np.arange(1 - k, 1)
    if rows.size and rows.min() < 0:
        raise ValueError(f"k={k} reaches before the first day for some samples")
    values = series.history[rows]
    if np.isnan(values).any():
        raise ValueError(f"k={k} reaches before the first log return for some samples")
    return to_price(series.target, values.mean(axis=1), series.reference[idx])


def fit_predict_linear(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, alpha: float
) -> np.ndarray:
    """Ridge (LinearRegression when alpha == 0) on windows flattened to (N, window * F); the
    prediction is in y_train's units."""
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    model = Ridge(alpha=alpha) if alpha > 0 else LinearRegression()
    model.fit(x_train.reshape(len(x_train), -1), y_train)
    return model.predict(x_test.reshape(len(x_test), -1))


def linear_window(
    series: WindowedSeries, train_idx: np.ndarray, test_idx: np.ndarray, alpha: float = 1e-3
) -> np.ndarray:
    """A linear model on the same standardised windows the LSTM sees, fit on training samples only
    (feature and target scalers too), predicting the same target; returned as prices."""
    x_scaler = fit_feature_scaler(series, train_idx)
    y_scaler = fit_target_scaler(series, train_idx)
    x = transform(x_scaler, series.x).astype(np.float64)
    y_train = transform(y_scaler, series.y[train_idx])
    predicted = fit_predict_linear(x[train_idx], y_train, x[test_idx], alpha)
    return to_price(
        series.target, inverse_transform(y_scaler, predicted), series.reference[test_idx]
    )


def baseline_forecasts(
    series: WindowedSeries,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    k: int,
    alpha: float = 1e-3,
) -> dict[str, np.ndarray]:
    """All baselines on `test_idx`, keyed "persistence", "moving_average", "linear"."""
    return {
        "persistence": persistence(series, test_idx),
        "moving_average": moving_average(series, test_idx, k),
        "linear": linear_window(series, train_idx, test_idx, alpha),
    }
