from __future__ import annotations

from pathlib import Path

import pytest

from dlpipe.config import FaceSplitConfig
from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_splits import (
    FaceItem,
    file_splits,
    plan_splits,
    read_splits_file,
    split_counts,
    split_rows,
    split_summary,
    stratified_splits,
)
from dlpipe.paths import data_path


def _items(sizes: dict[str, int]) -> list[FaceItem]:
    return [
        FaceItem(key=f"{person}-{i:03d}", person=person, source_file=f"{person}/{i}.jpg")
        for person, n in sizes.items()
        for i in range(n)
    ]


def test_stratified_every_person_in_every_split_with_the_asked_shares() -> None:
    items = _items({"a": 20, "b": 10, "c": 3})
    plan = stratified_splits(items, 0.15, 0.2, seed=42)
    counts = split_counts(items, plan)
    assert counts["a"] == {"train": 13, "val": 3, "test": 4}
    assert counts["b"] == {"train": 6, "val": 2, "test": 2}
    assert counts["c"] == {"train": 1, "val": 1, "test": 1}
    assert set(plan.assignment) == {item.key for item in items}


def test_stratified_is_seeded_and_ignores_input_order() -> None:
    items = _items({"a": 12, "b": 9})
    first = stratified_splits(items, 0.2, 0.2, seed=7)
    again = stratified_splits(list(reversed(items)), 0.2, 0.2, seed=7)
    other = stratified_splits(items, 0.2, 0.2, seed=8)
    assert first.assignment == again.assignment
    assert first.assignment != other.assignment


def test_tiny_class_goes_to_train_with_a_note() -> None:
    plan = stratified_splits(_items({"a": 6, "solo": 2}), 0.2, 0.2, seed=1)
    assert {plan.assignment["solo-000"], plan.assignment["solo-001"]} == {"train"}
    assert any("solo" in note for note in plan.notes)


def test_bad_fractions_fail_with_the_key() -> None:
    with pytest.raises(DatasetError, match="val_fraction"):
        stratified_splits(_items({"a": 5}), 0.6, 0.5, seed=1)


def test_file_split_val_becomes_test_and_val_comes_from_train() -> None:
    items = _items({"a": 10, "b": 10})
    listed = {
        item.source_file: "val" if item.key.endswith(("000", "001")) else "train" for item in items
    }
    listed["a/999.jpg"] = "train"  # listed, but no accepted face
    unlisted = FaceItem("extra", "a", "a/extra.jpg")
    plan = file_splits([*items, unlisted], listed, 0.25, seed=3)
    for item in items:
        if listed[item.source_file] == "val":
            assert plan.assignment[item.key] == "test"
        else:
            assert plan.assignment[item.key] in {"train", "val"}
    assert split_counts(items, plan)["a"] == {"train": 6, "val": 2, "test": 2}
    assert "extra" not in plan.assignment
    assert any("a/extra.jpg" in note for note in plan.notes)
    assert any("1 photo(s) listed" in note for note in plan.notes)


def test_read_splits_file_errors_name_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "splits.csv"
    with pytest.raises(DatasetError, match="does not exist"):
        read_splits_file(path)
    path.write_text("file,person,split\na/1.jpg,a,train\n,a,val\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 3"):
        read_splits_file(path)
    path.write_text("name,split\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="file and split"):
        read_splits_file(path)


def test_the_shared_sets_splits_file_reads() -> None:
    repo = Path(__file__).resolve().parents[2]
    path = data_path(repo, "../shared/data/faces/five-celebrities/splits.csv")
    if not path.is_file():
        pytest.skip(f"{path} not on this machine")
    listed = read_splits_file(path)
    assert len(listed) == 118
    assert sum(split == "val" for split in listed.values()) == 25


def test_plan_rows_and_summary_agree(tmp_path: Path) -> None:
    items = _items({"a": 10, "b": 5})
    cfg = FaceSplitConfig("stratified", 0.2, 0.2, "")
    plan = plan_splits(items, cfg, 3, tmp_path / "unused.csv")  # stratified never reads it
    rows = split_rows(items, plan)
    assert len(rows) == 15 and {row["split"] for row in rows} == {"train", "val", "test"}
    summary = split_summary(items, plan, cfg.source)
    assert summary["totals"] == {"train": 9, "val": 3, "test": 3}
    file_cfg = FaceSplitConfig("file", 0.2, 0.0, "")
    with pytest.raises(DatasetError, match="does not exist"):
        plan_splits(items, file_cfg, 3, tmp_path / "unused.csv")
