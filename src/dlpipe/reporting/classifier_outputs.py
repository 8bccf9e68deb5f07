"""Everything compare_classifiers leaves in reports/classifiers: tables, DVC plots, the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe.atomic import write_json, write_text
from dlpipe.evaluation.verdicts import verdict, verdict_words
from dlpipe.reporting.classifier_plots import plot_cost_curve, plot_roc
from dlpipe.reporting.classifier_report import comparison_markdown
from dlpipe.reporting.confusion_plot import plot_confusions

OUTPUTS = (
    "comparison.csv",
    "roc",
    "oof_predictions.csv",
    "cost_curve.csv",
    "roc.png",
    "confusion.png",
    "cost_curve.png",
    "details.json",
    "report.md",
)
"""Files (and the `roc` folder: one fpr/tpr CSV per model, for `dvc plots`) under REPORTS."""


@dataclass(frozen=True)
class ModelRow:
    """One model's cross-validated scores; `test_vs_ann`: (ANN - model mean ROC AUC, the
    corrected resampled t-test's p), None for the ANN itself."""

    key: str
    label: str
    means: Mapping[str, float]
    stds: Mapping[str, float]
    band: str
    test_vs_ann: tuple[float, float] | None


@dataclass(frozen=True)
class CostSummary:
    """The chosen model's cost-sensitive threshold on its out-of-fold probabilities."""

    model: str
    cost_fn: float
    cost_fp: float
    thresholds: np.ndarray
    costs: np.ndarray
    threshold: float
    cost: float
    cost_at_half: float
    bayes_threshold: float
    proba: np.ndarray
    confusion_half: np.ndarray  # [[TN, FP], [FN, TP]] at 0.5
    confusion_best: np.ndarray  # ... at `threshold`


@dataclass(frozen=True)
class ComparisonPage:
    description: str
    labels: tuple[str, str]  # (negative, positive)
    folds: int
    repeats: int
    rows: Sequence[ModelRow]
    roc: Mapping[str, tuple[np.ndarray, np.ndarray]]  # model key -> (fpr, tpr), out-of-fold
    y_true: np.ndarray
    chosen: str
    baseline: str
    cost: CostSummary
    verdict: str
    registered: bool  # logged to MLflow (the version number lives there: it grows every run)
    published: Mapping[str, float]  # model key -> a published ROC AUC on this table (may be empty)


