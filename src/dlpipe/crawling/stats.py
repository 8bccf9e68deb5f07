"""Flatten Scrapy's crawl stats into the few JSON-safe numbers the stage records."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dlpipe.crawling.manifest import count_by_status

_STATUS_PREFIX = "downloader/response_status_count/"
_EXCEPTION_PREFIX = "downloader/exception_type_count/"
_COPIED = MappingProxyType(
    {
        "requests": "downloader/request_count",
        "responses": "response_received_count",
        "items": "item_scraped_count",
        "dropped": "item_dropped_count",
        "item_errors": "spider_exceptions/count",
        "retries": "retry/count",
        "retries_exhausted": "retry/max_reached",
        "robots_forbidden": "robotstxt/forbidden",
        "offsite_filtered": "offsite/filtered",
        "download_errors": "downloader/exception_count",
        "bytes": "downloader/response_bytes",
        "log_errors": "log_count/ERROR",
        "log_warnings": "log_count/WARNING",
    }
)


def summarise_stats(
    raw: Mapping[str, Any], rows: list[dict[str, object]]
) -> dict[str, int | float]:
    """Counts from Scrapy (requests, responses by status, retries, filters, timeouts, bytes,
    elapsed time) plus the manifest's own counts per image status."""
    stats: dict[str, int | float] = {name: int(raw.get(key, 0)) for name, key in _COPIED.items()}
    for key, value in sorted(raw.items()):
        if key.startswith(_STATUS_PREFIX):
            stats[f"responses/{key.removeprefix(_STATUS_PREFIX)}"] = int(value)
    stats["timeouts"] = sum(
        int(value)
        for key, value in raw.items()
        if key.startswith(_EXCEPTION_PREFIX) and "Timeout" in key
    )
    for status, count in count_by_status(rows).items():
        stats[f"images/{status}"] = count
    stats["closed_by_page_limit"] = int(raw.get("finish_reason") == "closespider_pagecount")
    stats["elapsed_s"] = round(float(raw.get("elapsed_time_seconds", 0.0)), 3)
    return stats
