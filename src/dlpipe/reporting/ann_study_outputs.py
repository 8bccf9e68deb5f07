"""Everything study_ann leaves in reports/classifiers/study: curves, searches, the page."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dlpipe.atomic import write_json, write_text
from dlpipe.reporting.ann_study_plots import plot_bias_variance, plot_dropout, plot_search
from dlpipe.reporting.ann_study_report import study_markdown
from dlpipe.reporting.tables import wide_csv

OUTPUTS = (
    "dropout.csv",
    "learning_curve.csv",
    "capacity_curve.csv",
    "search.csv",
    "search_progress.csv",
    "dropout.png",
    "bias_variance.png",
    "search.png",
    "details.json",
    "report.md",
)

SearchRow = tuple[int, Mapping[str, Any], float, float, float]
"""(evaluation number, candidate, mean CV ROC AUC, its std, best so far)."""


@dataclass(frozen=True)
class Curve:
    """Train and validation scores over x (training rows, or hidden units)."""

    x: Sequence[float]
    x_label: str
    train_mean: Sequence[float]
    train_std: Sequence[float]
    val_mean: Sequence[float]
    val_std: Sequence[float]


@dataclass(frozen=True)
class StudyPage:
    description: str
    dropout_rate: float
    dropout_network: str
    dropout_curves: Mapping[str, Mapping[str, Sequence[float]]]  # without/with -> losses
    dropout_gaps: Mapping[str, float]
    dropout_val_auc: Mapping[str, float]
    learning: Curve
    capacity: Curve
    diagnosis: str
    diagnosis_label: str
    trend: str
    searches: Mapping[str, Sequence[SearchRow]]
    budget: int
    folds: int
    target_score: float


def write_study_outputs(page: StudyPage, targets: Mapping[str, Path]) -> None:
    """CSVs for `dvc plots`, the figures, the details and the page."""
    curves = page.dropout_curves
    write_text(
        targets["dropout.csv"],
        wide_csv(
            "epoch",
            {
                f"{loss}_{name}_dropout": curves[name][loss]
                for name in curves
                for loss in ("train_loss", "val_loss")
            },
            start=1,
        ),
    )
    for key, curve in (
        ("learning_curve.csv", page.learning),
        ("capacity_curve.csv", page.capacity),
    ):
        frame = pd.DataFrame(
            {
                curve.x_label: list(curve.x),
                "train_auc": list(curve.train_mean),
                "train_std": list(curve.train_std),
                "val_auc": list(curve.val_mean),
                "val_std": list(curve.val_std),
            }
        )
        write_text(targets[key], frame.to_csv(index=False, float_format="%.6g"))
    rows = [
        {
            "strategy": name,
            "evaluation": index,
            "params": json.dumps(dict(params), sort_keys=True),
            "mean_auc": mean,
            "std_auc": std,
            "best_so_far": best,
        }
        for name, evaluations in page.searches.items()
        for index, params, mean, std, best in evaluations
    ]
    write_text(targets["search.csv"], pd.DataFrame(rows).to_csv(index=False, float_format="%.6g"))
    progress = {name: [row[4] for row in rows_] for name, rows_ in page.searches.items()}
    write_text(targets["search_progress.csv"], wide_csv("evaluation", progress, start=1))
    plot_dropout(curves, page.dropout_rate, targets["dropout.png"])
    plot_bias_variance(
        page.learning, page.capacity, page.target_score, targets["bias_variance.png"]
    )
    plot_search(progress, targets["search.png"])
    write_json(targets["details.json"], _details(page))
    write_text(targets["report.md"], study_markdown(page))


def _details(page: StudyPage) -> dict:
    return {
        "dropout": {
            "rate": page.dropout_rate,
            "network": page.dropout_network,
            "gap": dict(page.dropout_gaps),
            "val_auc": dict(page.dropout_val_auc),
        },
        "bias_variance": {
            "diagnosis": page.diagnosis_label,
            "text": page.diagnosis,
            "trend": page.trend,
        },
        "search": {
            name: {
                "best_auc": max(row[2] for row in rows),
                "best_params": dict(max(rows, key=lambda row: row[2])[1]),
                "evaluations": len(rows),
            }
            for name, rows in page.searches.items()
        },
    }
