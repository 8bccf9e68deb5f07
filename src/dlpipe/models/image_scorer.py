"""The trained digit classifier as a judge of image sets: probabilities, features and scores.

The VAE, the GAN and the real test set (the reference line) are all scored through this one
object, so their numbers come from the same network, the same batches and the same formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from dlpipe.evaluation.generative_scores import (
    GeneratedScores,
    class_histogram,
    feature_statistics,
    frechet_distance,
    inception_score,
    mode_coverage,
)
from dlpipe.models.components.digit_cnn import DigitCNN

Images = np.ndarray | torch.Tensor


@dataclass(frozen=True, eq=False)
class FeatureStats:
    """Mean (D,) and covariance (D, D) of one image set's classifier features."""

    mean: np.ndarray
    covariance: np.ndarray

    @classmethod
    def of(cls, features: np.ndarray) -> FeatureStats:
        mean, covariance = feature_statistics(features)
        return cls(mean, covariance)


def as_float_images(images: Images) -> torch.Tensor:
    """A float32 CPU tensor in [0, 1]: uint8 pixels are divided by 255, floats kept as they are."""
    x = torch.as_tensor(images).detach().cpu()
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    if not x.is_floating_point():
        raise ValueError(f"images must be uint8 or floats in [0, 1], got {x.dtype}")
    return x.float()


class ImageScorer:
    """Wraps a trained `DigitCNN` (kept in eval mode on CPU) and scores image sets in batches.

    Images: (N, side*side), (N, side, side) or (N, 1, side, side); floats in [0, 1] or uint8.
    """

    def __init__(self, network: DigitCNN, batch_size: int = 1000) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.network = network.cpu().eval()
        self.batch_size = batch_size

    @property
    def n_classes(self) -> int:
        return self.network.n_classes

    @torch.no_grad()
    def _features(self, images: Images) -> torch.Tensor:
        x = as_float_images(images)
        if len(x) == 0:
            raise ValueError("no images to score")
        self.network.eval()
        step = self.batch_size
        return torch.cat([self.network.features(x[i : i + step]) for i in range(0, len(x), step)])

    @torch.no_grad()
    def _probabilities(self, features: torch.Tensor) -> np.ndarray:
        return torch.softmax(self.network.classify(features), dim=1).double().numpy()

    def probabilities(self, images: Images) -> np.ndarray:
        """(N, n_classes) softmax outputs."""
        return self._probabilities(self._features(images))

    def features(self, images: Images) -> np.ndarray:
        """(N, dense) penultimate activations, the space the Frechet distance works in."""
        return self._features(images).double().numpy()

    def feature_stats(self, images: Images) -> FeatureStats:
        """The reference statistics of a real set (the test split) for `score`."""
        return FeatureStats.of(self.features(images))

    def frechet_distance(self, images: Images, reference: FeatureStats) -> float:
        """The Frechet distance of `images`' features to `reference` (the one `score` gives)."""
        own = self.feature_stats(images)
        return frechet_distance(own.mean, own.covariance, reference.mean, reference.covariance)

    def score(
        self,
        images: Images,
        reference: FeatureStats | None,
        splits: int = 10,
        min_share_factor: float = 0.5,
    ) -> GeneratedScores:
        """Inception Score over `splits` groups, the Frechet distance to `reference` (NaN when
        None), the class histogram, and the classes holding >= min_share_factor / K of it."""
        features = self._features(images)
        probabilities = self._probabilities(features)
        mean, std = inception_score(probabilities, splits)
        distance = float("nan")
        if reference is not None:
            own = FeatureStats.of(features.double().numpy())
            distance = frechet_distance(
                own.mean, own.covariance, reference.mean, reference.covariance
            )
        histogram = class_histogram(probabilities, self.n_classes)
        covered = mode_coverage(histogram, min_share_factor / self.n_classes)
        return GeneratedScores(
            inception_score=mean,
            inception_std=std,
            frechet_distance=distance,
            histogram=tuple(float(h) for h in histogram),
            covered=covered,
            n_images=len(probabilities),
        )
