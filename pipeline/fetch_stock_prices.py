"""DVC stage fetch_stock_prices: one daily OHLCV series, validated, into data/raw."""

from dlpipe.families.stocks.fetch import fetch_stock_prices
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="fetch_stock_prices",
    family="stock_lstm",
    params=("stocks",),
    outputs=("data/raw/stock_prices.csv", "reports/stocks/data.json"),
    tracked=False,
)

if __name__ == "__main__":
    run_stage(SPEC, fetch_stock_prices)
