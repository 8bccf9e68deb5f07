"""The eigenfaces + SVM baseline: learns synthetic faces, and searches on training data only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_score

from dlpipe.config import EigenfacesConfig
from dlpipe.evaluation.eigenfaces import eigenface_images, eigenfaces_predict, fit_eigenfaces

CFG = EigenfacesConfig(
    n_components=40, whiten=True, C=(1.0, 10.0, 100.0), gamma=(0.001, 0.01, 0.1), cv_folds=3
)


def _faces(per_class: list[int], seed: int, rgb: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Three fixed random "identities" (16x16 prototypes) plus noise and exposure changes."""
    prototypes = np.random.default_rng(99).uniform(40, 215, size=(3, 16, 16))
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, n in enumerate(per_class):
        for _ in range(n):
            image = prototypes[label] * rng.uniform(0.8, 1.2) + rng.normal(0, 25, size=(16, 16))
            images.append(np.clip(image, 0, 255))
            labels.append(label)
    x = np.stack(images).astype(np.uint8)
    if rgb:
        x = np.repeat(x[..., None], 3, axis=-1)
    return x, np.array(labels, dtype=np.int64)


def test_beats_chance_on_held_out_faces() -> None:
    x_train, y_train = _faces([10, 8, 6], seed=0)
    x_test, y_test = _faces([6, 6, 6], seed=1)
    fit = fit_eigenfaces(x_train, y_train, CFG, seed=0)
    predictions = eigenfaces_predict(fit.model, x_test)
    assert predictions.dtype == np.int64 and predictions.shape == y_test.shape
    assert np.mean(predictions == y_test) >= 0.8  # chance is 1/3


def test_search_uses_training_data_only() -> None:
    x_train, y_train = _faces([10, 8, 6], seed=0)
    fit = fit_eigenfaces(x_train, y_train, CFG, seed=4)
    assert fit.best_params["C"] in CFG.C and fit.best_params["gamma"] in CFG.gamma
    assert fit.model.named_steps["pca"].n_samples_ == len(x_train)  # refit on all of train
    # Cross-validating the chosen model on the training crops alone reproduces the CV score.
    cv = StratifiedKFold(n_splits=fit.cv_folds, shuffle=True, random_state=4)
    rescored = cross_val_score(clone(fit.model), x_train, y_train, cv=cv, scoring="accuracy")
    assert fit.cv_score == pytest.approx(rescored.mean())


def test_components_and_folds_are_capped_by_the_data() -> None:
    x_train, y_train = _faces([4, 3, 2], seed=0)  # 9 images, smallest class 2
    fit = fit_eigenfaces(x_train, y_train, CFG, seed=0)
    assert fit.cv_folds == 2
    # The smallest CV training fold holds 4 images: at most 3 components.
    assert fit.n_components == 3
    assert fit.model.named_steps["pca"].n_components_ == 3


def test_a_class_with_one_image_is_refused() -> None:
    x_train, y_train = _faces([4, 3, 1], seed=0)
    with pytest.raises(ValueError, match="at least 2 training images per class"):
        fit_eigenfaces(x_train, y_train, CFG, seed=0)


@pytest.mark.parametrize("rgb", [False, True])
def test_eigenface_images_have_the_crop_shape(rgb) -> None:
    x_train, y_train = _faces([6, 6, 6], seed=0, rgb=rgb)
    fit = fit_eigenfaces(x_train, y_train, CFG, seed=0)
    images = eigenface_images(fit.model, 4)
    assert images.shape == (4, 16, 16, 3) if rgb else (4, 16, 16)
    norms = np.linalg.norm(images.reshape(4, -1), axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)  # principal directions are unit vectors
    with pytest.raises(ValueError, match="k must be"):
        eigenface_images(fit.model, fit.n_components + 1)


def test_predict_refuses_crops_of_another_shape() -> None:
    x_train, y_train = _faces([6, 6, 6], seed=0)
    fit = fit_eigenfaces(x_train, y_train, CFG, seed=0)
    with pytest.raises(ValueError, match="shape"):
        eigenfaces_predict(fit.model, np.zeros((2, 8, 8), dtype=np.uint8))
