"""The confusion-matrix figure is written as a PNG, atomically."""

from __future__ import annotations

import pytest

from dlpipe.reporting.confusion_plot import plot_confusion

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_writes_a_png_and_no_temporary_file(tmp_path) -> None:
    path = tmp_path / "figures" / "confusion.png"
    plot_confusion([[3, 1, 0], [0, 4, 0], [2, 0, 1]], ("ann", "bob", "cy"), path, "face CNN")
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert [p.name for p in path.parent.iterdir()] == ["confusion.png"]


def test_all_zero_matrix_still_plots(tmp_path) -> None:
    path = tmp_path / "zero.png"
    plot_confusion([[0, 0], [0, 0]], ("a", "b"), path, "empty")
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_shape_must_match_the_classes(tmp_path) -> None:
    with pytest.raises(ValueError, match="3 classes"):
        plot_confusion([[1, 0], [0, 1]], ("a", "b", "c"), tmp_path / "x.png", "bad")
    assert not (tmp_path / "x.png").exists()
