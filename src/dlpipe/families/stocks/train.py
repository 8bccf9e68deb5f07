"""DVC stage train_stock_lstm: the LSTM against persistence and other baselines."""

from __future__ import annotations

import math

from dlpipe.data.stock_windows import build_dataset
from dlpipe.datasets.stocks import load_prices
from dlpipe.evaluation.verdicts import verdict as verdict_code
from dlpipe.models.stock_model_io import save_stock_model
from dlpipe.reporting.forecast_outputs import OUTPUTS, describe_forecast, write_forecast_outputs
from dlpipe.reporting.forecast_report import verdict
from dlpipe.reporting.headline import headline
from dlpipe.serving.pyfunc import register_stock_model
from dlpipe.stage import Stage
from dlpipe.training.stock_forecast import forecast, walk_forward


def train_stock_lstm(stage: Stage) -> None:
    """The LSTM and the baselines on the same test days, the saved model, and the page; the
    headline compares the LSTM with persistence, the forecast every result must beat."""
    params = stage.params
    cfg = params.stock_lstm
    out = stage.out("models/stock_lstm")
    prices = load_prices(stage.path("data/raw/stock_prices.csv"))
    series = build_dataset(prices.frame, cfg.features, cfg.target, cfg.window)
    result = forecast(series, cfg, params.training, params.seed, stage.run, out)
    save_stock_model(out / "model.pt", result.network, result.x_scaler, result.y_scaler, cfg)
    if stage.run is not None:
        register_stock_model(stage.run, out / "model.pt", prices.frame)
    blocks = []
    if cfg.walk_forward_windows > 0:
        blocks = walk_forward(series, cfg, params.training, params.seed, out / "wf")
    if stage.run is not None:
        stage.run.log_metrics(
            {
                f"details/{model}/test/{metric}": value
                for model, row in result.metrics.items()
                for metric, value in row.items()
                if math.isfinite(value)
            }
        )
        stage.run.set_tags({"dlpipe.verdict": verdict(result.metrics, result.dm_p_value)})
    lstm, base = result.metrics["lstm"], result.metrics["persistence"]
    shown = ("rmse", "mae", "direction_accuracy")
    stage.write_headline(
        "reports/stocks/metrics.json",
        headline(
            model={k: lstm[k] for k in shown},
            baseline={k: base[k] for k in shown},
            comparison={
                "rmse_ratio": lstm["rmse_ratio_to_persistence"],
                "p_value": result.dm_p_value,
                "verdict": verdict_code(result.dm_p_value, lstm["rmse_ratio_to_persistence"] < 1),
            },
            data={"days": len(prices.frame), "test_days": len(result.actual)},
        ),
    )
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
