"""The pretrained embedding beside the course's CNN and Eigenfaces, on the identical split.

The embedding model is trained and scored here; `three_way_metrics` adds it to the CNN vs
Eigenfaces details with McNemar's test for every pair, per-person precision/recall, the unknown
face figures and a 2-D map of the test embeddings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from sklearn.decomposition import PCA

from dlpipe.config import FaceEmbeddingConfig
from dlpipe.evaluation.classification_metrics import classification_report_dict
from dlpipe.evaluation.classification_tests import mcnemar_exact
from dlpipe.evaluation.face_unknown import unit_rows
from dlpipe.evaluation.verdicts import verdict, verdict_words
from dlpipe.training.face_comparison import (
    SCORED_SPLITS,
    FaceComparison,
    comparison_metrics,
    model_entry,
)
from dlpipe.training.face_embedding_classifier import (
    EmbeddingClassifierFit,
    fit_embedding_classifier,
)
from dlpipe.training.face_unknown_study import LabelledFaces, UnknownStudy, unknown_study

MODELS = ("embedding", "cnn", "eigenfaces")  # the page's order: the best model first


@dataclass(frozen=True, eq=False)
class EmbeddingModel:
    fit: EmbeddingClassifierFit
    train: LabelledFaces  # kept with the model: the unknown check measures against it
    predictions: Mapping[str, np.ndarray]  # val/test -> class index per face
    scores: Mapping[str, dict]  # val/test -> classification report
    unknown: UnknownStudy
    test_map: np.ndarray  # test faces in 2-D (PCA of the unit descriptors), N x 2


def train_embedding_model(
    faces: Mapping[str, LabelledFaces],
    classes: Sequence[str],
    cfg: FaceEmbeddingConfig,
    seed: int,
) -> EmbeddingModel:
    """Fit on train (C by CV there), predict val and test, study unknown faces, map test."""
    train = faces["train"]
    fit = fit_embedding_classifier(train.descriptors, train.labels, cfg, seed)
    predictions = {split: fit.predict(faces[split].descriptors) for split in SCORED_SPLITS}
    scores = {
        split: classification_report_dict(faces[split].labels, labels, classes)
        for split, labels in predictions.items()
    }
    study = unknown_study(fit, train, faces["val"], faces["test"], cfg, seed)
    return EmbeddingModel(
        fit, train, predictions, scores, study, map_2d(faces["test"].descriptors, seed)
    )


def map_2d(descriptors: np.ndarray, seed: int) -> np.ndarray:
    """The first two principal components of the unit descriptors (what the classifier sees)."""
    x = unit_rows(descriptors)
    if len(x) < 2:
        return np.zeros((len(x), 2))
    coords = PCA(n_components=2, random_state=seed).fit_transform(x)
    return coords if coords.shape[1] == 2 else np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))


def all_predictions(
    comparison: FaceComparison, embedding: EmbeddingModel
) -> dict[str, Mapping[str, np.ndarray]]:
    return {"embedding": embedding.predictions, **comparison.predictions}


def all_scores(comparison: FaceComparison, embedding: EmbeddingModel) -> dict[str, Mapping]:
    return {"embedding": embedding.scores, **comparison.scores}


def pairwise_tests(
    labels: np.ndarray, test_predictions: Mapping[str, np.ndarray]
) -> dict[str, dict[str, object]]:
    """McNemar's exact test for each pair of models, in MODELS order (`a_vs_b`)."""
    tests: dict[str, dict[str, object]] = {}
    for a, b in combinations([m for m in MODELS if m in test_predictions], 2):
        test = mcnemar_exact(labels, test_predictions[a], test_predictions[b])
        tests[f"{a}_vs_{b}"] = {
            f"{a}_only_right": test.only_a,
            f"{b}_only_right": test.only_b,
            "p_value": test.p_value,
            "verdict": verdict_words(verdict(test.p_value, test.only_a > test.only_b)),
        }
    return tests


def three_way_metrics(
    comparison: FaceComparison, embedding: EmbeddingModel, classes: Sequence[str]
) -> dict[str, object]:
    """The details: comparison_metrics (CNN vs Eigenfaces) plus the embedding model, every
    pairwise test, how far the CNN is from the embedding, and the unknown-face figures."""
    metrics = comparison_metrics(comparison)
    tests = pairwise_tests(
        comparison.test_labels,
        {m: p["test"] for m, p in all_predictions(comparison, embedding).items()},
    )
    study = embedding.unknown
    emb, cnn = embedding.scores["test"], comparison.scores["cnn"]["test"]
    return {
        "embedding": model_entry(embedding.scores),
        **metrics,
        "pairwise_tests": tests,
        "cnn_gap": {
            "accuracy": emb["accuracy"] - cnn["accuracy"],
            "macro_f1": emb["macro_f1"] - cnn["macro_f1"],
            "cnn_errors": _errors(comparison.test_labels, comparison.predictions["cnn"]["test"]),
            "embedding_errors": _errors(comparison.test_labels, embedding.predictions["test"]),
        },
        "embedding_choice": {
            "C": embedding.fit.c,
            "cv_folds": embedding.fit.folds,
            "cv_accuracy": {str(c): a for c, a in embedding.fit.cv_accuracy.items()},
        },
        "unknown": {
            "threshold": study.threshold,
            "false_reject_test": study.false_reject,
            "false_accept_mean": study.false_accept,
            "false_accept_per_person": {
                classes[i]: share for i, share in study.false_accept_per_person.items()
            },
            "strangers_per_person": {classes[i]: n for i, n in study.strangers_per_person.items()},
        },
    }


def _errors(labels: np.ndarray, predicted: np.ndarray) -> int:
    return int(np.sum(np.asarray(labels) != np.asarray(predicted)))
