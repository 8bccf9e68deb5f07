"""The evaluation chapter's contestants: the ANN and five classic models, each a Pipeline.

Every model gets the same preprocessing step (imputation, scaling, one-hot), so it is fit on the
training folds only, inside each fit, and the comparison differs in the estimator alone. The
estimator step is always named `model`: searches and curves set `model__<name>` on any of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import torch
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from dlpipe.config.sections_classifiers import AnnSettings, ClassicModels
from dlpipe.data.tabular_preprocess import make_preprocessor
from dlpipe.training.ann_estimator import LightningANNClassifier

ANN = "ann"
MODEL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        ANN: "ANN (Lightning MLP)",
        "logistic_regression": "Logistic regression",
        "random_forest": "Random forest",
        "gradient_boosting": "Gradient boosting",
        "svm_rbf": "SVM (RBF kernel)",
        "knn": "k-nearest neighbours",
    }
)
"""Model key -> the name pages show, in the order tables list them (the ANN first)."""


def limit_threads(cpu_threads: int, n_jobs: int) -> None:
    """Cap torch's CPU threads (params' `training.cpu_threads`; 0 leaves torch's default).

    Hundreds of small fits are many times slower when OpenMP threads spin against another
    process for the cores. With `n_jobs` > 1 the joblib workers inherit the cap through
    OMP_NUM_THREADS, since they are started after this call.
    """
    if cpu_threads > 0:
        torch.set_num_threads(cpu_threads)
        if n_jobs > 1:
            os.environ.setdefault("OMP_NUM_THREADS", str(cpu_threads))


def ann_estimator(settings: AnnSettings, seed: int, **changes: Any) -> LightningANNClassifier:
    """The ANN with `settings` (params' `classifiers.ann`), any of them replaced by `changes`."""
    values = {**settings.model_dump(), **changes}
    values["hidden_units"] = int(values["hidden_units"])
    return LightningANNClassifier(**values, random_state=seed)


def classic_estimators(classic: ClassicModels, seed: int) -> dict[str, BaseEstimator]:
    """The five baselines, seeded where they draw random numbers."""
    return {
        "logistic_regression": LogisticRegression(C=classic.logistic_c, max_iter=5000),
        "random_forest": RandomForestClassifier(
            n_estimators=classic.forest_trees, random_state=seed
        ),
        "gradient_boosting": GradientBoostingClassifier(
            n_estimators=classic.boosting_trees, random_state=seed
        ),
        # Platt scaling (a sigmoid fit on internal CV decisions), so its scores are
        # probabilities like everyone's; scikit-learn 1.9's replacement for probability=True.
        "svm_rbf": CalibratedClassifierCV(
            SVC(C=classic.svm_c, kernel="rbf"), method="sigmoid", ensemble=False
        ),
        "knn": KNeighborsClassifier(n_neighbors=classic.knn_neighbors),
    }


def in_pipeline(
    estimator: BaseEstimator, numeric: Sequence[str], categorical: Sequence[str]
) -> Pipeline:
    """`estimator` behind the table's preprocessing, as step `model`."""
    return Pipeline([("prep", make_preprocessor(numeric, categorical)), ("model", estimator)])


def make_models(
    ann: AnnSettings,
    classic: ClassicModels,
    numeric: Sequence[str],
    categorical: Sequence[str],
    seed: int,
) -> dict[str, Pipeline]:
    """Every contestant as an unfitted Pipeline, keyed as MODEL_LABELS (ANN first)."""
    estimators = {ANN: ann_estimator(ann, seed), **classic_estimators(classic, seed)}
    return {name: in_pipeline(estimators[name], numeric, categorical) for name in MODEL_LABELS}
