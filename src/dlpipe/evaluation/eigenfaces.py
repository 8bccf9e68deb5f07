"""The classical baseline the CNN must beat: eigenfaces (PCA) then an RBF SVM.

Fitted on the CNN's training split only; C and gamma are chosen by stratified cross-validation
inside that split, so the validation and test crops stay unseen, exactly as for the CNN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from dlpipe.config import EigenfacesConfig


class FlattenScale(TransformerMixin, BaseEstimator):
    """uint8 images (N, ...) -> float (N, pixels) in [0, 1]; remembers the image shape."""

    def fit(self, x: np.ndarray, y: np.ndarray | None = None) -> FlattenScale:
        self.image_shape_ = tuple(int(s) for s in np.shape(x)[1:])
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.shape[1:] != self.image_shape_:
            raise ValueError(
                f"images of shape {x.shape[1:]}; the model was fit on {self.image_shape_}"
            )
        return x.reshape(len(x), -1).astype(np.float64) / 255.0


@dataclass(frozen=True)
class EigenfacesFit:
    """The refitted pipeline and what the search chose, for the report."""

    model: Pipeline
    best_params: dict[str, float]  # C, gamma
    n_components: int
    cv_score: float  # mean CV accuracy of the chosen C/gamma on the training split
    cv_folds: int


def fit_eigenfaces(
    x_train: np.ndarray, y_train: np.ndarray, cfg: EigenfacesConfig, seed: int
) -> EigenfacesFit:
    """Grid-search C x gamma with StratifiedKFold on the training crops, then refit on all.

    Folds are capped by the smallest class (every fold must hold each person once), components
    by the smallest CV training fold less one: whitening a component beyond the data's rank
    would divide by a variance of ~0.
    """
    y_train = np.asarray(y_train, dtype=np.int64)
    if len(x_train) != len(y_train):
        raise ValueError(f"{len(x_train)} images but {len(y_train)} labels")
    smallest_class = int(np.bincount(y_train)[np.unique(y_train)].min())
    folds = min(cfg.cv_folds, smallest_class)
    if folds < 2:
        raise ValueError(
            f"cross-validation needs at least 2 training images per class; the smallest class "
            f"has {smallest_class}"
        )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    smallest_fit = min(len(train) for train, _ in cv.split(np.zeros(len(y_train)), y_train))
    n_pixels = int(np.prod(x_train.shape[1:]))
    n_components = max(1, min(cfg.n_components, smallest_fit - 1, n_pixels))
    pipeline = Pipeline(
        [
            ("flatten", FlattenScale()),
            (
                "pca",
                PCA(
                    n_components=n_components,
                    whiten=cfg.whiten,
                    svd_solver="randomized",
                    random_state=seed,
                ),
            ),
            # No probability model: SVC's default, and passing `probability` at all warns
            # (deprecated in scikit-learn 1.9).
            ("svm", SVC(kernel="rbf", class_weight="balanced")),
        ]
    )
    search = GridSearchCV(
        pipeline,
        {"svm__C": list(cfg.C), "svm__gamma": list(cfg.gamma)},
        cv=cv,
        scoring="accuracy",
        refit=True,
        n_jobs=1,
    )
    search.fit(x_train, y_train)
    return EigenfacesFit(
        model=search.best_estimator_,
        best_params={
            "C": float(search.best_params_["svm__C"]),
            "gamma": float(search.best_params_["svm__gamma"]),
        },
        n_components=n_components,
        cv_score=float(search.best_score_),
        cv_folds=folds,
    )


def eigenfaces_predict(model: Pipeline, x: np.ndarray) -> np.ndarray:
    """Class indices (int64) for uint8 crops shaped like the training crops."""
    return np.asarray(model.predict(x), dtype=np.int64)


def eigenface_images(model: Pipeline, k: int) -> np.ndarray:
    """The first k principal components as images (k, H, W[, 3]), for a figure.

    Components are unit vectors with both signs; a plot should use a diverging or min-max scale.
    """
    components = model.named_steps["pca"].components_
    if not 1 <= k <= len(components):
        raise ValueError(f"k must be in [1, {len(components)}], got {k}")
    shape = model.named_steps["flatten"].image_shape_
    return components[:k].reshape(k, *shape)
