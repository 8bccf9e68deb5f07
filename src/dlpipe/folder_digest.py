"""One sha256 for a whole folder of files, so a model folder that holds pickles can be pinned when
it is registered and checked before anything in it is unpickled.

hashlib alone: dirhash-style packages exist, but this is ten lines with a fixed, documented
definition (the sorted `relative/path NUL file-sha256` lines), which the pin depends on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def folder_sha256(folder: Path) -> str:
    """The sha256 of the lines `<relative path>\\0<sha256 of the file>\\n`, sorted by path: any
    changed, added, removed or renamed file changes it."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        relative = path.relative_to(folder).as_posix()
        digest.update(f"{relative}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
