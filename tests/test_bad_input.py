"""Bad input everywhere: each ingest stage's reader and each `dlpipe` command that reads a user's
file refuses a truncated file, the wrong columns, the wrong types, duplicates, an empty file, a
missing file and a directory with one message naming the file and the row, column or key, and
saying what to do (the cases: tests/bad_input_cases.py; their messages: docs/operations.md).

Beyond the table: a real stage run and a real console-script run print bad input as one line
without a traceback; the stock large-move check and the MovieLens title encodings.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bad_input_cases import CASES, COURSE_HEADER, SPLIT_DAYS, U_DATA, Case, run_case
from dlpipe.config import StockLargeMove
from dlpipe.datasets.movielens import load_from_path
from dlpipe.datasets.movielens_formats import MovieLensError
from dlpipe.datasets.stocks import large_moves, parse_price_csv
from dlpipe.families.stocks.fetch import check_large_moves

REPO = Path(__file__).resolve().parents[1]
TABLE_SCRIPT = REPO / "scripts" / "bad_input_table.py"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_is_named_with_its_place_and_a_fix(case: Case, tmp_path: Path) -> None:
    outcome = run_case(case, tmp_path)
    for name in case.names:
        assert name in outcome.message, (name, outcome.message)
    assert case.hint in outcome.message, outcome.message
    assert "\n" not in outcome.message
    if case.call is None:  # a command: non-zero, one `error:` line on stderr, nothing else
        assert outcome.exit_code not in (None, 0)
        assert outcome.stderr.startswith("error: ") and outcome.stderr.count("\n") == 1
        assert outcome.stdout == ""


def test_every_stage_and_command_meets_every_kind_of_bad_input() -> None:
    kinds = ("truncated", "wrong columns", "wrong types", "duplicates", "empty", "missing", "dir")
    for where in dict.fromkeys(case.where for case in CASES):
        met = " ".join(case.case for case in CASES if case.where == where)
        wanted = kinds
        if where.startswith(("dlpipe predict-face", "dlpipe sample")):
            wanted = ("missing", "dir")  # the rest needs a trained model: tests/serving
        elif where.startswith("dlpipe crawl"):
            wanted = ("missing", "dir")  # the file's content: as `dlpipe params show`
        elif where.startswith("fetch_mnist"):
            wanted = tuple(k for k in kinds if k != "duplicates")  # IDX files hold no keys
        assert [k for k in wanted if k not in met.replace("a directory", "dir")] == [], where


def test_the_docs_table_is_the_cases_messages() -> None:
    spec = importlib.util.spec_from_file_location("bad_input_table", TABLE_SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.documented() == script.table(), (
        "docs/operations.md: the bad-input table is stale; run "
        "PYTHONPATH=src .venv/bin/python scripts/bad_input_table.py --write"
    )


# --- a real stage and a real command -----------------------------------------------------------


def _stage_project(root: Path, prices: str, action: str) -> Path:
    """A project whose fetch_stock_prices reads `prices` (stocks.source: csv)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["stocks"].update(source="csv", large_move={"threshold": 0.4, "action": action})
    params["stocks"]["csv"].update(path="prices.csv", date_column="Date")
    root.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (root / "prices.csv").write_text(prices, encoding="utf-8")
    return root


