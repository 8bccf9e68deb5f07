"""Targets, windows, splits and scaling for next-day forecasting: alignment and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.data.stock_windows import (
    build_dataset,
    fit_feature_scaler,
    fit_scaler,
    fit_target_scaler,
    from_residual,
    inverse_transform,
    make_windows,
    split_chronological,
    to_price,
    to_residual,
    transform,
)

COLUMNS = ("open", "high", "low", "close", "volume")


def row_coded_frame(n: int) -> pd.DataFrame:
    """Column j on row t holds 1000 * (j + 1) + t: every value names its row and column."""
    values = {name: 1000.0 * (j + 1) + np.arange(n) for j, name in enumerate(COLUMNS)}
    index = pd.date_range("2020-01-01", periods=n, freq="D", name="date")
    return pd.DataFrame(values, index=index)


def random_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    frame = pd.DataFrame(
        {
            "open": close * (1 + rng.normal(0, 0.002, n)),
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.uniform(1e6, 2e6, n),
        },
        index=pd.bdate_range("2021-01-04", periods=n, name="date"),
    )
    return frame


def test_make_windows_shape_and_rows() -> None:
    features = np.arange(12.0).reshape(6, 2)  # row t = [2t, 2t+1]
    x = make_windows(features, 3)
    assert x.shape == (3, 3, 2)
    np.testing.assert_array_equal(x[0], features[0:3])
    np.testing.assert_array_equal(x[-1], features[2:5])  # anchored at t = T-2
    assert x.flags.writeable


@pytest.mark.parametrize("window", [0, 6])
def test_make_windows_rejects_bad_window(window: int) -> None:
    with pytest.raises(ValueError):
        make_windows(np.zeros((6, 2)), window)


@pytest.mark.parametrize("target", ["close", "open", "log_return"])
def test_inputs_hold_only_rows_up_to_t(target: str) -> None:
    n, window = 30, 5
    frame = row_coded_frame(n)
    series = build_dataset(frame, COLUMNS, target, window)
    assert series.x.shape == (n - window, window, len(COLUMNS))
    assert series.x.dtype == np.float32
    frame_rows = series.x % 1000  # every input value names the frame row it came from
    for i, t in enumerate(series.day):
        expected = np.broadcast_to(np.arange(t - window + 1, t + 1)[:, None], (window, 5))
        np.testing.assert_array_equal(frame_rows[i], expected)
        assert series.dates[i] == frame.index[t + 1]
        # the next-day price (the target for price targets) appears nowhere in the inputs
        assert not np.isin(series.actual_price[i], series.x[i]).any()
    np.testing.assert_array_equal(series.day, np.arange(window - 1, n - 1))


def test_targets_reference_and_dates() -> None:
    frame = row_coded_frame(10)
    close, open_ = frame["close"].to_numpy(), frame["open"].to_numpy()
    s = build_dataset(frame, ["close"], "close", 3)
    np.testing.assert_array_equal(s.y, close[3:])
    np.testing.assert_array_equal(s.reference, close[2:-1])
    np.testing.assert_array_equal(s.actual_price, close[3:])
    assert list(s.dates) == list(frame.index[3:])
    o = build_dataset(frame, ["close"], "open", 3)
    np.testing.assert_array_equal(o.y, open_[3:])
    np.testing.assert_array_equal(o.reference, open_[2:-1])
    r = build_dataset(frame, ["close"], "log_return", 3)
    np.testing.assert_allclose(r.y, np.log(close[3:] / close[2:-1]))
    np.testing.assert_array_equal(r.reference, close[2:-1])
    np.testing.assert_array_equal(r.actual_price, close[3:])


def test_changing_the_future_leaves_inputs_unchanged() -> None:
    frame = random_frame(60)
    base = build_dataset(frame, COLUMNS, "log_return", 10)
    for i in (0, 17, len(base) - 1):
        t = int(base.day[i])
        changed = frame.copy()
        changed.iloc[t + 1 :] *= 1.5
        other = build_dataset(changed, COLUMNS, "log_return", 10)
        np.testing.assert_array_equal(other.x[i], base.x[i])
        assert other.reference[i] == base.reference[i]
        assert other.y[i] != base.y[i]  # the perturbation does reach the target


def test_log_return_to_price() -> None:
    reference = np.array([100.0, 50.0])
    y = np.log(np.array([110.0, 45.0]) / reference)
    np.testing.assert_allclose(to_price("log_return", y, reference), [110.0, 45.0])
    np.testing.assert_array_equal(to_price("close", [3.0, 4.0], reference), [3.0, 4.0])
    series = build_dataset(random_frame(40), ["close"], "log_return", 4)
    np.testing.assert_allclose(
        to_price("log_return", series.y, series.reference), series.actual_price
    )


@pytest.mark.parametrize("target", ["close", "log_return"])
def test_residual_round_trip(target: str) -> None:
    y, reference = np.array([101.0, 99.0]), np.array([100.0, 100.0])
    residual = to_residual(target, y, reference)
    expected = [1.0, -1.0] if target == "close" else y
    np.testing.assert_array_equal(residual, expected)
    np.testing.assert_array_equal(from_residual(target, residual, reference), y)


def test_build_dataset_validates() -> None:
    frame = row_coded_frame(10)
    with pytest.raises(ValueError, match="target"):
        build_dataset(frame, ["close"], "high", 3)
    with pytest.raises(ValueError, match="missing"):
        build_dataset(frame, ["adj_close"], "close", 3)
    with pytest.raises(ValueError, match="increasing"):
        build_dataset(frame.iloc[::-1], ["close"], "close", 3)
    with pytest.raises(ValueError, match="window"):
        build_dataset(frame, ["close"], "close", 10)


def test_split_is_chronological_and_contiguous() -> None:
    series = build_dataset(random_frame(110), COLUMNS, "close", 10)
    train, val, test = split_chronological(len(series), 0.15, 0.15)
    assert (len(train), len(val), len(test)) == (70, 15, 15)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), np.arange(len(series)))
    assert series.dates[train].max() < series.dates[val].min()
    assert series.dates[val].max() < series.dates[test].min()
    # no training window input reaches a validation or test target day
    assert series.day[train].max() + 1 < series.day[val].min() + 1
    assert split_chronological(10, 0.0, 0.01)[1].size == 0
    assert split_chronological(10, 0.0, 0.01)[2].size == 1
    with pytest.raises(ValueError):
        split_chronological(4, 0.5, 0.5)


def test_scaler_standardises_per_column_and_inverts() -> None:
    values = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    scaler = fit_scaler(values)
    np.testing.assert_array_equal(scaler.mean, [2.0, 20.0, 5.0])
    np.testing.assert_array_equal(scaler.std, [1.0, 10.0, 1.0])  # constant column keeps std 1
    np.testing.assert_array_equal(transform(scaler, values), [[-1, -1, 0], [1, 1, 0]])
    windows = np.stack([values, values]).astype(np.float32)  # (N, window, F) broadcasts
    scaled = transform(scaler, windows)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(inverse_transform(scaler, scaled), windows)


def test_scalers_ignore_validation_and_test_values() -> None:
    frame = random_frame(120)
    series = build_dataset(frame, COLUMNS, "close", 8)
    train, _, _ = split_chronological(len(series), 0.2, 0.2)
    last_input = int(series.day[train].max())
    x_scaler = fit_feature_scaler(series, train)
    y_scaler = fit_target_scaler(series, train)
    np.testing.assert_allclose(x_scaler.mean, frame.iloc[: last_input + 1].mean().to_numpy())

    changed = frame.copy()
    changed.iloc[last_input + 2 :] *= 3.0  # every validation and test target and later row
    other = build_dataset(changed, COLUMNS, "close", 8)
    np.testing.assert_array_equal(fit_feature_scaler(other, train).mean, x_scaler.mean)
    np.testing.assert_array_equal(fit_feature_scaler(other, train).std, x_scaler.std)
    np.testing.assert_array_equal(fit_target_scaler(other, train).mean, y_scaler.mean)

    changed.iloc[last_input + 1] *= 3.0  # the last training target day: not a training input
    other = build_dataset(changed, COLUMNS, "close", 8)
    np.testing.assert_array_equal(fit_feature_scaler(other, train).mean, x_scaler.mean)
    assert fit_target_scaler(other, train).mean != y_scaler.mean


def test_target_scaler_on_residuals() -> None:
    series = build_dataset(random_frame(50), ["close"], "close", 5)
    train = np.arange(30)
    scaler = fit_target_scaler(series, train, residual=True)
    residual = series.y[train] - series.reference[train]
    assert scaler.mean == pytest.approx(residual.mean())
    assert scaler.std == pytest.approx(residual.std())
