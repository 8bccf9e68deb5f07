"""Tables DVC and people read: exact text on small hand-made inputs."""

from __future__ import annotations

import math

from dlpipe.reporting.optimizer_report import comparison_markdown
from dlpipe.reporting.tables import markdown_table, wide_csv


def test_wide_csv_pads_short_series_and_blanks_nan() -> None:
    text = wide_csv("epoch", {"a": [1.0, 0.5], "b": [2.0, math.nan, 0.25]}, start=1)
    assert text == "epoch,a,b\n1,1,2\n2,0.5,\n3,,0.25\n"


def test_markdown_table_unions_columns_in_order() -> None:
    text = markdown_table("k", {"r1": {"x": 1, "y": 0.123456}, "r2": {"z": "hi", "x": None}})
    assert text.splitlines() == [
        "| k | x | y | z |",
        "|---|---|---|---|",
        "| r1 | 1 | 0.1235 |  |",
        "| r2 |  |  | hi |",
    ]


def _row(name: str, acc: float, error: str | None = None) -> dict[str, object]:
    return {
        "name": name,
        "test/acc": acc,
        "test/loss": 1 - acc,
        "train/loss": 0.2,
        "seconds": 3.0,
        "error": error,
    }


def test_comparison_ranks_by_accuracy_against_the_sgd_baseline() -> None:
    rows = [_row("rmsprop", math.nan, "loss is nan"), _row("sgd", 0.90), _row("adam", 0.95)]
    text = comparison_markdown(rows, epochs=2, hidden_sizes=(8,))
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in lines[1:]] == ["| adam", "| sgd", "| rmsprop"]
    assert "+5.00 pts" in lines[1] and "+0.00 pts" in lines[2]
    assert "loss is nan" in lines[3]
    assert "Best test accuracy: **adam**" in text
    assert "784-8-10" in text and "2 epochs" in text
