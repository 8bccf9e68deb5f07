"""Scores for a set of generated images, from a classifier's outputs on them (pure numpy/scipy).

- Inception Score: exp(E_x KL(p(y|x) || p(y))). High when each image is confidently one class
  (sharp p(y|x)) and the classes are evenly used (flat p(y)); K classes bound it by K.
- Frechet distance between Gaussians fitted to classifier features of two image sets (FID's
  formula with our classifier in place of Inception): 0 for identical statistics.
- Class histogram and mode coverage: which classes a generator produces, and which it drops.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

_LOG_FLOOR = 1e-12  # probabilities are clipped here before the log (0 * log 0 counts as 0)


@dataclass(frozen=True)
class GeneratedScores:
    """One image set's scores; `frechet_distance` is NaN when no reference set was given."""

    inception_score: float
    inception_std: float
    frechet_distance: float
    histogram: tuple[float, ...]  # share of the images per class, summing to 1
    covered: tuple[int, ...]  # classes with at least the minimum share
    n_images: int  # how many images were scored

    @property
    def n_covered(self) -> int:
        return len(self.covered)


def _check_probabilities(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(f"probabilities must be (N >= 1, K >= 2), got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1, atol=1e-4):
        raise ValueError("probabilities must be finite, non-negative rows summing to 1")
    return p


def _split_score(p: np.ndarray) -> float:
    marginal = p.mean(axis=0)
    logs = np.log(np.clip(p, _LOG_FLOOR, None)) - np.log(np.clip(marginal, _LOG_FLOOR, None))
    kl = (p * logs).sum(axis=1)
    return float(np.exp(kl.mean()))


def inception_score(probabilities: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """(mean, std) over `splits` consecutive groups of rows of exp(E_x KL(p(y|x) || p(y))).

    Each group uses its own marginal p(y), as in Salimans et al. (2016), so the rows must be in
    no particular order (a class-sorted set would score each group near 1).
    """
    p = _check_probabilities(probabilities)
    if splits < 1 or len(p) < splits:
        raise ValueError(f"need 1 <= splits <= rows, got splits={splits} for {len(p)} rows")
    scores = [_split_score(part) for part in np.array_split(p, splits)]
    return float(np.mean(scores)), float(np.std(scores))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance) of (N, D) features, N >= 2 (the unbiased covariance, as FID uses)."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"features must be (N >= 2, D), got shape {x.shape}")
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


def _sqrtm_trace(product: np.ndarray) -> tuple[float, bool]:
    """(trace of sqrtm(product), whether scipy found the product singular or ill-behaved)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", linalg.LinAlgWarning)
        root = linalg.sqrtm(product)
    trace = complex(np.trace(root))
    scale = max(1.0, abs(trace.real))
    troubled = bool(caught) or not np.isfinite(root).all() or abs(trace.imag) > 1e-6 * scale
    return trace.real, troubled


def frechet_distance(
    mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray, eps: float = 1e-6
) -> float:
    """||mu1 - mu2||^2 + Tr(C1 + C2 - 2 sqrtm(C1 C2)): the squared 2-Wasserstein distance
    between two Gaussians. The trace of sqrtm(C1 C2) is real (its eigenvalues are those of the
    PSD matrix C1^1/2 C2 C1^1/2), so round-off imaginary parts are dropped; a singular product
    (fewer images than features, dead units) gets `eps` on both diagonals, as FID's reference
    code does."""
    m1, m2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    c1, c2 = (
        np.atleast_2d(np.asarray(cov1, np.float64)),
        np.atleast_2d(np.asarray(cov2, np.float64)),
    )
    d = m1.shape[0]
    if m2.shape != (d,) or c1.shape != (d, d) or c2.shape != (d, d):
        raise ValueError(
            f"shapes do not match: mu1 {m1.shape}, cov1 {c1.shape}, mu2 {m2.shape}, cov2 {c2.shape}"
        )
    root_trace, troubled = _sqrtm_trace(c1 @ c2)
    if troubled:
        offset = eps * np.eye(d)
        root_trace, troubled = _sqrtm_trace((c1 + offset) @ (c2 + offset))
        if troubled and not np.isfinite(root_trace):
            raise ValueError("sqrtm(C1 C2) failed even with eps on the diagonals")
    diff = m1 - m2
    value = diff @ diff + np.trace(c1) + np.trace(c2) - 2.0 * root_trace
    return float(max(value, 0.0))  # round-off can push identical statistics a hair below 0


def class_histogram(predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Share of the images per class: from (N,) integer labels, or the argmax of (N, K)
    probabilities (a generated image counts as the class the classifier calls it)."""
    values = np.asarray(predictions)
    labels = values.argmax(axis=1) if values.ndim == 2 else values
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"need (N,) labels or (N, K) probabilities, got shape {values.shape}")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return np.bincount(labels.astype(np.int64), minlength=n_classes) / len(labels)


def mode_coverage(histogram: np.ndarray, min_share: float) -> tuple[int, ...]:
    """Classes whose share is at least `min_share` (e.g. 0.5 / K: half a fair share)."""
    return tuple(int(k) for k in np.flatnonzero(np.asarray(histogram) >= min_share))
