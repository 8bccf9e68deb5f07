"""The published results the comparison report cites (anchors.yaml beside this module).

Kept as data, not code, so adding a paper's number is one YAML entry with its source and an
honest answer to "same metric? same data?".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ANCHORS_FILE = Path(__file__).with_name("anchors.yaml")
REQUIRED = ("name", "metric", "value", "source", "same_metric", "same_data")
OPTIONAL = ("ours", "ours_label", "note")


@dataclass(frozen=True)
class Anchor:
    name: str
    metric: str
    value: float | None
    source: str
    same_metric: bool
    same_data: bool
    ours: str | None = None  # `split/metric` in metrics.json, or `FILE:dotted.key`
    ours_label: str = ""
    note: str = ""


def load_anchors(path: Path = ANCHORS_FILE) -> dict[str, tuple[Anchor, ...]]:
    """Family -> its anchors; a malformed entry raises ValueError naming family and entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of family -> list of anchors")
    return {
        str(family): tuple(_anchor(path, str(family), i, entry) for i, entry in enumerate(entries))
        for family, entries in data.items()
    }


def _anchor(path: Path, family: str, index: int, entry: object) -> Anchor:
    where = f"{path.name}: {family}[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping, got {entry!r}")
    missing = [key for key in REQUIRED if key not in entry]
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise ValueError(f"{where}: missing {missing}, unknown {unknown}")
    value = entry["value"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"{where}: value must be a number or null, got {value!r}")
    for flag in ("same_metric", "same_data"):
        if not isinstance(entry[flag], bool):
            raise ValueError(f"{where}: {flag} must be true or false, got {entry[flag]!r}")
    return Anchor(
        name=str(entry["name"]),
        metric=str(entry["metric"]),
        value=None if value is None else float(value),
        source=str(entry["source"]),
        same_metric=entry["same_metric"],
        same_data=entry["same_data"],
        ours=None if entry.get("ours") is None else str(entry["ours"]),
        ours_label=str(entry.get("ours_label", "")),
        note=str(entry.get("note", "")).strip(),
    )