def describe_table(
    source: str,
    target: str,
    rows: int,
    positives: int,
    positive_label: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> str:
    """The page's first paragraph: the table, its target and the base rate to beat."""
    majority = 100 * max(positives, rows - positives) / rows
    kinds = f"{len(numeric)} numeric"
    if categorical:
        kinds += f" and {len(categorical)} categorical ({', '.join(categorical)})"
    return (
        f"Table: {source}, {kinds} features. Target: `{target}`, positive label "
        f"`{positive_label}` in {positives} rows ({100 * positives / rows:.1f}%): always "
        f"answering the majority label scores accuracy {majority:.1f}%"
        " and ROC AUC 0.5."
    )


def comparison_verdict(baseline_label: str, difference: float, p_value: float) -> str:
    """The ANN against the best classic model on ROC AUC, in one of the three outcomes."""
    code = verdict(p_value, difference > 0)
    return (
        f"ANN vs {baseline_label} (the best classic model): mean ROC AUC difference "
        f"{difference:+.4f}, corrected resampled t-test p = {p_value:.3g}: "
        f"{verdict_words(code)}."
    )


def write_comparison_outputs(page: ComparisonPage, targets: Mapping[str, Path]) -> None:
    """The tables (CSV, for `dvc plots`), the figures, the details and the page."""
    labels = {row.key: row.label for row in page.rows}
    table = pd.DataFrame(
        [
            {
                "model": row.key,
                **{f"{m}_mean": v for m, v in row.means.items()},
                **{f"{m}_std": v for m, v in row.stds.items()},
                "ann_minus_model_auc": None if row.test_vs_ann is None else row.test_vs_ann[0],
                "p_value": None if row.test_vs_ann is None else row.test_vs_ann[1],
                "band": row.band,
            }
            for row in page.rows
        ]
    )
    write_text(targets["comparison.csv"], table.to_csv(index=False, float_format="%.6g"))
    folder = targets["roc"]
    folder.mkdir(parents=True, exist_ok=True)
    for key, (fpr, tpr) in page.roc.items():
        curve = pd.DataFrame({"fpr": fpr, "tpr": tpr})
        write_text(folder / f"{key}.csv", curve.to_csv(index=False, float_format="%.6g"))
    _write_predictions(page, targets["oof_predictions.csv"])
    cost = page.cost
    curve = pd.DataFrame({"threshold": cost.thresholds, "expected_cost": cost.costs})
    write_text(targets["cost_curve.csv"], curve.to_csv(index=False, float_format="%.6g"))
    aucs = {row.key: _pooled_auc(*page.roc[row.key]) for row in page.rows}
    plot_roc(
        {labels[k]: (*page.roc[k], aucs[k]) for k in labels},
        targets["roc.png"],
        f"Cross-validated ROC ({page.folds}-fold x {page.repeats}, out-of-fold)",
    )
    negative, positive = page.labels
    plot_confusions(
        [
            (cost.confusion_half, "threshold 0.5"),
            (cost.confusion_best, f"cost-optimal threshold {cost.threshold:.3f}"),
        ],
        [negative, positive],
        targets["confusion.png"],
    )
    plot_cost_curve(
        cost.thresholds,
        cost.costs,
        {
            "0.5": 0.5,
            f"cost-optimal {cost.threshold:.3f}": cost.threshold,
            f"Bayes {cost.bayes_threshold:.3f}": cost.bayes_threshold,
        },
        targets["cost_curve.png"],
        f"{labels[cost.model]}: expected cost (FN {cost.cost_fn:g}, FP {cost.cost_fp:g})",
    )
    write_json(targets["details.json"], _details(page, aucs))
    write_text(targets["report.md"], comparison_markdown(page, labels, aucs))


def _write_predictions(page: ComparisonPage, path: Path) -> None:
    """One row per case with the chosen model's labels at 0.5 and at the cost-optimal
    threshold: what DVC's confusion template counts."""
    negative, positive = page.labels
    proba = page.cost.proba
    name = np.array([negative, positive], dtype=object)
    frame = pd.DataFrame(
        {
            "row": np.arange(len(proba)),
            "actual": name[page.y_true],
            "probability": proba,
            "at_half": name[(proba >= 0.5).astype(int)],
            "at_cost_threshold": name[(proba >= page.cost.threshold).astype(int)],
        }
    )
    write_text(path, frame.to_csv(index=False, float_format="%.6g"))


def _pooled_auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    return float(np.trapezoid(tpr, fpr))


def _details(page: ComparisonPage, aucs: Mapping[str, float]) -> dict:
    cost = page.cost
    return {
        "models": {
            row.key: {
                "mean": dict(row.means),
                "std": dict(row.stds),
                "pooled_oof_roc_auc": aucs[row.key],
                "band": row.band,
                "ann_minus_model_roc_auc": None if row.test_vs_ann is None else row.test_vs_ann[0],
                "p_value": None if row.test_vs_ann is None else row.test_vs_ann[1],
                "published_roc_auc": page.published.get(row.key),
            }
            for row in page.rows
        },
        "folds": page.folds,
        "repeats": page.repeats,
        "chosen": page.chosen,
        "baseline": page.baseline,
        "verdict": page.verdict,
        "cost": {
            "model": cost.model,
            "cost_fn": cost.cost_fn,
            "cost_fp": cost.cost_fp,
            "threshold": cost.threshold,
            "expected_cost": cost.cost,
            "expected_cost_at_half": cost.cost_at_half,
            "bayes_threshold": cost.bayes_threshold,
            "confusion_at_half": cost.confusion_half.tolist(),
            "confusion_at_threshold": cost.confusion_best.tolist(),
        },
    }
