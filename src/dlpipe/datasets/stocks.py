"""Daily OHLCV prices from a pinned wheel or a local CSV, validated row by row.

Sources: CSVs shipped in PyPI wheels (arch: S&P 500 and NASDAQ with `M/D/YYYY` dates;
bokeh-sampledata: several tickers in one file with ISO dates), read without installing, or any
local CSV with a date column and Open/High/Low/Close/Volume (names case-insensitive, extra columns
ignored, gzip accepted). Numbers may carry thousands separators ("7,380,500"), as in the course's
Google price files.

Every problem is a `StockDataError` naming the source, the line (1-based, the header is line 1)
and the value, because a silently repaired price series would skew every model trained on it.
Two things are repaired, and counted in `PriceSeries.report`:
- missing cells ("", "null", "NaN", "NA", "N/A") by the rule `missing`: "drop" removes the row,
  "ffill" carries the previous row's value forward (leading rows that stay missing are dropped);
- a row repeated verbatim right after itself (same date, same values) is kept once. The same date
  with other values is an error: there is no telling which row is right.
Weekends and holidays leave gaps between trading days; they are normal, not errors.
"""

import csv
import gzip
import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dlpipe.atomic import write_text
from dlpipe.datasets import DatasetError
from dlpipe.datasets.files import read_bytes
from dlpipe.datasets.pypi_wheel import fetch_wheel, read_wheel_member

MissingRule = Literal["drop", "ffill"]
PRICE_COLUMNS = ("open", "high", "low", "close")
COLUMNS = (*PRICE_COLUMNS, "volume")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d")
"""Accepted date layouts; day-first dates (D/M/YYYY) are refused as ambiguous with M/D/YYYY."""

_MISSING = frozenset({"", "null", "nan", "na", "n/a"})
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_SHOWN = 20
_FIX_ROW = "correct or delete that row in the file"
_FIX_SAVED = "delete it and rerun the stage that writes it (`dvc repro`)"


class StockDataError(DatasetError):
    """A price file is unreadable or breaks a rule; the message names source, line and value."""


@dataclass(frozen=True, eq=False)
class PriceSeries:
    """Validated daily prices.

    `frame`: float64 columns open, high, low, close, volume on a strictly increasing
    DatetimeIndex named `date`. `source`: where it came from, for messages and reports.
    `report`: what was read and repaired (row counts, the missing-value rule). `eq=False`:
    DataFrames do not compare with `==`.
    """

    frame: pd.DataFrame
    source: str
    report: Mapping[str, int | str]


def parse_price_csv(
    data: bytes | str,
    source: str,
    *,
    ticker: str | None = None,
    date_column: str = "date",
    missing: MissingRule = "drop",
    ticker_column: str = "ticker",
) -> PriceSeries:
    """Validated prices from CSV text or (possibly gzipped) bytes; `source` names it in errors.

    With a `ticker` column in the file, `ticker` picks one (case-insensitive); it may be left
    out only when the file holds a single ticker.
    """
    if missing not in ("drop", "ffill"):
        raise StockDataError(f"missing must be 'drop' or 'ffill', got {missing!r}: fix params.yaml")
    header, everything = _read_table(_decode(data, source), source)
    names = {name.strip().lower(): i for i, name in enumerate(header)}
    wanted = (date_column.lower(), *COLUMNS)
    _require_columns(header, names, wanted, source)
    raw, chosen, others = _select_ticker(everything, header, names, ticker_column, ticker, source)
    table = raw.iloc[:, [names[name] for name in wanted]].set_axis(["date", *COLUMNS], axis=1)
    report: dict[str, int | str] = {
        "rows_read": len(everything),
        "ticker": chosen,
        "rows_other_tickers": others,
    }
    return _build(table, source, missing, report)


def load_from_wheel(
    cache_dir: Path,
    package: str,
    version: str,
    sha256: str,
    member: str,
    *,
    ticker: str | None = None,
    platform: str | None = None,
    python_version: str | None = None,
    missing: MissingRule = "drop",
) -> PriceSeries:
    """Prices from CSV `member` of the pinned wheel, downloaded into `cache_dir` if needed.

    `platform`/`python_version` pin the wheel of a package with compiled code (arch) so that
    one sha256 holds on every host; see `pypi_wheel.pip_download`.
    """
    wheel = fetch_wheel(
        cache_dir, package, version, sha256, platform=platform, python_version=python_version
    )
    raw = read_wheel_member(wheel, member)
    return parse_price_csv(raw, f"{wheel}!{member}", ticker=ticker, missing=missing)


