from __future__ import annotations

from dlpipe.reporting.face_summaries import crawl_summary, extraction_summary, numeric_leaves


def test_crawl_summary_counts_statuses_and_people() -> None:
    rows = [
        {"status": "ok", "person": "a"},
        {"status": "ok", "person": "b"},
        {"status": "duplicate", "person": "a"},
        {"status": "failed", "person": "b"},
    ]
    summary = crawl_summary(rows, {"requests": 9})
    assert summary["images"] == {"ok": 2, "duplicate": 1, "rejected": 0, "failed": 1}
    assert summary["people"] == 2 and summary["scrapy"] == {"requests": 9}


def test_extraction_summary_groups_reasons() -> None:
    rows = [
        {"accepted": True, "reason": "", "faces_found": 1, "person": "a"},
        {"accepted": True, "reason": "", "faces_found": 3, "person": "a"},
        {"accepted": False, "reason": "too small: 30x40 < 48", "faces_found": 0, "person": "b"},
        {"accepted": False, "reason": "no face found", "faces_found": 0, "person": "b"},
    ]
    summary = extraction_summary(rows)
    assert summary["accepted"] == 2 and summary["acceptance_rate"] == 0.5
    assert summary["faces_found"] == {"none": 2, "one": 1, "several": 1}
    assert summary["rejected_by_reason"] == {"no face found": 1, "too small": 1}


def test_numeric_leaves_flattens_and_drops_text() -> None:
    flat = numeric_leaves({"a": {"b": 1, "c": "x"}, "d": 2.5, "e": None, "f": True})
    assert flat == {"a/b": 1.0, "d": 2.5}
