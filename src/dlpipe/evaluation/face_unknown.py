"""Face embeddings: unit rows for the linear classifier, and the distances that answer "unknown".

The distance of a face is the Euclidean distance between raw descriptors (dlib's own metric, not
the L2-normalised rows the classifier sees): dlib calibrated its same-person cut (0.6 on LFW) in
that space, so the threshold's cap `max_distance` means what dlib says it means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero): a linear classifier then compares
    directions, which is what the embedding was trained to separate."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def nearest_distances(
    queries: np.ndarray, train: np.ndarray, train_labels: np.ndarray, labels: Sequence[int]
) -> np.ndarray:
    """For query i, the distance to the nearest training row whose label is `labels[i]`
    (inf when that label has no training row)."""
    queries, train = np.asarray(queries, np.float64), np.asarray(train, np.float64)
    train_labels, labels = np.asarray(train_labels), np.asarray(labels)
    if len(queries) != len(labels):
        raise ValueError(f"{len(queries)} queries but {len(labels)} labels")
    out = np.full(len(queries), np.inf)
    for label in np.unique(labels):
        own = train[train_labels == label]
        if len(own) == 0:
            continue
        rows = labels == label
        gaps = np.linalg.norm(queries[rows, None, :] - own[None, :, :], axis=2)
        out[rows] = gaps.min(axis=1)
    return out


def unknown_threshold(known_distances: np.ndarray, quantile: float, max_distance: float) -> float:
    """The `quantile` of known faces' distances (to their own person's nearest training face),
    never above `max_distance`; `max_distance` itself when there are none to learn from.

    A quantile rather than the largest distance: one badly aligned val photo would otherwise
    open the door to every stranger. The cap keeps a gallery of look-alikes from pushing the
    threshold past the point where dlib says two faces are usually different people.
    """
    finite = np.asarray(known_distances, np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float(max_distance)
    return float(min(np.quantile(finite, quantile), max_distance))


def accepted(distances: np.ndarray, threshold: float) -> np.ndarray:
    """True where a face is close enough to answer with a person (else: "unknown")."""
    return np.asarray(distances, np.float64) <= threshold


def rate(flags: np.ndarray) -> float:
    """The share of True (0 for none)."""
    flags = np.asarray(flags, bool)
    return float(flags.mean()) if flags.size else 0.0