def _run_stage(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return subprocess.run(
        [sys.executable, str(REPO / "pipeline" / "fetch_stock_prices.py")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_stage_given_bad_input_prints_one_line_and_writes_nothing(tmp_path: Path) -> None:
    root = _stage_project(tmp_path / "bad", COURSE_HEADER + "2016-01-04,743,744,731", "warn")
    done = _run_stage(root)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and errors[0].startswith("ERROR dlpipe.stage: fetch_stock_prices: ")
    assert errors[0].endswith(
        "prices.csv, line 2: 4 fields but the header has 6: ['2016-01-04', '743', '744', '731']. "
        "To fix: correct or delete that row in the file (numbers with thousands separators must "
        'be quoted, as in "7,380,500")'
    )
    assert not (root / "data/raw/stock_prices.csv").exists()


@pytest.mark.slow
def test_a_split_is_flagged_with_its_date_and_fails_only_when_asked(tmp_path: Path) -> None:
    prices = COURSE_HEADER + SPLIT_DAYS
    warned = _run_stage(_stage_project(tmp_path / "warn", prices, "warn"))
    assert warned.returncode == 0, warned.stderr
    assert "WARNING dlpipe.families.stocks.fetch:" in warned.stderr
    assert "prices.csv, row dated 2014-03-27: close moved -50% in one day" in warned.stderr
    summary = json.loads((tmp_path / "warn/reports/stocks/data.json").read_text(encoding="utf-8"))
    assert summary["large_moves"] == [
        {
            "column": "close",
            "day": "2014-03-27",
            "previous": 1120.0,
            "value": 558.5,
            "change": 558.5 / 1120 - 1,
        }
    ]
    failed = _run_stage(_stage_project(tmp_path / "error", prices, "error"))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "set stocks.large_move.action to warn (1 such move(s) in all)" in failed.stderr


@pytest.mark.slow
def test_the_console_script_prints_bad_input_as_one_line(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text("Age,City\n40,Paris\n31\n", encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dlpipe"), "classify", "rows.csv"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "error: rows.csv, line 3: 1 field(s) but the header has 2 (a truncated or shifted row). "
        "To fix: complete that row or delete it\n"
    )


# --- stock moves: the threshold, and a quiet series ----------------------------------------------


def _series(closes: list[float]) -> pd.DataFrame:
    days = pd.date_range("2020-01-01", periods=len(closes), freq="D", name="date")
    frame = pd.DataFrame({name: closes for name in ("open", "high", "low", "close")}, index=days)
    return frame.assign(volume=1.0)


def test_only_moves_over_the_threshold_are_flagged() -> None:
    assert large_moves(_series([100, 110, 95, 120]), 0.4) == []
    moves = large_moves(_series([100, 139, 100, 141]), 0.4)  # +39%, -28%, +41%
    assert [(m.column, m.day, round(m.change, 2)) for m in moves] == [
        (column, "2020-01-04", 0.41) for column in ("open", "high", "low", "close")
    ]


def test_a_warned_move_is_logged_with_file_column_and_date(caplog) -> None:
    series = parse_price_csv(COURSE_HEADER + SPLIT_DAYS, "google.csv", date_column="Date")
    with caplog.at_level(logging.WARNING, logger="dlpipe.families.stocks.fetch"):
        moves = check_large_moves(series, StockLargeMove(threshold=0.4, action="warn"))
    assert [(move.column, move.day) for move in moves] == [("close", "2014-03-27")]
    assert caplog.messages == [
        "google.csv, row dated 2014-03-27: close moved -50% in one day (1120 -> 558.5), an "
        "unadjusted split? To fix: use split-adjusted prices (or drop that column from the "
        "features)"
    ]


# --- MovieLens titles in other encodings ---------------------------------------------------------


def _ml_folder(root: Path, u_item: bytes) -> Path:
    folder = root / "ml"
    folder.mkdir(parents=True)
    (folder / "u.data").write_text(U_DATA, encoding="utf-8")
    (folder / "u.item").write_bytes(u_item)
    return folder


@pytest.mark.parametrize(
    ("encoding", "setting"),
    [("latin-1", "auto"), ("utf-8", "auto"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_titles_decode_in_their_encoding(tmp_path: Path, encoding: str, setting: str) -> None:
    second = {"latin-1": "Ça commence (1999)", "cp1252": "“Goldeneye” (1995)"}
    titles = {1: "Amélie (2001)", 2: second.get(encoding, "千と千尋の神隠し (2001)")}
    text = "".join(f"{item}|{title}|01-Jan-2001||x|0\n" for item, title in titles.items())
    ratings = load_from_path(_ml_folder(tmp_path, text.encode(encoding)), encoding=setting)
    assert ratings.titles.to_dict() == titles


def test_an_unknown_encoding_setting_is_named(tmp_path: Path) -> None:
    with pytest.raises(MovieLensError, match=r"u\.item: 'latin-9x' is not an encoding"):
        load_from_path(_ml_folder(tmp_path, b"1|A (1990)|x\n2|B (1991)|x\n"), encoding="latin-9x")
