"""The forecast page says plainly, and correctly, whether the LSTM beats persistence."""

from __future__ import annotations

import math

from dlpipe.reporting.forecast_report import forecast_markdown, verdict


def _metrics(ratio: float) -> dict[str, dict[str, float]]:
    row = {"rmse": 1.0, "mae": 1.0, "mape": 1.0, "direction_accuracy": 0.5}
    return {
        "lstm": {**row, "rmse": ratio, "rmse_ratio_to_persistence": ratio},
        "persistence": {**row, "direction_accuracy": math.nan, "rmse_ratio_to_persistence": 1.0},
    }


def test_verdict_says_significantly_worse_above_one_with_a_small_p() -> None:
    text = verdict(_metrics(1.05), p_value=0.01)
    assert text.startswith("The LSTM is significantly worse than persistence")
    assert "1.0500" in text and "5.00% higher" in text and "p = 0.01" in text


def test_a_lower_rmse_within_noise_is_no_significant_difference() -> None:
    text = verdict(_metrics(0.99), p_value=0.4)
    assert text.startswith("No significant difference between the LSTM and persistence")
    assert "1.00% lower" in text and "does NOT beat persistence beyond noise" in text


def test_a_lower_rmse_with_a_small_p_is_significantly_better() -> None:
    text = verdict(_metrics(0.9), p_value=0.001)
    assert text.startswith("The LSTM is significantly better than persistence")


def test_page_ranks_by_rmse_and_lists_walk_forward_blocks() -> None:
    metrics = _metrics(1.2)
    page = forecast_markdown(metrics, 0.2, "desc", walk_forward=[metrics, _metrics(0.9)])
    table_rows = [line for line in page.splitlines() if line.startswith("| ")]
    assert table_rows[1].startswith("| persistence") and table_rows[2].startswith("| lstm")
    assert "| block 2 | 0.9 | 1 |" in page
