"""The load benchmark's gallery builder: distinct, reproducible, balanced copies of a gallery."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def load_gallery_module() -> ModuleType:
    """benchmarks/ is scripts, not a package: load the module from its file."""
    spec = importlib.util.spec_from_file_location(
        "load_gallery", ROOT / "benchmarks" / "load_gallery.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("load_gallery", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def small_gallery(folder: Path) -> None:
    """Two people with two 80x100 photos each, plus a file that is no person."""
    rng = np.random.default_rng(0)
    for person in ("alice", "bob"):
        for name in ("a.jpg", "b.jpg"):
            (folder / person).mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 256, (100, 80, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / person / name, quality=90)
    (folder / "README.md").write_text("not a person\n")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_built_gallery_is_distinct_balanced_and_reproducible(tmp_path: Path) -> None:
    load_gallery = load_gallery_module()
    small_gallery(tmp_path / "source")
    files = load_gallery.build_gallery(tmp_path / "source", tmp_path / "built", 7, seed=3)

    names = [f"{path.parent.name}/{path.name}" for path in files]
    assert names == [
        "alice/00000-a.jpg", "alice/00001-b.jpg", "bob/00002-a.jpg", "bob/00003-b.jpg",
        "alice/00004-a.jpg", "alice/00005-b.jpg", "bob/00006-a.jpg",
    ]  # fmt: skip
    assert len({digest(path) for path in files}) == 7  # no two copies share bytes
    for path in files:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            # crops up to 6 % a side, then a scale of 0.85-1.15
            assert 0.85 * 0.88 * 80 - 1 <= image.width <= 1.15 * 80 + 1

    again = load_gallery.build_gallery(tmp_path / "source", tmp_path / "again", 7, seed=3)
    assert [digest(p) for p in again] == [digest(p) for p in files]

    load_gallery.link_subset(files, tmp_path / "three", 3)
    subset = sorted(
        p.relative_to(tmp_path / "three").as_posix() for p in (tmp_path / "three").rglob("*.jpg")
    )
    assert subset == sorted(names[:3])
