"""LightningANNClassifier is a scikit-learn classifier like any other: scikit-learn's own estimator
checks, clone, seeds, any two labels, clear refusals, learning, pipelines and cross-validation."""

from __future__ import annotations

import logging
import os
import pickle
import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any
from unittest import SkipTest

import numpy as np
import pytest
import torch
from scipy.sparse import csr_matrix
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

from dlpipe.models.components.tabular_mlp import TabularMLP
from dlpipe.training.ann_estimator import LightningANNClassifier

# Checks that cannot run in this environment, each with its reason; they run if it allows them.
NOT_RUNNABLE_HERE = {
    "check_array_api_input": "needs SCIPY_ARRAY_API=1 before scipy is first imported",
}


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """As the stage runs it (params: cpu_threads 1): on a busy 2-core machine, a second OpenMP
    thread spinning for a core slows these tiny fits down many times."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _check_id(check: Any) -> str:
    func = check.func if isinstance(check, partial) else check
    options = ",".join(f"{k}={v}" for k, v in getattr(check, "keywords", {}).items())
    return f"{func.__name__}({options})" if options else func.__name__


CHECKS = [
    pytest.param(estimator, check, id=_check_id(check))
    for estimator, check in estimator_checks_generator(
        LightningANNClassifier(max_epochs=3), mark=None
    )
]


@pytest.mark.parametrize(("estimator", "check"), CHECKS)
def test_scikit_learn_estimator_check(estimator: LightningANNClassifier, check: Any) -> None:
    name = (check.func if isinstance(check, partial) else check).__name__
    try:
        check(estimator)
    except SkipTest:
        if name not in NOT_RUNNABLE_HERE:
            raise


def _blobs(n: int = 200, features: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=n,
        n_features=features,
        n_informative=3,
        n_redundant=0,
        class_sep=2.0,
        random_state=seed,
    )
    return X, y


def test_clone_keeps_every_parameter_and_no_fitted_state() -> None:
    X, y = _blobs(60)
    fitted = LightningANNClassifier(
        hidden_units=7, hidden_layers=2, dropout=0.3, lr=0.02, weight_decay=1e-3,
        batch_size=16, max_epochs=2, random_state=5,
    ).fit(X, y)  # fmt: skip
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "network_") and not hasattr(copy, "classes_")
    assert len(fitted.network_.net) == 1 + 2 * 3 + 1  # flatten, 2 x (linear, relu, dropout), out


def test_same_random_state_same_probabilities_and_torch_left_alone() -> None:
    X, y = _blobs(120)
    rng_state = torch.get_rng_state()
    deterministic = torch.are_deterministic_algorithms_enabled()

    def proba(seed: int) -> np.ndarray:
        model = LightningANNClassifier(dropout=0.3, max_epochs=5, batch_size=32, random_state=seed)
        return model.fit(X, y).predict_proba(X)

    first = proba(3)
    np.testing.assert_array_equal(proba(3), first)
    assert not np.array_equal(proba(4), first)
    assert torch.equal(torch.get_rng_state(), rng_state)  # seeded in a fork of torch's RNG
    assert torch.are_deterministic_algorithms_enabled() == deterministic


def test_history_has_one_mean_loss_per_epoch_with_and_without_validation() -> None:
    X, y = _blobs(160)
    model = LightningANNClassifier(max_epochs=6, batch_size=32)
    assert list(model.fit(X, y).history_) == ["train_loss"]
    assert len(model.history_["train_loss"]) == 6
    model.fit(X[:120], y[:120], X[120:], y[120:])
    assert {key: len(values) for key, values in model.history_.items()} == {
        "train_loss": 6,
        "val_loss": 6,
    }
    assert model.history_["train_loss"][-1] < model.history_["train_loss"][0]
    # The last validation pass sees the final weights in eval mode: it is the held-out BCE.
    expected = log_loss(y[120:], model.predict_proba(X[120:]))
    assert model.history_["val_loss"][-1] == pytest.approx(expected, rel=1e-5)


def test_any_two_labels_sorted_with_the_second_as_positive_column() -> None:
    X, y = _blobs(120)
    words = np.where(y == 1, "yes", "no")
    model = LightningANNClassifier(max_epochs=10, batch_size=32).fit(X, words, X[:40], words[:40])
    assert model.classes_.tolist() == ["no", "yes"]
    assert set(model.predict(X)) <= {"no", "yes"}
    assert roc_auc_score(words == "yes", model.predict_proba(X)[:, 1]) > 0.9
    flags = LightningANNClassifier(max_epochs=1).fit(X, y == 1)
    assert flags.classes_.tolist() == [False, True]
    assert flags.predict(X).dtype == bool


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": np.ones(30)}, "1 class only"),
        ({"y": np.arange(30) % 3}, "binary only"),
        ({"X": np.full((30, 4), np.nan)}, "NaN"),
        ({"X": np.full((30, 4), np.inf)}, "infinity"),
        ({"X": csr_matrix(np.ones((30, 4)))}, "sparse"),
        ({"X_val": np.ones((5, 4))}, "both X_val and y_val"),
        ({"X_val": np.ones((5, 4)), "y_val": np.full(5, 7)}, r"labels \[7\]"),
        ({"dropout": 1.0}, "dropout"),
        ({"hidden_units": 0}, "hidden_units"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(change: dict[str, Any], message: str) -> None:
    data = {"X": np.ones((30, 4)), "y": np.arange(30) % 2, "X_val": None, "y_val": None}
    params = {k: change.pop(k) for k in ("dropout", "hidden_units") if k in change}
    data.update(change)
    model = LightningANNClassifier(max_epochs=1, **params)
    with pytest.raises(ValueError, match=message):
        model.fit(**data)
    assert not hasattr(model, "network_")


def test_learns_a_separable_problem() -> None:
    X, y = _blobs(300, features=10, seed=1)
    model = LightningANNClassifier(max_epochs=20).fit(X[:200], y[:200])
    assert roc_auc_score(y[200:], model.predict_proba(X[200:])[:, 1]) > 0.95


def test_fitted_model_pickles_in_eval_mode_without_its_trainer() -> None:
    X, y = _blobs(80)
    model = LightningANNClassifier(dropout=0.5, max_epochs=2).fit(X, y)
    assert isinstance(model.network_, TabularMLP) and not model.network_.training
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))  # no dropout
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert len(pickle.dumps(model)) < 50_000  # weights and labels only, no Trainer or loaders


def test_fit_is_silent_even_with_info_logging(caplog: pytest.LogCaptureFixture, capfd) -> None:
    X, y = _blobs(40)
    env = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    with caplog.at_level(logging.INFO), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LightningANNClassifier(max_epochs=1).fit(X, y)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("lightning")] == []
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr() == ("", "")
    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG") == env


def test_works_in_a_pipeline_under_cross_validation() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), LightningANNClassifier(max_epochs=8))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipeline, X, y, cv=folds, scoring="roc_auc")
    assert scores.shape == (3,)
    assert scores.min() > 0.97
