from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_crops import (
    accepted_items,
    crop_path,
    load_split_arrays,
    photos_from_manifest,
    read_manifest,
    read_split_table,
    save_crop,
    source_file,
)


def _manifest(folder: Path) -> pd.DataFrame:
    rows = [
        {
            "url": "http://127.0.0.1:8000/ann/a%20b.jpg",
            "person": "ann",
            "status": "ok",
            "sha256": "k1",
            "path": "images/ann/k1.jpg",
        },
        {
            "url": "http://127.0.0.1:8000/ann/copy.jpg",
            "person": "ann",
            "status": "duplicate",
            "sha256": "k1",
            "path": "images/ann/k1.jpg",
        },
        {
            "url": "http://127.0.0.1:8000/bob/b.jpg",
            "person": "bob",
            "status": "ok",
            "sha256": "k2",
            "path": "images/bob/k2.png",
        },
        {
            "url": "http://127.0.0.1:8000/bob/x.jpg",
            "person": "bob",
            "status": "failed",
            "sha256": "",
            "path": "",
        },
    ]
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return read_manifest(folder)


def test_source_file_is_person_and_unquoted_name() -> None:
    assert source_file("http://h:1/ann/a%20b.jpg?x=1") == "ann/a b.jpg"


def test_manifest_gives_one_photo_per_stored_file(tmp_path: Path) -> None:
    photos = photos_from_manifest(tmp_path, _manifest(tmp_path))
    assert [(p.person, p.key, p.path) for p in photos] == [
        ("ann", "k1", tmp_path / "images/ann/k1.jpg"),
        ("bob", "k2", tmp_path / "images/bob/k2.png"),
    ]


def test_missing_or_malformed_manifest_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="crawl_face_images"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("url,person\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="needs columns"):
        read_manifest(tmp_path)


def test_crops_round_trip_into_split_arrays(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    rng = np.random.default_rng(0)
    crops = {
        "k1": rng.integers(0, 256, (8, 8), dtype=np.uint8),
        "k2": rng.integers(0, 256, (8, 8), dtype=np.uint8),
    }
    save_crop(crop_path(tmp_path, "ann", "k1"), crops["k1"])
    save_crop(crop_path(tmp_path, "bob", "k2"), crops["k2"])
    items = accepted_items(tmp_path, manifest)
    assert [(i.key, i.person, i.source_file) for i in items] == [
        ("k1", "ann", "ann/a b.jpg"),
        ("k2", "bob", "bob/b.jpg"),
    ]
    table = pd.DataFrame(
        {"key": ["k1", "k2"], "person": ["ann", "bob"], "split": ["train", "test"]}
    )
    x, y, classes = load_split_arrays(tmp_path, table)
    assert classes == ("ann", "bob")
    np.testing.assert_array_equal(x["train"][0], crops["k1"])
    np.testing.assert_array_equal(x["test"][0], crops["k2"])
    assert y["train"].tolist() == [0] and y["test"].tolist() == [1]
    assert x["val"].shape == (0, 8, 8)


def test_mixed_crop_shapes_fail_clearly(tmp_path: Path) -> None:
    save_crop(crop_path(tmp_path, "ann", "k1"), np.zeros((8, 8), np.uint8))
    save_crop(crop_path(tmp_path, "bob", "k2"), np.zeros((8, 8, 3), np.uint8))
    table = pd.DataFrame(
        {"key": ["k1", "k2"], "person": ["ann", "bob"], "split": ["train", "test"]}
    )
    with pytest.raises(DatasetError, match="re-run extract_faces"):
        load_split_arrays(tmp_path, table)


def test_split_table_and_crops_must_exist(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="split_faces"):
        read_split_table(tmp_path / "splits.csv")
    (tmp_path / "splits.csv").write_text("key,split\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="person"):
        read_split_table(tmp_path / "splits.csv")
    table = pd.DataFrame({"key": ["gone"], "person": ["ann"], "split": ["train"]})
    with pytest.raises(DatasetError, match="missing"):
        load_split_arrays(tmp_path, table)
