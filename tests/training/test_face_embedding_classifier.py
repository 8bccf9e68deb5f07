"""The embedding classifier's C by CV, and the leave-one-person-out false accepts, on tiny
hand-made embeddings whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.config import load_params
from dlpipe.training.face_embedding_classifier import cv_folds, fit_embedding_classifier
from dlpipe.training.face_unknown_study import LabelledFaces, unknown_study


def _cfg(**changes: object):
    cfg = load_params().face_embedding
    return cfg.model_copy(update=changes)


def test_folds_are_capped_by_the_smallest_person() -> None:
    assert cv_folds(np.array([0, 0, 0, 1, 1]), 5) == 2
    assert cv_folds(np.array([0, 0, 0, 1]), 3) == 0  # one face of person 1: no stratified CV


def test_c_is_chosen_by_cv_on_train_and_ties_go_to_the_smallest() -> None:
    # Nine faces of person 0, three of person 1, well apart: a tiny C shrinks the weights to
    # nothing and logistic regression's (unpenalised) intercept then names the majority for
    # everyone; every C from 1 up separates them perfectly.
    rng = np.random.default_rng(1)
    centres = np.array([[1.0, 0.2, 0.0, 0.0], [-1.0, 0.2, 0.0, 0.0]])
    x = np.concatenate(
        [
            centres[0] + 0.05 * rng.standard_normal((9, 4)),
            centres[1] + 0.05 * rng.standard_normal((3, 4)),
        ]
    )
    y = np.array([0] * 9 + [1] * 3)
    cfg = _cfg(classifier="logistic", c_grid=(100.0, 1e-4, 1.0, 10.0), cv_folds=5)
    fit = fit_embedding_classifier(x, y, cfg, 0)
    assert fit.folds == 3 and sorted(fit.cv_accuracy) == [1e-4, 1.0, 10.0, 100.0]
    assert fit.cv_accuracy[1e-4] == pytest.approx(0.75)
    assert fit.cv_accuracy[1.0] == 1.0 and fit.c == 1.0  # the smallest of the perfect ones
    assert fit.predict(centres * 3).tolist() == [0, 1]  # descriptors are normalised first


def test_too_few_faces_per_person_take_the_middle_c_untried() -> None:
    train = LabelledFaces(np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]), np.array([0, 1]))
    fit = fit_embedding_classifier(
        train.descriptors, train.labels, _cfg(c_grid=(0.1, 1.0, 10.0)), 0
    )
    assert fit.folds == 0 and fit.c == 1.0 and fit.cv_accuracy == {}


@pytest.mark.parametrize("kind", ["svm", "logistic"])
def test_leave_one_person_out_counts_a_look_alike_as_a_false_accept(kind: str) -> None:
    # People 0, 1, 2 far apart; person 3 has person 0's very face. Each person's faces sit
    # 0.01 apart along a fourth axis, so every known face is exactly at the threshold (0.01).
    # Left out, 3 is taken for 0 and 0 for 3 (false accepts 1); 1 and 2 are strangers to all.
    centres = np.eye(4)[[0, 1, 2, 0]] * np.array([1.0, 1.0, 1.0, 0.0])
    step = np.array([0.0, 0.0, 0.0, 1.0])

    def faces(offsets: tuple[float, ...]) -> LabelledFaces:
        x = np.array([c + o * step for c in centres for o in offsets])
        return LabelledFaces(x, np.repeat(np.arange(4), len(offsets)))

    train, val, test = faces((0.01, -0.01)), faces((0.02, -0.02)), faces((0.02, -0.02))
    cfg = _cfg(classifier=kind, cv_folds=2)
    fit = fit_embedding_classifier(train.descriptors, train.labels, cfg, 0)
    study = unknown_study(fit, train, val, test, cfg, 0)
    assert study.threshold == pytest.approx(0.01)
    assert study.false_accept_per_person == {0: 1.0, 1: 0.0, 2: 0.0, 3: 1.0}
    assert study.false_accept == pytest.approx(0.5)
    assert study.strangers_per_person == {0: 4, 1: 4, 2: 4, 3: 4}
    assert study.false_reject == 0.0
