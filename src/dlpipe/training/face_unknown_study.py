"""How well the embedding model answers "unknown": the threshold from val, the false rejects of
known faces on test, and the false accepts of strangers by leaving each person out in turn.

Leave-one-person-out is the only honest way to get strangers from a closed gallery: for each
person, the classifier (same kind and C) and the threshold are rebuilt from the others' faces
alone, and that person's val and test faces play the strangers. A stranger counts as falsely
accepted when it lies within the threshold of the person the classifier names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlpipe.config import FaceEmbeddingConfig
from dlpipe.evaluation.face_unknown import accepted, nearest_distances, rate, unknown_threshold
from dlpipe.training.face_embedding_classifier import EmbeddingClassifierFit, refit_with


@dataclass(frozen=True)
class LabelledFaces:
    """Raw descriptors (N x 128) and class indices of one split."""

    descriptors: np.ndarray
    labels: np.ndarray

    def without(self, label: int) -> LabelledFaces:
        keep = self.labels != label
        return LabelledFaces(self.descriptors[keep], self.labels[keep])

    def only(self, label: int) -> LabelledFaces:
        keep = self.labels == label
        return LabelledFaces(self.descriptors[keep], self.labels[keep])


@dataclass(frozen=True)
class UnknownStudy:
    threshold: float  # the full model's, from every person's val faces
    false_reject: float  # known test faces answered "unknown"
    false_accept: float  # mean over people of their share accepted when left out
    false_accept_per_person: dict[int, float]  # class index -> share
    strangers_per_person: dict[int, int]  # class index -> val + test faces tried


def distances_to_named(
    fit: EmbeddingClassifierFit, faces: np.ndarray, train: LabelledFaces
) -> tuple[np.ndarray, np.ndarray]:
    """(named person, distance to that person's nearest training face) per face."""
    named = fit.predict(faces)
    return named, nearest_distances(faces, train.descriptors, train.labels, named)


def threshold_from(train: LabelledFaces, val: LabelledFaces, cfg: FaceEmbeddingConfig) -> float:
    """The rule of `face_embedding.unknown` on val faces' distances to their own person."""
    own = nearest_distances(val.descriptors, train.descriptors, train.labels, val.labels)
    return unknown_threshold(own, cfg.unknown.quantile, cfg.unknown.max_distance)


def unknown_study(
    fit: EmbeddingClassifierFit,
    train: LabelledFaces,
    val: LabelledFaces,
    test: LabelledFaces,
    cfg: FaceEmbeddingConfig,
    seed: int,
) -> UnknownStudy:
    threshold = threshold_from(train, val, cfg)
    _, test_distances = distances_to_named(fit, test.descriptors, train)
    false_reject = rate(~accepted(test_distances, threshold))
    per_person: dict[int, float] = {}
    tried: dict[int, int] = {}
    for person in np.unique(train.labels).tolist():
        others = train.without(person)
        if others.labels.size == 0:
            continue
        refit = refit_with(fit, others.descriptors, others.labels, cfg.classifier, seed)
        limit = threshold_from(others, val.without(person), cfg)
        strangers = np.concatenate(
            [val.only(person).descriptors, test.only(person).descriptors]
        ).reshape(-1, train.descriptors.shape[1])
        if len(strangers) == 0:
            continue
        _, distances = distances_to_named(refit, strangers, others)
        per_person[person] = rate(accepted(distances, limit))
        tried[person] = len(strangers)
    mean = float(np.mean(list(per_person.values()))) if per_person else 0.0
    return UnknownStudy(threshold, false_reject, mean, per_person, tried)
