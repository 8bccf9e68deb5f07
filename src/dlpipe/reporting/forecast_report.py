"""The forecast table as a page that says plainly whether the LSTM beats persistence."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dlpipe.evaluation.verdicts import SIGNIFICANTLY_BETTER, SIGNIFICANTLY_WORSE
from dlpipe.evaluation.verdicts import verdict as verdict_code
from dlpipe.reporting.tables import figures, markdown_table


def verdict(metrics: Mapping[str, Mapping[str, float]], p_value: float) -> str:
    """The LSTM's RMSE as a ratio to persistence's on the same days, and which of three outcomes
    the Diebold-Mariano test allows: significantly better, no significant difference, worse."""
    ratio = metrics["lstm"]["rmse_ratio_to_persistence"]
    if not math.isfinite(ratio):
        return "The LSTM could not be compared with persistence (persistence was exact)."
    outcome = verdict_code(p_value, ratio < 1.0)
    side = "lower" if ratio < 1.0 else "higher"
    gap = (
        f"its RMSE is {ratio:.4f} x persistence's on the same test days "
        f"({100 * abs(1 - ratio):.2f}% {side}; Diebold-Mariano p = {p_value:.3g})"
    )
    if outcome == SIGNIFICANTLY_BETTER:
        return f"The LSTM is significantly better than persistence: {gap}."
    if outcome == SIGNIFICANTLY_WORSE:
        return f"The LSTM is significantly worse than persistence: {gap}."
    return (
        f"No significant difference between the LSTM and persistence: {gap}. The LSTM does "
        "NOT beat persistence beyond noise."
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
    lines += [
        "",
        "## Figures",
        "",
        *figures(
            {
                "forecast.png": "Next-day price on the test days: actual, LSTM and persistence",
                "errors.png": "Forecast errors on the test days, per model",
                "learning_curves.png": "LSTM training and validation loss (scaled MSE) per epoch",
            }
        ),
    ]
    return "\n".join(lines)
