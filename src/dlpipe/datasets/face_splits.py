"""Train/val/test splits of the face crops: person-stratified from the seed, or a set's own file.

Splits are drawn per photo (one crop per photo, duplicates already merged by content hash), so
no photo can sit on both sides of a split.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlpipe.config import FaceSplitConfig
from dlpipe.datasets import DatasetError
from dlpipe.datasets.files import decode_csv_text, read_bytes

SPLITS = ("train", "val", "test")
SPLIT_COLUMNS = ("key", "person", "split")


@dataclass(frozen=True)
class FaceItem:
    """One accepted crop: its key (content hash), person and the photo's `person/file` name."""

    key: str
    person: str
    source_file: str


@dataclass(frozen=True)
class SplitPlan:
    assignment: dict[str, str]  # key -> train | val | test
    notes: tuple[str, ...]  # what did not fit the plan (unlisted photos, tiny classes)


def stratified_splits(
    items: Sequence[FaceItem], val_fraction: float, test_fraction: float, seed: int
) -> SplitPlan:
    """Per person: shuffle from the seed, then cut test and val shares (at least one each).

    A person with fewer than 3 photos cannot be in all three splits: all go to train, noted.
    The order of `items` does not matter: keys are sorted before the seeded shuffle.
    """
    _check_fractions(val_fraction, test_fraction)
    by_person: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_person[item.person].append(item.key)
    assignment: dict[str, str] = {}
    notes: list[str] = []
    for index, person in enumerate(sorted(by_person)):
        keys = sorted(by_person[person])
        if len(keys) < 3:
            assignment.update(dict.fromkeys(keys, "train"))
            notes.append(f"{person}: only {len(keys)} face(s), all in train (none to test on)")
            continue
        order = np.random.default_rng([seed, index]).permutation(len(keys))
        n_test = _share(len(keys), test_fraction)
        n_val = _share(len(keys), val_fraction)
        n_test = min(n_test, len(keys) - 2)
        n_val = min(n_val, len(keys) - n_test - 1)
        for rank, position in enumerate(order):
            split = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
            assignment[keys[position]] = split
    return SplitPlan(assignment, tuple(notes))


def file_splits(
    items: Sequence[FaceItem], listed: Mapping[str, str], val_fraction: float, seed: int
) -> SplitPlan:
    """The set's own split (`listed`: `person/file` -> train | val) so results compare with
    published ones: its `val` photos become our test split, and our val (for early stopping and
    choices) is drawn, stratified, from its train photos. Photos the file does not list are left
    out and noted.
    """
    _check_fractions(val_fraction, 0.0)
    unknown = sorted({s for s in listed.values()} - {"train", "val", "test"})
    if unknown:
        raise DatasetError(f"splits file: unknown split name(s) {unknown}; use train/val/test")
    assignment: dict[str, str] = {}
    notes: list[str] = []
    train_items: list[FaceItem] = []
    for item in items:
        split = listed.get(item.source_file)
        if split is None:
            notes.append(f"{item.source_file}: not in the splits file, left out")
        elif split == "train":
            train_items.append(item)
        else:
            assignment[item.key] = "test"
    inner = stratified_splits(train_items, val_fraction, 0.0, seed)
    for key, split in inner.assignment.items():
        assignment[key] = "val" if split == "val" else "train"
    missing = len(set(listed) - {item.source_file for item in items})
    if missing:
        notes.append(f"{missing} photo(s) listed in the splits file have no accepted face")
    return SplitPlan(assignment, tuple(notes) + inner.notes)


def plan_splits(
    items: Sequence[FaceItem], cfg: FaceSplitConfig, seed: int, splits_file: Path
) -> SplitPlan:
    """The configured plan: stratified from the seed, or the set's own file (read only then)."""
    if cfg.source == "file":
        return file_splits(items, read_splits_file(splits_file), cfg.val_fraction, seed)
    return stratified_splits(items, cfg.val_fraction, cfg.test_fraction, seed)


def split_rows(items: Sequence[FaceItem], plan: SplitPlan) -> list[dict[str, str]]:
    """The split table (SPLIT_COLUMNS): one row per crop the plan places."""
    return [
        {"key": item.key, "person": item.person, "split": plan.assignment[item.key]}
        for item in items
        if item.key in plan.assignment
    ]


def split_summary(items: Sequence[FaceItem], plan: SplitPlan, source: str) -> dict[str, object]:
    """Counts per person and split, totals and the plan's notes (the stage's DVC metrics)."""
    counts = split_counts(items, plan)
    totals = {split: sum(row[split] for row in counts.values()) for split in SPLITS}
    return {
        "skipped": None,
        "source": source,
        "per_person": counts,
        "totals": totals,
        "notes": list(plan.notes),
    }


def read_splits_file(path: Path) -> dict[str, str]:
    """`file,person,split` rows -> {file: split}; errors name the file, the line and the fix.

    A photo listed twice is an error even with the same split: the file was edited by hand or
    two lists were pasted together, and one of them may be the wrong one.
    """
    fix = (
        "set face_split.splits_file in params.yaml to a CSV with the columns file and split, "
        "or use face_split.source: stratified"
    )
    text = decode_csv_text(read_bytes(path, fix), path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    if not {"file", "split"} <= set(header):
        raise DatasetError(
            f"{path}, line 1: needs the columns file and split (has {header}). To fix: {fix}"
        )
    name_at, split_at = header.index("file"), header.index("split")
    listed: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(
                f"{path}, line {line}: {len(row)} field(s) but the header has {len(header)}. "
                "To fix: complete that row or delete it"
            )
        name, split = row[name_at].strip(), row[split_at].strip()
        if not name or not split:
            raise DatasetError(
                f"{path}, line {line}: empty file or split. To fix: fill it in or delete the row"
            )
        if split not in SPLITS:
            raise DatasetError(
                f"{path}, line {line}: split {split!r} is not one of {list(SPLITS)}. "
                "To fix: correct that row"
            )
        if name in listed:
            raise DatasetError(
                f"{path}, lines {first_line[name]} and {line}: photo {name!r} is listed twice. "
                "To fix: keep one of those rows"
            )
        listed[name], first_line[name] = split, line
    if not listed:
        raise DatasetError(f"{path}: has a header but no rows. To fix: {fix}")
    return listed


def split_counts(items: Sequence[FaceItem], plan: SplitPlan) -> dict[str, dict[str, int]]:
    """person -> {train, val, test} counts (for the metrics file and the report)."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        split = plan.assignment.get(item.key)
        if split is not None:
            row = counts.setdefault(item.person, dict.fromkeys(SPLITS, 0))
            row[split] += 1
    return dict(sorted(counts.items()))


def _share(n: int, fraction: float) -> int:
    """At least one photo for any split that is asked for, however small the class."""
    return max(1, round(n * fraction)) if fraction > 0 else 0


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise DatasetError(
            f"face_split: val_fraction {val_fraction} and test_fraction {test_fraction} must be "
            "in [0, 1) and sum to less than 1"
        )
