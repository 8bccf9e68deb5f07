"""Daily prices: both wheel CSV layouts and Google-style CSVs parse; every broken rule is an error
naming source, line and value; missing values follow the documented rule; files round-trip."""

import gzip
import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.stocks import (
    COLUMNS,
    PriceSeries,
    StockDataError,
    load_from_csv,
    load_from_wheel,
    load_prices,
    parse_price_csv,
    save_prices,
    validate_prices,
)

Maker = Callable[[Path, str, str, dict[str, bytes]], Path]

# Layout of arch's sp500.csv.gz: M/D/YYYY dates, an Adj Close column, CRLF line ends.
ARCH_CSV = (
    "Date,Open,High,Low,Close,Adj Close,Volume\r\n"
    "1/4/1999,1229.22998,1248.810059,1219.099976,1228.099976,1228.099976,877000000\r\n"
    "1/5/1999,1228.099976,1246.109985,1228.099976,1244.780029,1244.780029,775000000\r\n"
    "1/8/1999,1244.780029,1272.5,1244.780029,1272.339966,1272.339966,986900000\r\n"
)
# Layout of bokeh-sampledata's stocks.csv.gz: several tickers, ISO dates, Adj Close last.
BOKEH_CSV = """Ticker,Date,Open,High,Low,Close,Volume,Adj Close
AAPL,2000-03-01,118.56,132.06,118.5,130.31,9616100,4.18
AAPL,2000-03-02,127.0,127.94,120.69,122.0,2779100,3.91
AAPL,2000-03-06,126.0,129.13,125.0,125.69,1880000,4.03
IBM,2000-03-01,102.0,105.5,100.06,100.25,10807800,75.0
IBM,2000-03-02,100.5,105.44,99.5,103.12,11192900,77.1
"""
# Like the course's Google_Stock_Price_Train.csv: quoted numbers with thousands separators.
GOOGLE_CSV = """Date,Open,High,Low,Close,Volume
1/3/2012,325.25,332.83,324.97,663.59,"7,380,500"
1/4/2012,331.27,333.87,329.08,666.45,"5,749,400"
1/5/2012,329.83,330.75,326.89,"1,657.21","6,590,300"
"""
HEADER = "date,open,high,low,close,volume\n"


def _csv(*rows: str) -> str:
    return HEADER + "".join(f"{row}\n" for row in rows)


OK_ROWS = (
    "2020-01-02,10,11,9,10.5,100",
    "2020-01-03,10.5,12,10,11,200",
    "2020-01-06,11,11.5,10.5,11.2,300",
)


def _error(text: str, **options: object) -> str:
    with pytest.raises(StockDataError) as caught:
        parse_price_csv(text, "prices.csv", **options)
    return str(caught.value)


def test_arch_layout_gzipped_bytes() -> None:
    series = parse_price_csv(gzip.compress(ARCH_CSV.encode()), "sp500.csv.gz")
    frame = series.frame
    assert list(frame.columns) == list(COLUMNS)
    assert (frame.dtypes == np.float64).all()
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "date"
    assert list(frame.index.strftime("%Y-%m-%d")) == ["1999-01-04", "1999-01-05", "1999-01-08"]
    assert frame.loc["1999-01-05", "close"] == 1244.780029
    assert frame["volume"].iloc[0] == 877_000_000.0
    assert series.source == "sp500.csv.gz"
    assert series.report["rows_read"] == series.report["rows_kept"] == 3


def test_bokeh_layout_selects_one_ticker_case_insensitively() -> None:
    series = parse_price_csv(BOKEH_CSV, "stocks.csv", ticker="aapl")
    assert len(series.frame) == 3
    assert series.frame["close"].tolist() == [130.31, 122.0, 125.69]
    assert series.report["ticker"] == "AAPL"
    assert series.report["rows_read"] == 5
    assert series.report["rows_other_tickers"] == 2


def test_google_layout_with_thousands_separators() -> None:
    frame = parse_price_csv(GOOGLE_CSV, "Google_Stock_Price_Train.csv").frame
    assert frame["volume"].tolist() == [7_380_500.0, 5_749_400.0, 6_590_300.0]
    assert frame["close"].iloc[2] == 1657.21


def test_unquoted_thousands_separator_is_named_by_line() -> None:
    message = _error(GOOGLE_CSV.replace('"5,749,400"', "5,749,400"))
    assert "prices.csv, line 3" in message and "quoted" in message


def test_comma_that_is_not_a_thousands_separator_is_refused() -> None:
    message = _error(_csv(OK_ROWS[0], '2020-01-03,10.5,12,10,"11,5",200'))
    assert "line 3" in message and "'11,5'" in message and "close" in message


