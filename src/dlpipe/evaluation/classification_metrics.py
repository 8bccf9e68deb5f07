"""Accuracy, F1 scores, per-class figures and the confusion matrix, as JSON-ready values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support


def classification_report_dict(
    y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """`accuracy`, `macro_f1`, `weighted_f1`, `per_class` and `confusion` (rows true, columns
    predicted, every class in `classes` order, even one never predicted or never present).

    Undefined ratios (a class never predicted has no precision) count as 0. The macro mean runs
    over the classes that occur in `y_true` or `y_pred` (sklearn's convention): a person absent
    from a small test split would otherwise add a meaningless 0.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal 1-D")
    if y_true.size == 0:
        raise ValueError("no predictions to score")
    labels = np.arange(len(classes))
    outside = np.setdiff1d(np.union1d(y_true, y_pred), labels)
    if outside.size:
        raise ValueError(f"label(s) {outside.tolist()} outside the {len(classes)} classes")
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = np.union1d(y_true, y_pred)
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
        ),
        "weighted_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)
        ),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(classes)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).astype(int).tolist(),
    }
