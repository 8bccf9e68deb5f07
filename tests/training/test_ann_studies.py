"""Bias/variance studies: the late-epoch gap by hand, curve shapes, and dropout on the real ANN."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from dlpipe.training.ann_estimator import LightningANNClassifier
from dlpipe.training.ann_studies import (
    capacity_study,
    dropout_curves,
    late_gap,
    learning_curve_study,
)

SEED = 5
X, Y = make_classification(n_samples=90, n_features=5, n_informative=3, flip_y=0.1, random_state=1)


def test_late_gap_averages_the_last_tenth_of_the_epochs() -> None:
    train = [0.5] * 18 + [0.2, 0.1]
    val = [0.6] * 18 + [0.6, 0.3]  # gaps 0.1 ... 0.1, then 0.4 and 0.2
    assert late_gap(train, val) == pytest.approx(0.3)  # the last 2 of 20 epochs
    assert late_gap(train[:19], val[:19]) == pytest.approx(0.4)  # 19 epochs: the last one
    assert late_gap([0.7, 0.5, 0.4], [0.8, 0.7, 0.45]) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="equal, non-empty"):
        late_gap([0.1, 0.2], [0.3])


def test_learning_curve_shapes_and_a_tree_overfits() -> None:
    study = learning_curve_study(
        DecisionTreeClassifier(random_state=0), X, Y, (0.3, 0.6, 1.0), folds=3, seed=SEED
    )
    assert study.x == (18.0, 36.0, 60.0)  # shares of a fold's 60 training rows
    assert study.x_label == "training rows"
    for values in (study.train_mean, study.train_std, study.val_mean, study.val_std):
        assert len(values) == 3 and all(type(v) is float for v in values)
    assert study.train_mean == (1.0, 1.0, 1.0)  # a full tree memorises its rows
    assert np.mean(study.val_mean) < np.mean(study.train_mean)


def test_learning_curve_subsets_are_shuffled_so_a_sorted_table_works() -> None:
    order = np.argsort(Y, kind="stable")  # all negatives first
    study = learning_curve_study(
        DecisionTreeClassifier(random_state=0), X[order], Y[order], (0.1, 1.0), folds=3, seed=SEED
    )
    assert len(study.val_mean) == 2


def test_capacity_study_on_a_pipeline_parameter() -> None:
    model = Pipeline(
        [("scale", StandardScaler()), ("tree", DecisionTreeClassifier(random_state=0))]
    )
    study = capacity_study(model, X, Y, "tree__max_depth", (1, 2, 12), folds=3, seed=SEED)
    assert study.x == (1.0, 2.0, 12.0)
    assert study.x_label == "tree__max_depth"
    assert len(study.train_mean) == len(study.val_std) == 3
    assert study.train_mean[0] < study.train_mean[2] == 1.0  # more capacity, less bias
    assert np.mean(study.train_mean) >= np.mean(study.val_mean)


def test_dropout_curves_with_the_real_network() -> None:
    labels = np.where(Y == 1, "malignant", "benign")

    def make_ann(dropout: float) -> LightningANNClassifier:
        return LightningANNClassifier(
            hidden_units=8, dropout=dropout, batch_size=32, max_epochs=3, random_state=SEED
        )

    study = dropout_curves(make_ann, StandardScaler, X, labels, 0.3, 0.5, SEED)
    assert study.epochs == 3 and study.rate == 0.5
    for run in ("without", "with"):
        assert [len(study.curves[run][k]) for k in ("train_loss", "val_loss")] == [3, 3]
        assert np.isfinite(study.gaps[run])
        assert 0.0 <= study.val_auc[run] <= 1.0
    assert study.curves["without"]["train_loss"] != study.curves["with"]["train_loss"]