def load_from_csv(
    path: Path,
    *,
    ticker: str | None = None,
    date_column: str = "date",
    missing: MissingRule = "drop",
    ticker_column: str = "ticker",
) -> PriceSeries:
    """Prices from a local CSV (or .csv.gz) file; see `parse_price_csv`."""
    data = read_bytes(path, "check the path in params.yaml", StockDataError)
    return parse_price_csv(
        data,
        str(path),
        ticker=ticker,
        date_column=date_column,
        missing=missing,
        ticker_column=ticker_column,
    )


@dataclass(frozen=True)
class LargeMove:
    """A one-day move in one price column: `change` is value / previous - 1 (-0.5 = halved)."""

    column: str
    day: str  # YYYY-MM-DD of the row that moved
    previous: float
    value: float
    change: float

    def describe(self, source: str) -> str:
        return (
            f"{source}, row dated {self.day}: {self.column} moved {self.change:+.0%} in one day "
            f"({self.previous:g} -> {self.value:g}), an unadjusted split? To fix: use "
            "split-adjusted prices (or drop that column from the features)"
        )


def large_moves(frame: pd.DataFrame, threshold: float) -> list[LargeMove]:
    """Every day on which a price column moved by more than `threshold` (0.4 = 40%) from the
    day before, in date order.

    Index moves never come near 40% (the S&P 500's worst day since 1950 was -20.5%); a stock
    price that halves or doubles overnight is nearly always a split the file was not adjusted
    for, as in the Close column of the course's Google CSV (2:1 on 2014-03-27). Models trained
    across it learn a crash that never happened.
    """
    moves = []
    for column in PRICE_COLUMNS:
        prices = frame[column]
        change = prices / prices.shift() - 1.0
        for day in change.index[change.abs() > threshold]:
            position = prices.index.get_loc(day)
            moves.append(
                LargeMove(
                    column=column,
                    day=f"{day:%Y-%m-%d}",
                    previous=float(prices.iloc[position - 1]),
                    value=float(prices.iloc[position]),
                    change=float(change.iloc[position]),
                )
            )
    return sorted(moves, key=lambda move: (move.day, PRICE_COLUMNS.index(move.column)))


def save_prices(series: PriceSeries, path: Path) -> None:
    """Validate, then write `date,open,high,low,close,volume` atomically (exact float text)."""
    validate_prices(series)
    text = series.frame.to_csv(date_format="%Y-%m-%d", lineterminator="\n")
    write_text(path, text)


def load_prices(path: Path) -> PriceSeries:
    """Prices from a file written by `save_prices`: exact header, no missing values allowed."""
    header, raw = _read_table(
        _decode(read_bytes(path, _FIX_SAVED, StockDataError), str(path)), str(path)
    )
    if [name.strip() for name in header] != ["date", *COLUMNS]:
        raise StockDataError(
            f"{path}: header is {header}, expected {['date', *COLUMNS]}: not a file written by "
            f"save_prices. To fix: {_FIX_SAVED}"
        )
    table = raw.set_axis(["date", *COLUMNS], axis=1)
    return _build(table, str(path), None, {"rows_read": len(raw), "ticker": ""})


def validate_prices(series: PriceSeries) -> None:
    """Raise `StockDataError` unless `series.frame` has the documented layout and valid values."""
    frame, source = series.frame, series.source
    if not isinstance(frame, pd.DataFrame) or list(frame.columns) != list(COLUMNS):
        columns = list(getattr(frame, "columns", []))
        raise StockDataError(f"{source}: columns are {columns}, expected {list(COLUMNS)}")
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.name != "date":
        raise StockDataError(f"{source}: the index must be a DatetimeIndex named 'date'")
    if len(frame) == 0:
        raise StockDataError(f"{source}: no rows")
    wrong = {c: str(t) for c, t in frame.dtypes.items() if t != np.float64}
    if wrong:
        raise StockDataError(f"{source}: columns must be float64, got {wrong}")
    where = pd.Index([f"row dated {day:%Y-%m-%d}" for day in frame.index])
    values = frame.set_axis(where)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise StockDataError(f"{source}, {values.index[bad.argmax()]}: missing or infinite value")
    _check_values(values, source, "fix the code that built it")
    _check_order(pd.Series(frame.index, index=where), source)


