"""The manifest: one row per image URL the crawl tried, whatever happened to it."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

MANIFEST_COLUMNS: Final = (
    "url",
    "person",
    "status",
    "reason",
    "sha256",
    "path",
    "format",
    "width",
    "height",
    "bytes",
    "licence",
    "author",
    "page_url",
)
STATUSES: Final = ("ok", "duplicate", "rejected", "failed")

_EMPTY: Final[Mapping[str, object]] = MappingProxyType(
    {
        "reason": "",
        "sha256": "",
        "path": "",
        "format": "",
        "width": 0,
        "height": 0,
        "bytes": 0,
        "licence": "",
        "author": "",
        "page_url": "",
    }
)


def make_row(*, url: str, person: str, status: str, **fields: object) -> dict[str, object]:
    """A complete row in column order; unknown columns or statuses are a bug, so they raise."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    unknown = set(fields) - set(MANIFEST_COLUMNS)
    if unknown:
        raise ValueError(f"unknown manifest columns: {sorted(unknown)}")
    values = {**_EMPTY, **fields, "url": url, "person": person, "status": status}
    return {column: values[column] for column in MANIFEST_COLUMNS}


def count_by_status(rows: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """{"ok": n, "duplicate": n, "rejected": n, "failed": n}, every status present."""
    counts = Counter(str(row["status"]) for row in rows)
    return {status: counts.get(status, 0) for status in STATUSES}


def sort_rows(rows: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """A stable order (person, then URL) so manifests diff cleanly between runs."""
    return sorted(rows, key=lambda row: (str(row["person"]), str(row["url"])))


def write_manifest_csv(rows: Iterable[Mapping[str, object]], path: Path) -> None:
    """Write rows as CSV with exactly MANIFEST_COLUMNS as the header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


IMAGES_DIR: Final = "images"  # under out_dir; row paths are relative to out_dir
# The local gallery is served on a free port, different every run; the manifest names its URLs
# under this origin instead (".invalid" never resolves), so a rerun writes the same bytes.
GALLERY_ORIGIN: Final = "http://gallery.invalid"


def rebase_urls(rows: Iterable[dict[str, object]], served: str) -> list[dict[str, object]]:
    """Rows with the served origin `served` (e.g. http://127.0.0.1:41234) replaced by
    GALLERY_ORIGIN in every text field (URLs, and reasons that quote a URL)."""
    return [
        {k: v.replace(served, GALLERY_ORIGIN) if isinstance(v, str) else v for k, v in row.items()}
        for row in rows
    ]


def row_from_item(item: Mapping[str, object]) -> dict[str, object]:
    """The manifest row of one crawled item (its pipeline outcome plus where it came from)."""
    outcome = item.get("outcome")
    if not isinstance(outcome, Mapping):
        outcome = {"status": "failed", "reason": "the images pipeline recorded no outcome"}
    urls = item.get("image_urls") or [""]
    stored = str(outcome.get("path") or "")
    return make_row(
        url=str(urls[0]),  # type: ignore[index]
        person=str(item.get("person") or ""),
        status=str(outcome["status"]),
        reason=str(outcome.get("reason") or ""),
        sha256=str(outcome.get("sha256") or ""),
        path=f"{IMAGES_DIR}/{stored}" if stored else "",
        format=str(outcome.get("format") or ""),
        width=int(outcome.get("width") or 0),  # type: ignore[call-overload]
        height=int(outcome.get("height") or 0),  # type: ignore[call-overload]
        bytes=int(outcome.get("bytes") or 0),  # type: ignore[call-overload]
        licence=str(item.get("licence") or ""),
        author=str(item.get("author") or ""),
        page_url=str(item.get("page_url") or ""),
    )
