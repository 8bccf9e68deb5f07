"""The third face model: a linear classifier on L2-normalised embeddings, C chosen by CV on train.

The embedding already separates people (it was trained on millions of faces), so a linear model
is all that is left to learn; CV over a small C grid on the training faces alone keeps val and
test out of every choice. Ties go to the smallest C (the most regularised model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import LinearSVC

from dlpipe.config import FaceEmbeddingConfig
from dlpipe.evaluation.face_unknown import unit_rows

MAX_ITER = 10_000


@dataclass(frozen=True, eq=False)
class EmbeddingClassifierFit:
    """The refitted classifier (it takes unit rows: call `predict`), the C it uses, the CV folds
    (0: too few faces per person to cross-validate) and the mean CV accuracy per C tried."""

    model: Any
    c: float
    folds: int
    cv_accuracy: dict[float, float]

    def predict(self, descriptors: np.ndarray) -> np.ndarray:
        """Class index per raw descriptor row."""
        return np.asarray(self.model.predict(unit_rows(descriptors)), dtype=np.int64)

    def scores(self, descriptors: np.ndarray) -> np.ndarray:
        """Per row and class: the probability (logistic) or the one-vs-rest margin (SVM)."""
        x = unit_rows(descriptors)
        if hasattr(self.model, "predict_proba"):
            return np.asarray(self.model.predict_proba(x))
        margins = np.asarray(self.model.decision_function(x))
        return np.stack([-margins, margins], axis=1) if margins.ndim == 1 else margins


def make_classifier(kind: str, c: float, seed: int) -> Any:
    """An unfitted linear classifier of `face_embedding.classifier`'s kind."""
    if kind == "svm":
        return LinearSVC(C=c, max_iter=MAX_ITER, random_state=seed)
    if kind == "logistic":
        return LogisticRegression(C=c, max_iter=MAX_ITER, random_state=seed)
    raise ValueError(f"unknown face_embedding.classifier {kind!r} (svm or logistic)")


def cv_folds(labels: np.ndarray, wanted: int) -> int:
    """`wanted` folds, capped by the smallest class count (stratified folds need one face of
    every person per fold); 0 when that is below 2."""
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    folds = min(wanted, int(counts.min())) if counts.size else 0
    return folds if folds >= 2 else 0


def fit_embedding_classifier(
    descriptors: np.ndarray, labels: np.ndarray, cfg: FaceEmbeddingConfig, seed: int
) -> EmbeddingClassifierFit:
    """C from `cfg.c_grid` by stratified CV on these (training) faces, then a refit on all of
    them. With too few faces per person for 2 folds, the grid's middle C is taken untried."""
    x, y = unit_rows(descriptors), np.asarray(labels, dtype=np.int64)
    grid = sorted(float(c) for c in cfg.c_grid)
    folds = cv_folds(y, cfg.cv_folds)
    if folds == 0:
        c = grid[(len(grid) - 1) // 2]
        model = make_classifier(cfg.classifier, c, seed).fit(x, y)
        return EmbeddingClassifierFit(model, c, 0, {})
    search = GridSearchCV(
        make_classifier(cfg.classifier, grid[0], seed),
        {"C": grid},
        scoring="accuracy",
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        refit=True,
    )
    search.fit(x, y)
    means = search.cv_results_["mean_test_score"]
    cv_accuracy = {c: float(m) for c, m in zip(grid, means, strict=True)}
    best = grid[int(np.argmax(means))]  # argmax: the first (smallest) C among ties
    model = search.best_estimator_
    if float(model.C) != best:
        model = make_classifier(cfg.classifier, best, seed).fit(x, y)
    return EmbeddingClassifierFit(model, best, folds, cv_accuracy)


def refit_with(
    fit: EmbeddingClassifierFit, descriptors: np.ndarray, labels: np.ndarray, kind: str, seed: int
) -> EmbeddingClassifierFit:
    """The same kind and C on other faces (no new CV): what the leave-one-person-out study
    refits once per person. A single person left needs no classifier: every face is theirs."""
    y = np.asarray(labels, dtype=np.int64)
    if np.unique(y).size < 2:
        return EmbeddingClassifierFit(_OnlyOne(int(y[0])), fit.c, 0, {})
    model = make_classifier(kind, fit.c, seed).fit(unit_rows(descriptors), y)
    return EmbeddingClassifierFit(model, fit.c, 0, {})


class _OnlyOne:
    """A 'classifier' of one person (sklearn refuses to fit a single class)."""

    def __init__(self, label: int) -> None:
        self.label = label

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), self.label, dtype=np.int64)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.ones((len(x), 1))
