"""The forecast table as a page that says plainly whether the LSTM beats persistence."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dlpipe.reporting.tables import markdown_table


def verdict(metrics: Mapping[str, Mapping[str, float]], p_value: float) -> str:
    """The LSTM's RMSE as a ratio to persistence's on the same days, and whether the gap is
    distinguishable from noise (Diebold-Mariano p-value, 5% level)."""
    ratio = metrics["lstm"]["rmse_ratio_to_persistence"]
    if not math.isfinite(ratio):
        return "The LSTM could not be compared with persistence (persistence was exact)."
    significance = (
        f"the difference is significant (Diebold-Mariano p = {p_value:.3g})"
        if p_value < 0.05
        else f"the difference is within noise (Diebold-Mariano p = {p_value:.3g})"
    )
    if ratio < 1.0:
        return (
            f"The LSTM beats persistence: its RMSE is {ratio:.4f} x persistence's on the same "
            f"test days ({100 * (1 - ratio):.2f}% lower); {significance}."
        )
    return (
        f"The LSTM does NOT beat persistence: its RMSE is {ratio:.4f} x persistence's on the "
        f"same test days ({100 * (ratio - 1):.2f}% higher); {significance}."
    )


def forecast_markdown(
    metrics: Mapping[str, Mapping[str, float]],
    p_value: float,
    description: str,
    walk_forward: Sequence[Mapping[str, Mapping[str, float]]] = (),
) -> str:
    """Models x metrics (prices), the verdict, and the walk-forward blocks when there are any."""
    order = sorted(metrics, key=lambda name: metrics[name]["rmse"])
    lines = [
        "# Stock forecast: LSTM vs baselines",
        "",
        description,
        "",
        markdown_table("model", {name: dict(metrics[name]) for name in order}),
        f"**{verdict(metrics, p_value)}**",
        "",
        "Metrics are on prices: RMSE and MAE in price units, MAPE in %, direction accuracy = "
        "share of days whose up/down move was called right (persistence calls none).",
    ]
    if walk_forward:
        ratios = {
            f"block {i + 1}": {name: block[name]["rmse_ratio_to_persistence"] for name in block}
            for i, block in enumerate(walk_forward)
        }
        lines += [
            "",
            "## Walk-forward: RMSE / persistence RMSE per test block",
            "",
            markdown_table("block", ratios),
        ]
    return "\n".join(lines) + "\n"
