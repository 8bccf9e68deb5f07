"""Everything train_stock_lstm leaves in reports/stocks: predictions, curves, metrics, the page."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe.atomic import write_json, write_text
from dlpipe.evaluation.verdicts import verdict, verdict_words
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.forecast_plots import plot_errors, plot_forecast
from dlpipe.reporting.forecast_report import forecast_markdown
from dlpipe.reporting.tables import wide_csv

OUTPUTS = (
    "predictions.csv",
    "learning_curves.csv",
    "forecast.png",
    "errors.png",
    "learning_curves.png",
    "details.json",
    "report.md",
)


def describe_forecast(
    label: str,
    days: int,
    target: str,
    window: int,
    features: Sequence[str],
    dates: pd.DatetimeIndex,
    actual: np.ndarray,
    reference: np.ndarray,
) -> str:
    """The page's first paragraph: the series, the target, the test days and the up-day rate."""
    return (
        f"Series: {label}, {days} days. Target: next-day "
        f"{target}; inputs: the last {window} days of {', '.join(features)}. "
        f"Test: {len(actual)} days, {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} "
        f"(chronological split; scalers fit on training days only). On "
        f"{100 * float(np.mean(actual > reference)):.1f}% of the test days the "
        f"price went up: the direction accuracy of always saying 'up'."
    )


def write_forecast_outputs(
    dates: pd.DatetimeIndex,
    actual: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    metrics: Mapping[str, Mapping[str, float]],
    history: Mapping[str, Sequence[float]],
    dm_p_value: float,
    blocks: Sequence[Mapping[str, Mapping[str, float]]],
    description: str,
    targets: Mapping[str, Path],
) -> None:
    """Predictions and curves as CSV (for `dvc plots`), the PNGs, the metrics and the page."""
    table = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "actual": actual, **predictions})
    write_text(targets["predictions.csv"], table.to_csv(index=False, float_format="%.6g"))
    write_text(
        targets["learning_curves.csv"],
        wide_csv(
            "epoch",
            {"train_loss": history["train/loss"], "val_loss": history["val/loss"]},
            start=1,
        ),
    )
    shown = {name: predictions[name] for name in ("lstm", "persistence")}
    plot_forecast(dates, actual, shown, targets["forecast.png"], "Next-day price on the test days")
    plot_errors(actual, predictions, targets["errors.png"])
    plot_curves(
        {"lstm": history},
        ("train/loss", "val/loss"),
        targets["learning_curves.png"],
        "LSTM training (scaled MSE)",
    )
    values: dict[str, object] = {
        model: {k: (v if math.isfinite(v) else None) for k, v in row.items()}
        for model, row in metrics.items()
    }
    if blocks:
        values["walk_forward"] = [
            {m: block[m]["rmse_ratio_to_persistence"] for m in block} for block in blocks
        ]
    values["dm_p_value_lstm_vs_persistence"] = dm_p_value if math.isfinite(dm_p_value) else None
    ratio = metrics["lstm"]["rmse_ratio_to_persistence"]
    values["verdict"] = verdict_words(verdict(dm_p_value, bool(ratio < 1.0)))
    write_json(targets["details.json"], values)
    write_text(targets["report.md"], forecast_markdown(metrics, dm_p_value, description, blocks))
