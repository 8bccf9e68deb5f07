"""params.yaml sections for training: the shared Trainer settings and each family's model."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from dlpipe.config.base import (
    Bool,
    Count,
    Count0,
    Devices,
    Float,
    Fraction,
    Int,
    NonEmptyStr,
    NonNegative,
    Point,
    Positive,
    Probability,
    ReadOnlyMap,
    Section,
    check_rules,
    rules_error,
)
from dlpipe.config.optimizers import OptimizerHyper, OptimizerName, OptimizerSet

Strategy = Literal["auto", "ddp", "ddp_find_unused_parameters_true"]
"""Lightning strategies a stage can run under. Not `ddp_spawn`: its workers' callbacks (the
epoch history every report draws) never reach the main process. `auto` takes DDP for several
devices or nodes."""

Precision = Literal["32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true"]
"""Lightning's precision strings ("32-true" is its default; "16-mixed" needs a CUDA GPU: on CPU
Lightning falls back to bf16-mixed)."""


class TrainingConfig(Section):
    """Trainer settings shared by every family (docs/operations.md: one GPU or many).

    The last three default to Lightning's own defaults, so older params files and saved settings
    still load; params.yaml sets them all.
    """

    accelerator: NonEmptyStr
    devices: Devices  # per node: a count, -1 (all) or "auto"
    cpu_threads: Count0  # 0 = torch's default (all cores)
    deterministic: Bool
    progress_bar: Bool
    num_workers: Count0
    log_every_n_steps: Count
    strategy: Strategy = "auto"
    precision: Precision = "32-true"
    num_nodes: Count = 1

    def with_threads(self, threads: int | None) -> TrainingConfig:
        """These settings with `threads` torch CPU threads (None: unchanged). One thread suits
        the many small fits; a model whose steps are big enough for a second core to pay (the
        generative ones: 1.5-1.9x per epoch on two idle cores) sets its own count."""
        return self if threads is None else self.replace(cpu_threads=threads)


# --- optimizers -------------------------------------------------------------------------------

SurfaceName = Literal["beale", "saddle", "valley", "rosenbrock"]  # dlpipe.optim.surfaces


class SurfaceRun(Section):
    start: Point
    steps: Count
    tolerance: Positive


class TraceOptimizersConfig(Section):
    surfaces: ReadOnlyMap[SurfaceName, SurfaceRun]
    optimizers: OptimizerSet
    gif_frames: Count
    gif_fps: Count


class CompareOptimizersConfig(Section):
    hidden_sizes: tuple[Count, ...]
    dropout: Probability
    batch_size: Count
    epochs: Count
    train_limit: Count0  # 0 = all training images
    optimizers: OptimizerSet


# --- stock LSTM -------------------------------------------------------------------------------

StockFeature = Literal["open", "high", "low", "close", "volume"]


class StockLstmConfig(Section):
    target: Literal["close", "open", "log_return"]
    features: Annotated[tuple[StockFeature, ...], Field(min_length=1)]
    window: Count
    val_fraction: Fraction
    test_fraction: Fraction
    residual: Bool
    hidden_size: Count
    num_layers: Count
    dropout: Probability
    head_sizes: tuple[Count, ...]
    batch_size: Count
    max_epochs: Count
    patience: Count0
    optimizer: OptimizerName
    optimizer_hyper: OptimizerHyper
    moving_average_days: Count
    walk_forward_windows: Count0  # 0 = no walk-forward refits

    @field_validator("features")
    @classmethod
    def _no_repeats(cls, features: tuple[str, ...]) -> tuple[str, ...]:
        check_rules(
            (f"[{i}]", f"{name!r} is listed twice")
            for i, name in enumerate(features)
            if name in features[:i]
        )
        return features

    @model_validator(mode="after")
    def _shares_fit(self) -> StockLstmConfig:
        total = self.val_fraction + self.test_fraction
        if total >= 1:
            message = f"val_fraction + test_fraction must be < 1 (got {total:g})"
            raise rules_error([("test_fraction", message)])
        return self


# --- recommender ------------------------------------------------------------------------------

AutoencoderKind = Literal["stacked", "sparse", "denoising", "deep", "autorec"]
Activation = Literal["sigmoid", "relu", "selu", "tanh"]
AUTOENCODER_NETWORK_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "stacked": ("hidden", "activation"),
        "sparse": ("hidden", "max_hidden"),
        "denoising": ("hidden", "activation", "corruption"),
        "deep": ("hidden", "activation", "dropout"),
        "autorec": ("hidden",),
    }
)
"""The network keys `build_autoencoder` accepts per kind (its presets' keys; a test compares)."""

KFOLD_FOLDS = 5  # the u1..u5-style folds of dlpipe.data.rating_matrix.kfold_u_style


class AutoencoderNetwork(Section):
    """Overrides of the kind's preset network; an unset (or null) key keeps the preset's."""

    hidden: Annotated[tuple[Count, ...], Field(min_length=1)] | None = None
    activation: Activation | None = None
    dropout: Probability | None = None
    corruption: Probability | None = None
    max_hidden: Count | None = None  # caps every hidden width (the sparse AE's 2n)


def _network_fits_kind(network: AutoencoderNetwork, info: ValidationInfo) -> Any:
    kind = info.data.get("kind")
    if kind is not None:  # None: `kind` itself is wrong and already reported
        accepted = AUTOENCODER_NETWORK_KEYS[kind]
        check_rules(
            (key, f"not used by kind {kind!r} (accepted: {', '.join(accepted)})")
            for key in network.model_fields_set
            if key not in accepted
        )
    return network


class AutoencoderRun(Section):
    """One autoencoder of the comparison: its network, how it trains, and its penalties."""

    kind: AutoencoderKind
    rows: Literal["user", "item"]
    network: Annotated[AutoencoderNetwork, AfterValidator(_network_fits_kind)]
    optimizer: OptimizerName
    optimizer_hyper: OptimizerHyper
    max_epochs: Count
    batch_size: Count
    sparsity_weight: NonNegative
    sparsity_target: Fraction
    l2: NonNegative


class BiasesConfig(Section):
    """`evaluation.rating_baselines.Biases`: damped user and movie offsets."""

    reg_u: NonNegative
    reg_i: NonNegative
    n_iter: Count


class MatrixFactorizationConfig(Section):
    """`evaluation.rating_baselines.MatrixFactorization`, trained by SGD."""

    n_factors: Count
    lr: Positive
    reg: NonNegative
    epochs: Count


class RecommenderConfig(Section):
    """`val_fraction` is a slice of the training ratings, so it need not fit with test_fraction."""

    split: Literal["random", "kfold", "per_user"]
    test_fraction: Fraction
    fold: Annotated[Int, Field(ge=1, le=KFOLD_FOLDS)]
    val_fraction: Fraction
    patience: Count0
    ranking_holdout: Count
    ranking_min_ratings: Count
    relevant_threshold: Positive
    k: Count
    min_item_ratings: Count0  # 0 = rank every movie
    biases: BiasesConfig
    mf: MatrixFactorizationConfig
    autoencoders: ReadOnlyMap[NonEmptyStr, AutoencoderRun]
    sample_users: tuple[Int, ...]

    @model_validator(mode="after")
    def _ranked_users_keep_training_ratings(self) -> RecommenderConfig:
        if self.ranking_min_ratings <= self.ranking_holdout:
            message = (
                f"must be > ranking_holdout ({self.ranking_holdout}), or a ranked user keeps no "
                f"training ratings (got {self.ranking_min_ratings})"
            )
            raise rules_error([("ranking_min_ratings", message)])
        return self


# --- faces ------------------------------------------------------------------------------------


class FaceAugment(Section):
    flip: Bool
    rotation_deg: Annotated[Float, Field(ge=0, le=180)]
    shift: Probability  # a fraction of the side
    brightness: Probability  # the factor is drawn from 1 +- brightness


class FaceCnnConfig(Section):
    channels: Annotated[tuple[Count, ...], Field(min_length=1)]  # one conv block per entry
    kernel_size: Count
    dense: tuple[Count, ...]
    dropout: Probability
    batch_norm: Bool
    augment: FaceAugment
    balance: Literal["class_weights", "sampler", "none"]
    optimizer: OptimizerName
    optimizer_hyper: OptimizerHyper
    batch_size: Count
    max_epochs: Count
    patience: Count0


class EigenfacesConfig(Section):
    """The baseline: PCA (eigenfaces) then an RBF SVM, C and gamma chosen by CV on train."""

    n_components: Count
    whiten: Bool
    C: Annotated[tuple[Positive, ...], Field(min_length=1)]
    gamma: Annotated[tuple[Positive, ...], Field(min_length=1)]
    cv_folds: Annotated[Int, Field(ge=2)]
