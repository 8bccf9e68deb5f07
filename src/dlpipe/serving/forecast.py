"""The next trading day's price from the saved stock LSTM, next to the persistence forecast.

The last `window` days of the price file go through exactly the preprocessing of training
(`dlpipe.models.stock_model_io.StockModel.predict`); persistence (tomorrow = today) is shown
beside it because it is the forecast to beat. The registered pyfunc model (`dlpipe-stock_lstm`)
answers through the same `recent_window` and `forecast_window`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.datasets import DatasetError
from dlpipe.datasets.stocks import load_prices
from dlpipe.models.stock_model_io import StockModel, StockModelError, load_stock_model
from dlpipe.serving.errors import REPRO_ADVICE, ServingError, require_file, shown

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NextDay:
    """A forecast for the day after `last_day`, in the price column the model forecasts."""

    series: str  # what the prices are (the fetched series' name, or the CSV's path)
    last_day: pd.Timestamp
    column: str  # "close" or "open": the price `last_price` and the forecasts are in
    last_price: float  # the reference ("today's") price
    forecast: float  # the LSTM's next-day price
    persistence: float  # tomorrow = today: the baseline every forecast must beat
    target: str  # what the model predicts (close, open or log_return)
    window: int  # how many days it read


def default_model_path(root: Path) -> Path:
    return paths.models_dir(root) / "stock_lstm" / "model.pt"


def default_prices_path(root: Path) -> Path:
    return paths.data_raw(root) / "stock_prices.csv"


def next_day_forecast(
    model_path: Path | None = None,
    prices_csv: Path | None = None,
    root: Path | None = None,
    model: StockModel | None = None,
) -> NextDay:
    """Forecast the day after the last row of `prices_csv` (a file written by
    fetch_stock_prices) with `model`, else the model file `model_path`; the file and the prices
    default to the project's."""
    root = root or paths.project_root()
    if model is None:
        model_path = _existing(
            model_path, default_model_path(root), "stock model", "train_stock_lstm", root
        )
    prices_csv, frame = read_prices(prices_csv, root)  # a bad file is said before the model loads
    if model is None:
        model = load_model_file(model_path)
    try:
        recent = recent_window(model, frame)
    except ValueError as exc:
        raise ServingError(f"{shown(prices_csv, root)}: {exc}") from exc
    log.info(
        "window %s to %s, features %s, target %s%s",
        f"{recent.index[0]:%Y-%m-%d}",
        f"{recent.index[-1]:%Y-%m-%d}",
        ", ".join(model.features),
        model.target,
        " (as a change from today)" if model.residual else "",
    )
    predicted, reference = forecast_window(model, recent)
    return NextDay(
        series=_series_label(prices_csv, root),
        last_day=recent.index[-1],
        column=model.price_column,
        last_price=reference,
        forecast=predicted,
        persistence=reference,
        target=model.target,
        window=model.window,
    )


def read_prices(prices_csv: Path | None, root: Path) -> tuple[Path, pd.DataFrame]:
    """The price file (default: the project's) and its validated prices, as a ServingError
    naming the file and the line when it is missing or bad."""
    prices_csv = _existing(
        prices_csv, default_prices_path(root), "price file", "fetch_stock_prices", root
    )
    log.info("reading prices from %s", prices_csv)
    try:
        return prices_csv, load_prices(prices_csv).frame
    except DatasetError as exc:
        raise ServingError(str(exc)) from exc


def load_model_file(model_path: Path) -> StockModel:
    log.info("loading the stock model %s", model_path)
    try:
        return load_stock_model(model_path)
    except StockModelError as exc:
        raise ServingError(str(exc)) from exc


def needed_columns(model: StockModel) -> list[str]:
    """The price columns `model` reads: its features, then the reference price's column."""
    return list(dict.fromkeys([*model.features, model.price_column]))


def recent_window(model: StockModel, frame: pd.DataFrame) -> pd.DataFrame:
    """The last `window` rows of daily prices (oldest first); ValueError naming a missing column
    or too few days."""
    missing = [name for name in needed_columns(model) if name not in frame.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r}, which the model reads")
    if len(frame) < model.window:
        raise ValueError(f"{len(frame)} days; the model needs the last {model.window}")
    return frame.iloc[-model.window :]


def forecast_window(model: StockModel, recent: pd.DataFrame) -> tuple[float, float]:
    """(the next day's price, today's price: the persistence forecast) from the model's last
    `window` days, exactly as training prepared them (`StockModel.predict`)."""
    windows = np.column_stack([recent[name].to_numpy(np.float64) for name in model.features])
    reference = float(recent[model.price_column].iloc[-1])
    predicted = float(model.predict(windows[None], np.array([reference]))[0])
    return predicted, reference


def _existing(given: Path | None, default: Path, what: str, stage: str, root: Path) -> Path:
    """`given`, or the pipeline's `default`; a missing default means `stage` has not run."""
    if given is not None:
        return require_file(given, f"the {what}")
    path = default
    if path.is_file():
        return path
    raise ServingError(f"no {what} yet ({shown(path, root)}): {REPRO_ADVICE.format(stage=stage)}")


def _series_label(prices_csv: Path, root: Path) -> str:
    """The series name fetch_stock_prices recorded beside the project's price file, else the
    file's path."""
    if prices_csv.resolve() == default_prices_path(root).resolve():
        summary = paths.reports_dir(root) / "stocks" / "data.json"
        try:
            series = json.loads(summary.read_text(encoding="utf-8")).get("series")
        except (OSError, ValueError, AttributeError):
            series = None
        if isinstance(series, str) and series:
            return series
    return shown(prices_csv, root)
