"""One repeated stratified K-fold for every model: fold scores for the t-tests, and out-of-fold
probabilities for the ROC curves and the cost-sensitive threshold.

Every model sees the identical splits (one RepeatedStratifiedKFold, seeded), which is what makes
the paired, corrected t-test between two models valid. Fits can run in joblib processes
(`n_jobs`); each fit is seeded by its estimator, so the scores do not depend on `n_jobs`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline

log = logging.getLogger(__name__)

METRICS = ("roc_auc", "accuracy", "f1")


@dataclass(frozen=True)
class ModelScores:
    """One model's cross-validation: `folds[metric]` holds one score per split (repeat-major);
    `oof_proba[i]`: row i's positive-class probability, the mean over the repeats of the
    out-of-fold predictions (each made by a model that never saw row i)."""

    name: str
    folds: Mapping[str, np.ndarray]
    oof_proba: np.ndarray
    fit_seconds: float  # mean per fit

    def mean(self, metric: str) -> float:
        return float(np.mean(self.folds[metric]))

    def std(self, metric: str) -> float:
        return float(np.std(self.folds[metric], ddof=1))


@dataclass(frozen=True)
class CvSetup:
    """The splits every model shares, and the mean training and test fold sizes (the corrected
    t-test's n_train and n_test)."""

    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    folds: int
    repeats: int
    n_train: int
    n_test: int


def cv_setup(y: np.ndarray, folds: int, repeats: int, seed: int) -> CvSetup:
    """The shared splits; a class with fewer rows than `folds` gets a clear error."""
    counts = np.bincount(y, minlength=2)
    if counts.min() < folds:
        raise ValueError(
            f"the rarer class has {counts.min()} rows, fewer than classifiers.folds = {folds}: "
            "lower classifiers.folds or use a bigger table"
        )
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = tuple(cv.split(np.zeros(len(y)), y))
    return CvSetup(
        splits=splits,
        folds=folds,
        repeats=repeats,
        n_train=round(np.mean([len(train) for train, _ in splits])),
        n_test=round(np.mean([len(test) for _, test in splits])),
    )


def cross_validate_models(
    models: Mapping[str, Pipeline],
    features: pd.DataFrame,
    y: np.ndarray,
    setup: CvSetup,
    n_jobs: int = 1,
    on_model: Callable[[ModelScores], None] | None = None,
) -> dict[str, ModelScores]:
    """Every model on every split of `setup`; `on_model` gets each model's scores when done."""
    results = {}
    for position, (name, model) in enumerate(models.items(), start=1):
        log.info("cv %d/%d: %s on %d splits", position, len(models), name, len(setup.splits))
        fits = Parallel(n_jobs=n_jobs)(
            delayed(_fit_and_score)(model, features, y, train, test) for train, test in setup.splits
        )
        scores = _collect(name, fits, setup, len(y))
        log.info(
            "cv %s: roc_auc %.4f +- %.4f, accuracy %.4f (%.2f s per fit)",
            name,
            scores.mean("roc_auc"),
            scores.std("roc_auc"),
            scores.mean("accuracy"),
            scores.fit_seconds,
        )
        if on_model is not None:
            on_model(scores)
        results[name] = scores
    return results


def positive_proba(model: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """P(class 1) from a fitted model whose classes are 0 and 1."""
    proba = model.predict_proba(features)
    return proba[:, list(model.classes_).index(1)]


def _fit_and_score(
    model: Pipeline, features: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> tuple[dict[str, float], np.ndarray, np.ndarray, float]:
    fitted = clone(model)
    start = time.perf_counter()
    fitted.fit(features.iloc[train], y[train])
    seconds = time.perf_counter() - start
    proba = positive_proba(fitted, features.iloc[test])
    predicted = (proba >= 0.5).astype(np.int64)
    scores = {
        "roc_auc": float(roc_auc_score(y[test], proba)),
        "accuracy": float(accuracy_score(y[test], predicted)),
        "f1": float(f1_score(y[test], predicted, zero_division=0.0)),
    }
    return scores, test, proba, seconds


def _collect(name: str, fits: list, setup: CvSetup, rows: int) -> ModelScores:
    folds = {metric: np.array([fit[0][metric] for fit in fits]) for metric in METRICS}
    total = np.zeros(rows)
    for _, test, proba, _ in fits:
        total[test] += proba
    return ModelScores(
        name=name,
        folds=folds,
        oof_proba=total / setup.repeats,
        fit_seconds=float(np.mean([fit[3] for fit in fits])),
    )
