from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlpipe.vision.audit import AUDIT_COLUMNS, audit_rows
from dlpipe.vision.extraction import FaceOutcome
from dlpipe.vision.sheets import contact_sheet


def test_sheet_of_mixed_tiles() -> None:
    tiles = [
        np.zeros((64, 64), np.uint8),  # grey crop
        np.zeros((48, 48, 3), np.uint8),  # rgb crop
        np.zeros((300, 200, 3), np.uint8),  # a rejected original
        np.zeros((20, 50, 4), np.uint8),  # BGRA
        np.zeros((90, 90, 1), np.uint8),
    ]
    sheet = contact_sheet(tiles, ["a", "b", "a very long label indeed", "d", "e"], columns=3)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    assert sheet.shape[1] == 3 * 96 and sheet.shape[0] > 2 * 96
    assert (sheet < 128).any() and (sheet > 128).any()


def test_sheet_with_fewer_tiles_than_columns_is_one_row() -> None:
    sheet = contact_sheet([np.zeros((64, 64), np.uint8)], ["x"], columns=10, tile_size=32)
    assert sheet.shape[1] == 32


def test_empty_sheet_says_none() -> None:
    sheet = contact_sheet([], [], columns=10)
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3 and (sheet < 128).any()


def test_labels_must_match_tiles() -> None:
    with pytest.raises(ValueError, match="labels"):
        contact_sheet([np.zeros((5, 5), np.uint8)], [], columns=2)


def test_audit_rows_have_exactly_the_columns() -> None:
    accepted = FaceOutcome(
        "k1", "ann", Path("a.jpg"), True, "", 2, (1, 2, 3, 4), (0, 0, 9, 9), 50, 60,
        "JPEG RGB", "2 faces, kept the largest", np.zeros((64, 64), np.uint8),
    )  # fmt: skip
    rejected = FaceOutcome(
        "k2", "bob", Path("b.jpg"), False, "no face found", 0, None, None, 50, 60, "PNG L", "", None
    )
    rows = audit_rows([accepted, rejected])
    assert [tuple(row) for row in rows] == [AUDIT_COLUMNS] * 2
    assert rows[0]["box_w"] == 3 and rows[0]["crop_h"] == 9 and rows[0]["accepted"] is True
    assert rows[0]["notes"] == "JPEG RGB; 2 faces, kept the largest"
    assert rows[1]["box_x"] is None and rows[1]["reason"] == "no face found"
    assert rows[1]["path"] == "b.jpg"


def test_audit_paths_are_relative_to_the_given_root(tmp_path: Path) -> None:
    inside = FaceOutcome(
        "k", "ann", tmp_path / "data" / "a.jpg", False, "no face found", 0, None, None, 9, 9, "", ""
    )
    outside = FaceOutcome(
        "k", "ann", Path("/elsewhere/b.jpg"), False, "x", 0, None, None, 9, 9, "", ""
    )
    rows = audit_rows([inside, outside], relative_to=tmp_path)
    assert [row["path"] for row in rows] == ["data/a.jpg", "/elsewhere/b.jpg"]
