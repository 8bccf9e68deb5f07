"""DVC stage train_stock_lstm: next-day forecasts from the LSTM and the baselines, in prices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.data.stock_windows import build_dataset
from dlpipe.datasets.stocks import load_prices
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.forecast_plots import plot_errors, plot_forecast
from dlpipe.reporting.forecast_report import forecast_markdown, verdict
from dlpipe.reporting.tables import wide_csv
from dlpipe.tracking import start_run
from dlpipe.training.stock_forecast import forecast, walk_forward

FAMILY = "stock_lstm"
STAGE = "train_stock_lstm"


def main() -> None:
    params = load_params()
    cfg = params.stock_lstm
    root = paths.project_root()
    reports = paths.reports_dir(root) / "stocks"
    tracked = {"seed": params.seed, "training": as_plain(params.training), **as_plain(cfg)}
    with (
        start_run(root, FAMILY, STAGE, tracked) as run,
        atomic_dir(paths.models_dir(root) / "stock_lstm") as checkpoints,
    ):
        prices = load_prices(paths.data_raw(root) / "stock_prices.csv")
        series = build_dataset(prices.frame, cfg.features, cfg.target, cfg.window)
        result = forecast(series, cfg, params.training, params.seed, run, checkpoints)
        blocks = []
        if cfg.walk_forward_windows > 0:
            blocks = walk_forward(series, cfg, params.training, params.seed, checkpoints / "wf")
        run.log_metrics(
            {
                f"test/{model}/{metric}": value
                for model, row in result.metrics.items()
                for metric, value in row.items()
                if math.isfinite(value)
            }
        )
        first, last = result.dates[0], result.dates[-1]
        label = params.stocks.series if params.stocks.source == "pypi" else params.stocks.csv.path
        description = (
            f"Series: {label}, {len(prices.frame)} days. Target: next-day "
            f"{cfg.target}; inputs: the last {cfg.window} days of {', '.join(cfg.features)}. "
            f"Test: {len(result.actual)} days, {first:%Y-%m-%d} to {last:%Y-%m-%d} "
            f"(chronological split; scalers fit on training days only). On "
            f"{100 * float(np.mean(result.actual > result.reference)):.1f}% of the test days the "
            f"price went up: the direction accuracy of always saying 'up'."
        )
        write_outputs(result, blocks, description, reports)
        for name in (
            "metrics.json",
            "report.md",
            "forecast.png",
            "errors.png",
            "learning_curves.png",
        ):
            run.log_artifact(reports / name, "report")
        run.set_tags({"dlpipe.verdict": verdict(result.metrics, result.dm_p_value)})


def write_outputs(result, blocks, description: str, reports) -> None:
    """Predictions and curves as CSV (for `dvc plots`), the PNGs, the metrics and the page."""
    table = pd.DataFrame(
        {"date": result.dates.strftime("%Y-%m-%d"), "actual": result.actual, **result.predictions}
    )
    write_text(reports / "predictions.csv", table.to_csv(index=False, float_format="%.6g"))
    write_text(
        reports / "learning_curves.csv",
        wide_csv(
            "epoch",
            {"train_loss": result.history["train/loss"], "val_loss": result.history["val/loss"]},
            start=1,
        ),
    )
    shown = {name: result.predictions[name] for name in ("lstm", "persistence")}
    plot_forecast(
        result.dates,
        result.actual,
        shown,
        reports / "forecast.png",
        "Next-day price on the test days",
    )
    plot_errors(result.actual, result.predictions, reports / "errors.png")
    plot_curves(
        {"lstm": result.history},
        ("train/loss", "val/loss"),
        reports / "learning_curves.png",
        "LSTM training (scaled MSE)",
    )
    metrics: dict[str, object] = {
        model: {k: (v if math.isfinite(v) else None) for k, v in row.items()}
        for model, row in result.metrics.items()
    }
    if blocks:
        metrics["walk_forward"] = [
            {m: block[m]["rmse_ratio_to_persistence"] for m in block} for block in blocks
        ]
    p_value = result.dm_p_value
    metrics["dm_p_value_lstm_vs_persistence"] = p_value if math.isfinite(p_value) else None
    metrics["lstm_beats_persistence"] = bool(
        np.isfinite(result.metrics["lstm"]["rmse_ratio_to_persistence"])
        and result.metrics["lstm"]["rmse_ratio_to_persistence"] < 1.0
    )
    write_json(reports / "metrics.json", metrics)
    write_text(
        reports / "report.md",
        forecast_markdown(result.metrics, result.dm_p_value, description, blocks),
    )


if __name__ == "__main__":
    main()
