"""Paths into the real gallery shared by the vision tests (tests skip when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlpipe.paths import data_path, project_root

GALLERY = data_path(project_root(), "../shared/data/faces/five-celebrities")
ONE_FACE = "ben_afflek/httpabsolumentgratuitfreefrimagesbenaffleckjpg.jpg"  # 300x200, one face
# A face the face cascade still finds once the eye band is painted over (eye check test).
PAINTABLE = (
    "ben_afflek/httpafilesbiographycomimageuploadcfillcssrgbdprgfacehqwMTENDgMDUODczNDcNTcjpg.jpg"
)


def gallery_file(name: str) -> Path:
    path = GALLERY / name
    if not path.is_file():
        pytest.skip(f"gallery photo missing: {path}")
    return path
