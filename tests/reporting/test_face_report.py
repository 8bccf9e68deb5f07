from __future__ import annotations

from dlpipe.reporting.face_report import face_markdown, skipped_markdown

CLASSES = ("ann", "bob")


def _report(accuracy: float, macro_f1: float) -> dict:
    row = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 10}
    return {
        "accuracy": accuracy,
        "macro_f1": macro_f1,
        "weighted_f1": macro_f1,
        "per_class": {name: dict(row) for name in CLASSES},
    }


def _page(beats: bool, p_value: float) -> str:
    cnn_test = _report(0.75, 0.7) if beats else _report(0.4, 0.35)
    scores = {
        "cnn": {"val": _report(0.8, 0.8), "test": cnn_test},
        "eigenfaces": {"val": _report(0.6, 0.6), "test": _report(0.5, 0.45)},
    }
    metrics = {
        "verdict": "no significant difference" if p_value >= 0.05 else "significantly better",
        "mcnemar_test": {"cnn_only_right": 6, "eigenfaces_only_right": 1, "p_value": p_value},
    }
    return face_markdown(metrics, scores, CLASSES, "Two people.")


def test_page_states_the_verdict_either_way_with_the_numbers() -> None:
    ahead = _page(True, 0.125)
    assert "**ahead of**" in ahead and "accuracy 0.750 against 0.500" in ahead
    assert "**not ahead of**" in _page(False, 0.125)


def test_page_says_whether_the_gap_is_significant() -> None:
    assert "p = 0.125" in _page(True, 0.125) and "**not significant**" in _page(True, 0.125)
    assert "Verdict: **no significant difference**" in _page(True, 0.125)
    assert "a real difference at the 5% level" in _page(True, 0.01)
    assert "Verdict: **significantly better**" in _page(True, 0.01)


def test_page_lists_every_person_and_the_published_anchors() -> None:
    page = _page(True, 0.5)
    assert "| ann |" in page and "| bob |" in page and "Lawrence et al. 1997" in page
    assert "1 photo is 5.0 points" not in page and "one photo is 5.0 points" in page


def test_skipped_page_gives_the_reason() -> None:
    assert "Skipped: no images: x" in skipped_markdown("no images: x")
