"""The numbers DVC and MLflow show for the crawl and the extraction (flat enough to diff)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

STATUSES = ("ok", "duplicate", "rejected", "failed")


def skipped_metrics(reason: str) -> dict[str, object]:
    """What every face stage records when there is nothing to work on."""
    return {"skipped": reason}


def crawl_summary(
    rows: Sequence[Mapping[str, object]], stats: Mapping[str, int | float]
) -> dict[str, object]:
    """Images by status and by person, plus Scrapy's own counters."""
    statuses = Counter(str(row["status"]) for row in rows)
    per_person = Counter(str(row["person"]) for row in rows if row["status"] == "ok")
    return {
        "skipped": None,
        "images": {status: statuses.get(status, 0) for status in STATUSES},
        "people": len(per_person),
        "per_person": dict(sorted(per_person.items())),
        "scrapy": dict(sorted(stats.items())),
    }


def extraction_summary(rows: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Accepted/rejected counts, reasons (first words, so counts group) and faces per photo."""
    accepted = [row for row in rows if row["accepted"]]
    reasons = Counter(_reason_kind(str(row["reason"])) for row in rows if not row["accepted"])
    found = Counter(min(int(row["faces_found"]), 2) for row in rows)
    per_person = Counter(str(row["person"]) for row in accepted)
    return {
        "skipped": None,
        "photos": len(rows),
        "accepted": len(accepted),
        "rejected": len(rows) - len(accepted),
        "acceptance_rate": round(len(accepted) / len(rows), 4) if rows else 0.0,
        "faces_found": {
            "none": found.get(0, 0),
            "one": found.get(1, 0),
            "several": found.get(2, 0),
        },
        "rejected_by_reason": dict(sorted(reasons.items())),
        "per_person": dict(sorted(per_person.items())),
    }


def _reason_kind(reason: str) -> str:
    """'too small: 30x40 < 48' -> 'too small'; a reason without details stays whole."""
    return reason.split(":")[0].strip() or "unknown"


def numeric_leaves(data: Mapping[str, object], prefix: str = "") -> dict[str, float]:
    """Nested numbers as flat `a/b` keys for MLflow (text and None are left out)."""
    flat: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(numeric_leaves(value, f"{name}/"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat
