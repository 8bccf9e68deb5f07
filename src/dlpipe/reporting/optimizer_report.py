"""The optimizer comparison as a page a person reads, next to the published result it echoes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dlpipe.reporting.tables import figures, markdown_table

BASELINE = "sgd"
PUBLISHED = (
    "Kingma & Ba (2015), section 6.2: on an MNIST MLP, Adam converged fastest among AdaGrad, "
    "RMSprop, SGD with Nesterov momentum and AdaDelta. Their network (two 1000-unit layers, "
    "dropout) and budget differ from ours: compare rankings, not numbers."
)


def comparison_markdown(
    rows: Sequence[Mapping[str, object]], epochs: int, hidden_sizes: Sequence[int]
) -> str:
    """Rows (name, test/loss, test/acc, final train/loss, error) ranked by test accuracy.

    Plain SGD is the baseline: every other optimizer's accuracy is also shown as a gain over it.
    """
    by_name = {str(row["name"]): row for row in rows}
    base = by_name.get(BASELINE, {}).get("test/acc")
    ranked = sorted(rows, key=_rank)
    table = {
        str(row["name"]): {
            "test/acc": _number(row["test/acc"]),
            f"vs {BASELINE}": _gain(row["test/acc"], base),
            "test/loss": _number(row["test/loss"]),
            "last train/loss": _number(row["train/loss"]),
            "note": row["error"] or "",
        }
        for row in ranked
    }
    finished = [row for row in ranked if math.isfinite(_number(row["test/acc"]))]
    best = str(finished[0]["name"]) if finished else "none (all diverged)"
    by_val = [row for row in rows if math.isfinite(_number(row.get("val/acc", math.nan)))]
    chosen = str(max(by_val, key=lambda r: _number(r["val/acc"]))["name"]) if by_val else best
    shape = "-".join(str(size) for size in (784, *hidden_sizes, 10))
    return "\n".join(
        [
            "# Optimizer comparison on MNIST",
            "",
            f"Same MLP ({shape}), same initial weights, same batches, {epochs} epochs each; "
            f"best checkpoint (by val/loss) evaluated on the 10,000 test images. "
            f"Baseline: plain `{BASELINE}`.",
            "",
            markdown_table("optimizer", table),
            f"Best test accuracy: **{best}**. The model the headline compares with plain "
            f"`{BASELINE}` (and the registry keeps) is the one with the best validation accuracy: "
            f"**{chosen}**.",
            "",
            f"Published: {PUBLISHED}",
            "",
            *figures(
                {"loss_curves.png": "Training and validation loss per epoch, every optimizer"}
            ),
            "Paths on 2-D test surfaces (animated): `trace_table.md`.",
            "",
        ]
    )


def trace_page(steps: Mapping[str, Mapping[str, object]]) -> str:
    """Steps to tolerance per surface and optimizer (or why not), then each surface's animation."""
    return "\n".join(
        [
            "# Optimizers on 2-D test surfaces",
            "",
            markdown_table("steps to tolerance", steps),
            *figures(
                {
                    f"trajectories/{surface}.gif": f"Every optimizer on {surface}"
                    for surface in steps
                }
            ),
        ]
    )


def _rank(row: Mapping[str, object]) -> tuple[bool, float]:
    """Highest accuracy first; diverged runs (NaN) last, since NaN breaks plain sorting."""
    acc = _number(row["test/acc"])
    return (not math.isfinite(acc), -acc if math.isfinite(acc) else 0.0)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _gain(value: object, base: object) -> str:
    a, b = _number(value), _number(base)
    if not (math.isfinite(a) and math.isfinite(b)):
        return ""
    return f"{100 * (a - b):+.2f} pts"
