"""Everything train_recommender leaves in reports/recommender: metrics, curves, the page."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlpipe.atomic import write_json, write_text
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.recommender_report import recommender_markdown
from dlpipe.reporting.tables import wide_csv


def describe_split(
    n_ratings: int,
    n_users: int,
    n_items: int,
    split: str,
    n_train: int,
    n_test: int,
    val_fraction: float,
) -> str:
    """The page's first paragraph: the data, the split, and what chooses each epoch."""
    return (
        f"{n_ratings:,} ratings, {n_users:,} users, {n_items:,} movies; "
        f"split `{split}`: {n_train:,} training / {n_test:,} test ratings "
        f"(the rating matrix holds training ratings only; {val_fraction:.0%} of them "
        f"choose each autoencoder's epoch)."
    )


def write_recommender_outputs(
    metrics: Mapping[str, Mapping[str, float]],
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    best: str,
    samples: Mapping[int, Sequence[tuple[int, str, float]]],
    description: str,
    targets: Mapping[str, Path],
) -> None:
    """`curves` per autoencoder; `targets`: details.json, learning_curves.csv/.png, report.md."""
    write_json(
        targets["details.json"],
        {
            m: {k: (v if math.isfinite(v) else None) for k, v in row.items()}
            for m, row in metrics.items()
        },
    )
    write_text(
        targets["learning_curves.csv"],
        wide_csv("epoch", {name: h["val/rmse"] for name, h in curves.items()}, start=1),
    )
    plot_curves(
        curves,
        ("train/rmse", "val/rmse"),
        targets["learning_curves.png"],
        "Autoencoders: masked RMSE per epoch",
    )
    write_text(
        targets["report.md"],
        recommender_markdown(metrics, list(curves), best, samples, description),
    )