def test_column_names_are_case_insensitive_and_extras_ignored() -> None:
    text = "Timestamp,OPEN,high,Low,cLoSe,Volume,Note\n2020-01-02,1,2,0.5,1.5,10,x\n"
    series = parse_price_csv(text, "prices.csv", date_column="timestamp")
    assert series.frame["high"].tolist() == [2.0]


def test_missing_columns_list_the_columns_present() -> None:
    message = _error("Date,Open,High,Close\n2020-01-02,1,2,1.5\n")
    assert (
        "missing column(s) ['low', 'volume']" in message
        and "['Date', 'Open', 'High', 'Close']" in message
    )


def test_unknown_ticker_lists_the_tickers_in_the_file() -> None:
    message = _error(BOKEH_CSV, ticker="MSFT")
    assert "'MSFT'" in message and "AAPL, IBM" in message


def test_several_tickers_need_a_choice() -> None:
    assert "several tickers: AAPL, IBM" in _error(BOKEH_CSV)


def test_ticker_without_a_ticker_column_is_an_error() -> None:
    assert "no 'ticker' column" in _error(_csv(*OK_ROWS), ticker="AAPL")


def test_date_that_does_not_parse_names_line_and_value() -> None:
    message = _error(_csv(OK_ROWS[0], "2020-13-45,10.5,12,10,11,200"))
    assert "prices.csv, line 3" in message and "'2020-13-45'" in message


def test_mixed_date_layouts_are_refused() -> None:
    message = _error(_csv(OK_ROWS[0], "1/3/2020,10.5,12,10,11,200"))
    assert "line 3" in message and "'1/3/2020'" in message


def test_missing_date_is_an_error_whatever_the_rule() -> None:
    message = _error(_csv(OK_ROWS[0], ",10.5,12,10,11,200"), missing="ffill")
    assert "line 3" in message and "date is missing" in message


def test_duplicate_date_with_other_values_names_both_lines() -> None:
    message = _error(_csv(*OK_ROWS[:2], "2020-01-03,10.5,12,10,11.1,200"))
    assert "line 4" in message and "repeats the date of line 3" in message
    assert "newest first" not in message


def test_dates_going_back_name_the_first_offending_pair() -> None:
    message = _error(_csv(OK_ROWS[0], OK_ROWS[2], OK_ROWS[1]))
    assert "line 4: date 2020-01-03 comes before line 3 (2020-01-06)" in message
    assert "newest first" not in message


def test_newest_first_file_gets_a_hint() -> None:
    assert "newest first" in _error(_csv(*reversed(OK_ROWS)))


def test_line_numbers_count_blank_lines() -> None:
    message = _error(_csv(OK_ROWS[0], "", "2020-01-03,10.5,12,10,-11,200"))
    assert "line 4: close -11.0 is not positive" in message


def test_verbatim_repeated_row_is_kept_once_and_counted() -> None:
    series = parse_price_csv(_csv(OK_ROWS[0], OK_ROWS[1], OK_ROWS[1], OK_ROWS[2]), "p.csv")
    assert len(series.frame) == 3
    assert series.report["duplicates_dropped"] == 1


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
def test_prices_must_be_positive(column: str) -> None:
    values = dict(zip(COLUMNS, ["10.5", "12", "10", "11", "200"], strict=True))
    values[column] = "0"
    message = _error(_csv(OK_ROWS[0], ",".join(["2020-01-03", *values.values()])))
    assert f"line 3: {column} 0.0 is not positive" in message and "To fix" in message


def test_volume_may_be_zero_but_not_negative() -> None:
    assert parse_price_csv(_csv("2020-01-02,10,11,9,10.5,0"), "p.csv").frame["volume"].iloc[0] == 0
    assert "line 2: volume -5.0 is negative" in _error(_csv("2020-01-02,10,11,9,10.5,-5"))


@pytest.mark.parametrize("value", ["abc", "inf", "1e400"])
def test_values_that_are_not_finite_numbers_are_named(value: str) -> None:
    message = _error(_csv(OK_ROWS[0], f"2020-01-03,10.5,12,10,11,{value}"))
    assert f"line 3: volume value '{value}'" in message


MISSING_ROWS = (
    "2020-01-02,,11,9,10.5,100",
    OK_ROWS[1],
    "2020-01-06,null,11.5,10.5,NaN,300",
    "2020-01-07,11.3,11.6,11,11.4,",
)


def test_drop_rule_removes_rows_with_missing_values() -> None:
    series = parse_price_csv(_csv(*MISSING_ROWS), "p.csv", missing="drop")
    assert list(series.frame.index.strftime("%m-%d")) == ["01-03"]
    assert series.report["rows_missing"] == 3 and series.report["rows_dropped"] == 3
    assert series.report["rows_filled"] == 0 and series.report["missing_rule"] == "drop"


