"""DVC stage train_stock_lstm: next-day forecasts from the LSTM and the baselines, in prices.

Reads data/raw/stock_prices.csv; the model (with its scalers and window) goes to
models/stock_lstm/model.pt for `dlpipe forecast`.
"""

from dlpipe.families.stocks.train import train_stock_lstm
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="train_stock_lstm",
    family="stock_lstm",
    params=("seed", "training", "stock_lstm"),
    outputs=(
        "models/stock_lstm/",
        "reports/stocks/predictions.csv",
        "reports/stocks/learning_curves.csv",
        "reports/stocks/details.json",
        "reports/stocks/report.md",
        "reports/stocks/metrics.json",
        "reports/stocks/forecast.png",
        "reports/stocks/errors.png",
        "reports/stocks/learning_curves.png",
    ),
)

if __name__ == "__main__":
    run_stage(SPEC, train_stock_lstm)