def _decode(data: bytes | str, source: str) -> str:
    """Text of the file: gunzipped when it starts with the gzip magic, UTF-8 (BOM allowed)."""
    if isinstance(data, str):
        return data
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise StockDataError(
            f"{source} is not a readable CSV (UTF-8, optionally gzipped): {err}. "
            "To fix: check that the path or member names a price CSV"
        ) from err


def _read_table(text: str, source: str) -> tuple[list[str], pd.DataFrame]:
    """Header and the data rows as strings, indexed by 1-based line number; blank lines skipped.

    The csv module rather than pandas reads the rows, so every row keeps its line number and a
    row with a stray field (an unquoted "7,380,500") is caught instead of shifting columns.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    lines: list[int] = []
    rows: list[list[str]] = []
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = row
            elif len(row) != len(header):
                raise StockDataError(
                    f"{source}, line {line}: {len(row)} fields but the header has "
                    f"{len(header)}: {row}. To fix: {_FIX_ROW} (numbers with thousands "
                    'separators must be quoted, as in "7,380,500")'
                )
            else:
                lines.append(line)
                rows.append(row)
    except csv.Error as err:
        raise StockDataError(
            f"{source}, line {reader.line_num}: {err}. To fix: {_FIX_ROW}"
        ) from err
    if header is None:
        raise StockDataError(f"{source} is empty. To fix: check that it is a price CSV")
    if not rows:
        raise StockDataError(f"{source} has a header but no data rows")
    return header, pd.DataFrame(rows, index=pd.Index(lines, name="line"), dtype=str)


def _require_columns(
    header: list[str], names: Mapping[str, int], wanted: tuple[str, ...], source: str
) -> None:
    absent = [name for name in wanted if name not in names]
    if absent:
        raise StockDataError(
            f"{source}: missing column(s) {absent} (case-insensitive); its columns are {header}. "
            "To fix: point date_column at the date column, or use a file with "
            "Open, High, Low, Close and Volume"
        )
    if len(names) < len(header):
        seen = [name.strip().lower() for name in header]
        twice = sorted({name for name in seen if seen.count(name) > 1 and name in wanted})
        if twice:
            raise StockDataError(
                f"{source}: column(s) {twice} appear more than once (ignoring case) in {header}. "
                "To fix: rename or remove the extra column"
            )


def _select_ticker(
    raw: pd.DataFrame,
    header: list[str],
    names: Mapping[str, int],
    ticker_column: str,
    ticker: str | None,
    source: str,
) -> tuple[pd.DataFrame, str, int]:
    """Rows of the chosen ticker, its name ("" without a ticker column), rows of other tickers."""
    position = names.get(ticker_column.lower())
    if position is None:
        if ticker is not None:
            raise StockDataError(
                f"{source}: ticker {ticker!r} asked for, but there is no {ticker_column!r} column "
                f"(columns: {header}). To fix: drop the ticker setting or name the right column"
            )
        return raw, "", 0
    symbols = raw.iloc[:, position].str.strip()
    present = sorted(set(symbols))
    if ticker is None:
        if len(present) > 1:
            raise StockDataError(
                f"{source} holds several tickers: {_listing(present)}. To fix: choose one "
                "with the ticker setting"
            )
        return raw, present[0], 0
    keep = symbols.str.upper() == ticker.strip().upper()
    if not keep.any():
        raise StockDataError(
            f"{source} has no rows for ticker {ticker!r}; its tickers are {_listing(present)}. "
            "To fix: choose one of those"
        )
    return raw[keep], str(symbols[keep].iloc[0]), int((~keep).sum())


def _build(
    table: pd.DataFrame, source: str, missing: MissingRule | None, report: dict[str, int | str]
) -> PriceSeries:
    """Parse, validate and repair string rows indexed by line; `missing=None` refuses blanks."""
    where = pd.Index([f"line {line}" for line in table.index])
    table = table.set_axis(where)
    dates = _parse_dates(table["date"], source)
    values = pd.DataFrame({name: _parse_numbers(table[name], source) for name in COLUMNS})
    blank = values.isna().any(axis=1)
    if missing is None and blank.any():
        raise StockDataError(
            f"{source}, {where[blank.argmax()]}: missing value. To fix: {_FIX_SAVED}"
        )
    repeat = dates.eq(dates.shift()) & _same_as_previous(values)
    dates, values, blank = dates[~repeat], values[~repeat], blank[~repeat]
    _check_order(dates, source)
    _check_values(values, source, _FIX_ROW)
    if missing == "ffill":
        values = values.ffill()
    kept = values.notna().all(axis=1)
    frame = values[kept].set_axis(pd.DatetimeIndex(dates[kept], name="date"))
    if frame.empty:
        raise StockDataError(f"{source}: no rows left after dropping rows with missing values")
    report = {
        **report,
        "duplicates_dropped": int(repeat.sum()),
        "rows_missing": int(blank.sum()),
        "missing_rule": missing or "none",
        "rows_dropped": int((~kept).sum()),
        "rows_filled": int((blank & kept).sum()),
        "rows_kept": len(frame),
    }
    return PriceSeries(frame=frame.astype(np.float64), source=source, report=report)


def _same_as_previous(values: pd.DataFrame) -> pd.Series:
    """True where a row equals the row above it in every column (two missing cells match)."""
    above = values.shift()
    return (values.eq(above) | (values.isna() & above.isna())).all(axis=1)


def _parse_dates(cells: pd.Series, source: str) -> pd.Series:
    """Dates in the one layout of `DATE_FORMATS` that the first row uses; every row must parse."""
    text = cells.str.strip()
    blank = text.str.lower().isin(_MISSING)
    if blank.any():
        raise StockDataError(
            f"{source}, {text.index[blank.argmax()]}: the date is missing. To fix: {_FIX_ROW}"
        )
    first = text.iloc[0]
    for layout in DATE_FORMATS:
        if not pd.isna(pd.to_datetime(first, format=layout, errors="coerce")):
            parsed = pd.to_datetime(text, format=layout, errors="coerce")
            break
    else:
        layout, parsed = "", pd.Series(pd.NaT, index=text.index)
    bad = parsed.isna()
    if bad.any():
        place = text.index[bad.argmax()]
        expected = f"like the first row ({layout})" if layout else f"in one of {DATE_FORMATS}"
        raise StockDataError(
            f"{source}, {place}: date {text[place]!r} does not parse {expected}. To fix: {_FIX_ROW}"
        )
    return parsed


def _parse_numbers(cells: pd.Series, source: str) -> pd.Series:
    """float64 with NaN for missing cells; thousands separators are accepted only as 1,234,567."""
    text = cells.str.strip()
    grouped = text.str.fullmatch(_THOUSANDS)
    text = text.where(~grouped, text.str.replace(",", "", regex=False))
    blank = text.str.lower().isin(_MISSING)
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(np.float64)
    bad = ~blank & ~np.isfinite(numbers)
    if bad.any():
        place = cells.index[bad.argmax()]
        raise StockDataError(
            f"{source}, {place}: {cells.name} value {cells[place]!r} is not a finite number. "
            f"To fix: {_FIX_ROW}, or empty that cell to mark it missing"
        )
    return numbers


def _check_order(dates: pd.Series, source: str) -> None:
    """Dates strictly increasing; names the first offending pair (index = where each row is)."""
    step = dates.diff()
    bad = step <= pd.Timedelta(0)
    if not bad.any():
        return
    at = int(bad.argmax())
    before, after = dates.index[at - 1], dates.index[at]
    problem = "repeats the date of" if step.iloc[at] == pd.Timedelta(0) else "comes before"
    hint = (
        " The whole file runs newest first: sort it by date, oldest first."
        if len(step) > 2 and (step.iloc[1:] < pd.Timedelta(0)).all()
        else ""
    )
    raise StockDataError(
        f"{source}, {after}: date {dates.iloc[at]:%Y-%m-%d} {problem} {before} "
        f"({dates.iloc[at - 1]:%Y-%m-%d}); dates must be strictly increasing.{hint} "
        "To fix: sort the rows by date and keep one row per date"
    )


def _check_values(values: pd.DataFrame, source: str, fix: str) -> None:
    """Prices > 0 and volume >= 0; missing cells (NaN) pass, they are handled by the rule."""
    for name in COLUMNS:
        column = values[name]
        bad = column < 0 if name == "volume" else column <= 0
        if bad.any():
            place = column.index[bad.argmax()]
            rule = "negative" if name == "volume" else "not positive"
            raise StockDataError(
                f"{source}, {place}: {name} {float(column[place])!r} is {rule}. To fix: {fix}"
            )


def _listing(names: list[str]) -> str:
    return ", ".join(names[:_SHOWN]) + (
        f" ... ({len(names)} in all)" if len(names) > _SHOWN else ""
    )