def test_ffill_rule_carries_values_forward_and_drops_a_missing_first_row() -> None:
    series = parse_price_csv(_csv(*MISSING_ROWS), "p.csv", missing="ffill")
    frame = series.frame
    assert list(frame.index.strftime("%m-%d")) == ["01-03", "01-06", "01-07"]
    assert frame.loc["2020-01-06", "open"] == 10.5 and frame.loc["2020-01-06", "close"] == 11.0
    assert frame.loc["2020-01-06", "high"] == 11.5
    assert frame.loc["2020-01-07", "volume"] == 300.0
    assert series.report["rows_missing"] == 3
    assert series.report["rows_filled"] == 2 and series.report["rows_dropped"] == 1


def test_nothing_left_after_dropping_is_an_error() -> None:
    assert "no rows left" in _error(_csv("2020-01-02,,11,9,10.5,100"))


def test_unknown_missing_rule_is_refused() -> None:
    assert "'drop' or 'ffill'" in _error(_csv(*OK_ROWS), missing="zero")


def test_empty_and_headless_files_are_errors() -> None:
    assert "is empty" in _error("")
    assert "no data rows" in _error(HEADER)


def test_load_from_csv_reads_gzip_and_names_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "google.csv.gz"
    path.write_bytes(gzip.compress(GOOGLE_CSV.encode()))
    series = load_from_csv(path)
    assert series.source == str(path) and len(series.frame) == 3
    with pytest.raises(StockDataError, match="does not exist"):
        load_from_csv(tmp_path / "absent.csv")


def test_save_then_load_round_trips_exactly(tmp_path: Path) -> None:
    series = parse_price_csv(GOOGLE_CSV, "google.csv")
    path = tmp_path / "out" / "prices.csv"
    save_prices(series, path)
    back = load_prices(path)
    pd.testing.assert_frame_equal(back.frame, series.frame)
    assert back.source == str(path)
    assert path.read_text().splitlines()[0] == "date,open,high,low,close,volume"
    assert sorted(p.name for p in path.parent.iterdir()) == ["prices.csv"]


def test_save_refuses_an_invalid_series(tmp_path: Path) -> None:
    frame = parse_price_csv(_csv(*OK_ROWS), "p.csv").frame
    unsorted = PriceSeries(frame=frame.iloc[::-1], source="built", report={})
    with pytest.raises(StockDataError, match="row dated 2020-01-03"):
        save_prices(unsorted, tmp_path / "prices.csv")
    gap = frame.copy()
    gap.iloc[1, 0] = np.nan
    with pytest.raises(StockDataError, match="row dated 2020-01-03: missing or infinite value"):
        validate_prices(PriceSeries(frame=gap, source="built", report={}))
    assert not (tmp_path / "prices.csv").exists()


def test_load_prices_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(_csv(OK_ROWS[0], "2020-01-03,,12,10,11,200"))
    with pytest.raises(StockDataError, match="line 3: missing value") as caught:
        load_prices(path)
    assert "delete it" in str(caught.value)
    path.write_text("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,10\n")
    with pytest.raises(StockDataError, match="not a file written by save_prices"):
        load_prices(path)
    with pytest.raises(StockDataError, match="does not exist"):
        load_prices(tmp_path / "absent.csv")


MEMBER = "fake_stocks/data/stocks.csv.gz"


def _refuse_subprocess(*args: object, **kwargs: object) -> None:
    raise AssertionError("no pip call expected: the wheel is in the cache")


@pytest.fixture
def cached_wheel(tmp_path: Path, make_wheel: Maker, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake wheel holding the bokeh layout, already in the cache; pip is forbidden."""
    monkeypatch.setattr(subprocess, "run", _refuse_subprocess)
    return make_wheel(
        tmp_path / "cache", "fake-stocks", "1.0", {MEMBER: gzip.compress(BOKEH_CSV.encode())}
    )


def test_load_from_wheel_reads_the_member_without_installing(cached_wheel: Path) -> None:
    digest = hashlib.sha256(cached_wheel.read_bytes()).hexdigest()
    series = load_from_wheel(
        cached_wheel.parent,
        "fake-stocks",
        "1.0",
        digest,
        MEMBER,
        ticker="IBM",
        platform="manylinux_2_28_x86_64",
        python_version="3.11",
    )
    assert series.frame["close"].tolist() == [100.25, 103.12]
    assert series.source == f"{cached_wheel}!{MEMBER}"


def test_load_from_wheel_with_a_wrong_checksum_fails(cached_wheel: Path) -> None:
    with pytest.raises(ChecksumError) as caught:
        load_from_wheel(cached_wheel.parent, "fake-stocks", "1.0", "ab" * 32, MEMBER, ticker="IBM")
    assert str(cached_wheel) in str(caught.value)
    assert isinstance(caught.value, DatasetError)
