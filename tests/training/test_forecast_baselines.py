"""Baselines on hand-made series: persistence, moving average, linear model, all in prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.data.stock_windows import build_dataset, split_chronological
from dlpipe.training.forecast_baselines import (
    baseline_forecasts,
    fit_predict_linear,
    linear_window,
    moving_average,
    persistence,
)


def frame_from(close: np.ndarray, open_: np.ndarray | None = None) -> pd.DataFrame:
    n = len(close)
    return pd.DataFrame(
        {"open": close if open_ is None else open_, "close": close, "volume": np.ones(n)},
        index=pd.date_range("2022-03-01", periods=n, freq="D", name="date"),
    )


CLOSE = np.array([10.0, 12.0, 11.0, 13.0, 16.0, 14.0, 15.0, 18.0])


def test_persistence_is_the_shifted_series() -> None:
    series = build_dataset(frame_from(CLOSE), ["close"], "close", 2)
    idx = np.arange(len(series))
    np.testing.assert_array_equal(persistence(series, idx), CLOSE[1:-1])  # close[t], t = 1..6
    np.testing.assert_array_equal(series.actual_price, CLOSE[2:])
    log = build_dataset(frame_from(CLOSE), ["close"], "log_return", 2)
    np.testing.assert_array_equal(persistence(log, idx), CLOSE[1:-1])


def test_moving_average_by_hand() -> None:
    series = build_dataset(frame_from(CLOSE), ["close"], "close", 3)  # t = 2..6
    idx = np.array([0, 2, 4])  # t = 2, 4, 6
    expected = [(10 + 12 + 11) / 3, (11 + 13 + 16) / 3, (16 + 14 + 15) / 3]
    np.testing.assert_allclose(moving_average(series, idx, 3), expected)
    np.testing.assert_array_equal(moving_average(series, idx, 1), persistence(series, idx))
    with pytest.raises(ValueError, match="before the first day"):
        moving_average(series, idx, 4)


def test_moving_average_on_open_uses_open() -> None:
    open_ = CLOSE + 100.0
    series = build_dataset(frame_from(CLOSE, open_), ["close"], "open", 2)
    np.testing.assert_allclose(moving_average(series, np.array([0]), 2), [(110 + 112) / 2])


def test_moving_average_of_log_returns() -> None:
    series = build_dataset(frame_from(CLOSE), ["close"], "log_return", 3)  # t = 2..6
    # t = 4: returns on days 3 and 4 are log(13/11), log(16/13); mean = log(16/11) / 2
    expected = 16.0 * np.exp(np.log(16.0 / 11.0) / 2)
    np.testing.assert_allclose(moving_average(series, np.array([2]), 2), [expected])
    with pytest.raises(ValueError, match="first log return"):
        moving_average(series, np.array([0]), 3)  # t = 2 has only 2 past returns


def test_linear_model_recovers_a_linear_series() -> None:
    close = 50.0 + 0.5 * np.arange(60)
    series = build_dataset(frame_from(close), ["close"], "close", 4)
    train, _, test = split_chronological(len(series), 0.2, 0.2)
    exact = linear_window(series, train, test, alpha=0.0)
    np.testing.assert_allclose(exact, series.actual_price[test], rtol=1e-5)
    ridge = linear_window(series, train, test, alpha=1e-6)
    np.testing.assert_allclose(ridge, series.actual_price[test], rtol=1e-4)


def test_linear_model_on_log_returns_gives_prices() -> None:
    close = 100.0 * 1.01 ** np.arange(40)  # constant log return log(1.01)
    series = build_dataset(frame_from(close), ["close"], "log_return", 3)
    train, _, test = split_chronological(len(series), 0.0, 0.25)
    np.testing.assert_allclose(
        linear_window(series, train, test, alpha=1e-3), series.actual_price[test], rtol=1e-6
    )


def test_linear_model_sees_training_samples_only() -> None:
    rng = np.random.default_rng(1)
    close = 100 + np.cumsum(rng.normal(0, 1, 80))
    series = build_dataset(frame_from(close), ["close"], "close", 5)
    train, _, test = split_chronological(len(series), 0.0, 0.25)
    before = linear_window(series, train, test)
    changed = close.copy()
    changed[int(series.day[train].max()) + 2 :] += 1000.0  # every test target day and after
    other = build_dataset(frame_from(changed), ["close"], "close", 5)
    after = linear_window(other, train, test)
    # same fitted map, so the first test prediction (its inputs precede the change) agrees
    assert after[0] == pytest.approx(before[0])


def test_fit_predict_linear_flattens_windows() -> None:
    x = np.arange(24.0).reshape(4, 3, 2)
    y = x.reshape(4, -1) @ np.array([1.0, 0, 0, 0, 0, 2.0])
    np.testing.assert_allclose(fit_predict_linear(x, y, x, alpha=0.0), y)


def test_baseline_forecasts_align_with_test_samples() -> None:
    close = 100 + np.cumsum(np.random.default_rng(2).normal(0, 1, 50))
    series = build_dataset(frame_from(close), ["close", "volume"], "close", 5)
    train, _, test = split_chronological(len(series), 0.2, 0.2)
    forecasts = baseline_forecasts(series, train, test, k=3)
    assert set(forecasts) == {"persistence", "moving_average", "linear"}
    assert all(p.shape == test.shape for p in forecasts.values())
