"""DVC stage train_stock_lstm: the LSTM against persistence and other baselines."""

from __future__ import annotations

import math

from dlpipe.data.stock_windows import build_dataset
from dlpipe.datasets.stocks import load_prices
from dlpipe.models.stock_model_io import save_stock_model
from dlpipe.reporting.forecast_outputs import OUTPUTS, describe_forecast, write_forecast_outputs
from dlpipe.reporting.forecast_report import verdict
from dlpipe.stage import Stage
from dlpipe.training.stock_forecast import forecast, walk_forward


def train_stock_lstm(stage: Stage) -> None:
    """The LSTM and the baselines on the same test days, the saved model, and the page."""
    params = stage.params
    cfg = params.stock_lstm
    out = stage.out("models/stock_lstm")
    prices = load_prices(stage.path("data/raw/stock_prices.csv"))
    series = build_dataset(prices.frame, cfg.features, cfg.target, cfg.window)
    result = forecast(series, cfg, params.training, params.seed, stage.run, out)
    save_stock_model(out / "model.pt", result.network, result.x_scaler, result.y_scaler, cfg)
    blocks = []
    if cfg.walk_forward_windows > 0:
        blocks = walk_forward(series, cfg, params.training, params.seed, out / "wf")
    if stage.run is not None:
        stage.run.log_metrics(
            {
                f"test/{model}/{metric}": value
                for model, row in result.metrics.items()
                for metric, value in row.items()
                if math.isfinite(value)
            }
        )
        stage.run.set_tags({"dlpipe.verdict": verdict(result.metrics, result.dm_p_value)})
    stocks = params.stocks
    label = stocks.series if stocks.source == "pypi" else stocks.csv.path
    description = describe_forecast(
        label,
        len(prices.frame),
        cfg.target,
        cfg.window,
        cfg.features,
        result.dates,
        result.actual,
        result.reference,
    )
    write_forecast_outputs(
        result.dates,
        result.actual,
        result.predictions,
        result.metrics,
        result.history,
        result.dm_p_value,
        blocks,
        description,
        {name: stage.out(f"reports/stocks/{name}") for name in OUTPUTS},
    )
