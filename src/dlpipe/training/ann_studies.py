"""The ANN's bias/variance studies: dropout on an overfitting network, learning and capacity curves.

Each returns plain frozen values (curves as tuples of floats) so reporting can plot them without
importing training. Every split derives from `seed`, so the studies are repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    StratifiedKFold,
    learning_curve,
    train_test_split,
    validation_curve,
)

WITHOUT, WITH = "without", "with"  # the two dropout runs


class HistoryClassifier(Protocol):
    """What the dropout study needs of LightningANNClassifier: a fit that also tracks a
    validation set, and per-epoch losses in `history_`."""

    classes_: np.ndarray
    history_: dict[str, list[float]]

    def fit(self, X: Any, y: Any, X_val: Any = None, y_val: Any = None) -> HistoryClassifier: ...

    def predict_proba(self, X: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class DropoutStudy:
    """Per-epoch losses of one network trained without and with dropout on the same split.
    `curves[run]` holds "train_loss" and "val_loss"; `gaps[run]` is their late-epoch gap."""

    epochs: int
    rate: float
    curves: dict[str, dict[str, tuple[float, ...]]]
    gaps: dict[str, float]
    val_auc: dict[str, float]


@dataclass(frozen=True)
class CurveStudy:
    """Train and validation ROC AUC (mean and std over folds) at each x."""

    x: tuple[float, ...]
    x_label: str
    train_mean: tuple[float, ...]
    train_std: tuple[float, ...]
    val_mean: tuple[float, ...]
    val_std: tuple[float, ...]


def late_gap(train_loss: Sequence[float], val_loss: Sequence[float]) -> float:
    """Mean of val_loss - train_loss over the last tenth of the epochs (at least one): where the
    curves have settled, so the gap measures overfitting rather than early noise."""
    if len(train_loss) != len(val_loss) or not train_loss:
        raise ValueError(
            f"need equal, non-empty curves; got {len(train_loss)} and {len(val_loss)} epochs"
        )
    last = max(1, math.floor(len(train_loss) / 10))
    gap = np.asarray(val_loss[-last:], dtype=float) - np.asarray(train_loss[-last:], dtype=float)
    return float(gap.mean())


def dropout_curves(
    make_estimator: Callable[[float], HistoryClassifier],
    preprocess: Callable[[], TransformerMixin],
    X: Any,
    y: Any,
    val_fraction: float,
    rate: float,
    seed: int,
) -> DropoutStudy:
    """Train `make_estimator(0.0)` and `make_estimator(rate)` on one stratified split, with the
    preprocessor fit on the training part only; everything but dropout is the same, so the
    difference in the curves is dropout's."""
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=val_fraction, stratify=y, random_state=seed
    )
    preprocessor = preprocess().fit(X_train)
    Xt, Xv = preprocessor.transform(X_train), preprocessor.transform(X_val)
    y_val = np.asarray(y_val)
    curves: dict[str, dict[str, tuple[float, ...]]] = {}
    gaps: dict[str, float] = {}
    val_auc: dict[str, float] = {}
    for run, dropout in ((WITHOUT, 0.0), (WITH, rate)):
        estimator = make_estimator(dropout).fit(Xt, y_train, X_val=Xv, y_val=y_val)
        train_loss = tuple(float(v) for v in estimator.history_["train_loss"])
        val_loss = tuple(float(v) for v in estimator.history_["val_loss"])
        curves[run] = {"train_loss": train_loss, "val_loss": val_loss}
        gaps[run] = late_gap(train_loss, val_loss)
        positive = y_val == estimator.classes_[1]
        val_auc[run] = float(roc_auc_score(positive, estimator.predict_proba(Xv)[:, 1]))
    epochs = {len(c["train_loss"]) for c in curves.values()}
    if len(epochs) != 1:
        raise ValueError(f"the two runs trained for different numbers of epochs: {epochs}")
    return DropoutStudy(epochs.pop(), rate, curves, gaps, val_auc)


def _folds(folds: int, seed: int) -> StratifiedKFold:
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)


def _curve(x: Sequence[float], x_label: str, train: np.ndarray, val: np.ndarray) -> CurveStudy:
    """Scores are (len(x), folds) arrays."""

    def floats(values: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v) for v in values)

    return CurveStudy(
        x=floats(np.asarray(x, dtype=float)),
        x_label=x_label,
        train_mean=floats(train.mean(axis=1)),
        train_std=floats(train.std(axis=1)),
        val_mean=floats(val.mean(axis=1)),
        val_std=floats(val.std(axis=1)),
    )


def learning_curve_study(
    estimator: BaseEstimator,
    X: Any,
    y: Any,
    train_sizes: Sequence[float],
    folds: int,
    seed: int,
    n_jobs: int = 1,
) -> CurveStudy:
    """ROC AUC against the number of training rows (`train_sizes` as shares of a fold's
    training part; x holds the absolute sizes). The rows are shuffled before the subsets are
    cut, or a table sorted by class would give small subsets with a single class."""
    sizes, train, val = learning_curve(
        estimator,
        X,
        y,
        train_sizes=np.asarray(train_sizes, dtype=float),
        cv=_folds(folds, seed),
        scoring="roc_auc",
        shuffle=True,
        random_state=seed,
        n_jobs=n_jobs,
        error_score="raise",
    )
    return _curve(sizes, "training rows", train, val)


def capacity_study(
    estimator: BaseEstimator,
    X: Any,
    y: Any,
    param_name: str,
    values: Sequence[float],
    folds: int,
    seed: int,
    n_jobs: int = 1,
) -> CurveStudy:
    """ROC AUC against one capacity parameter (e.g. "ann__hidden_units" of a Pipeline step
    "ann"): low train AUC means bias, a wide train - validation gap means variance."""
    train, val = validation_curve(
        estimator,
        X,
        y,
        param_name=param_name,
        param_range=list(values),
        cv=_folds(folds, seed),
        scoring="roc_auc",
        n_jobs=n_jobs,
        error_score="raise",
    )
    return _curve(values, param_name, train, val)
