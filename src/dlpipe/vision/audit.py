"""The audit table: one flat row per photo, saying what was found and why it was kept or not."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dlpipe.vision.extraction import FaceOutcome

AUDIT_COLUMNS = (
    "key", "person", "path", "accepted", "reason", "faces_found",
    "box_x", "box_y", "box_w", "box_h", "crop_x", "crop_y", "crop_w", "crop_h",
    "width", "height", "notes",
)  # fmt: skip


def audit_rows(
    outcomes: Sequence[FaceOutcome], relative_to: Path | None = None
) -> list[dict[str, object]]:
    """Rows with exactly AUDIT_COLUMNS; boxes absent for rejected photos are None (empty cells).

    The source format goes into notes, so one column tells what was read and what was converted.
    Paths are written relative to `relative_to` (the project root), so the table names no
    machine's folders.
    """
    rows = []
    for outcome in outcomes:
        box = outcome.box or (None,) * 4
        crop = outcome.crop_box or (None,) * 4
        notes = "; ".join(part for part in (outcome.source_mode, outcome.notes) if part)
        row: dict[str, object] = {
            "key": outcome.key,
            "person": outcome.person,
            "path": _shown(outcome.path, relative_to),
            "accepted": outcome.accepted,
            "reason": outcome.reason,
            "faces_found": outcome.faces_found,
            **dict(zip(("box_x", "box_y", "box_w", "box_h"), box, strict=True)),
            **dict(zip(("crop_x", "crop_y", "crop_w", "crop_h"), crop, strict=True)),
            "width": outcome.width,
            "height": outcome.height,
            "notes": notes,
        }
        rows.append(row)
    return rows


def _shown(path: Path, base: Path | None) -> str:
    if base is not None and path.is_relative_to(base):
        return path.relative_to(base).as_posix()
    return path.as_posix()
