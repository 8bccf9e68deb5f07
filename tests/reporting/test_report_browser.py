"""The comparison report in a real browser: headless Chromium (Debian's) driven by Selenium.

`make test` installs Chromium first (`make browser`); nothing here is skipped when it is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from dlpipe.families.report.gather import gather_report
from dlpipe.reporting.anchors import load_anchors
from dlpipe.reporting.browser_check import check_page
from dlpipe.reporting.comparison_report import write_report
from dlpipe.tracking import latest_stage_runs
from report_fixtures import make_reports, make_runs, write_image

pytestmark = pytest.mark.slow


def test_the_fixture_report_loads_every_image_with_no_console_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    reports = make_reports(tmp_path)
    shown = make_runs(tmp_path)
    report = gather_report(reports, latest_stage_runs(tmp_path), load_anchors())
    write_report(report, reports / "index.html", reports / "summary.md")
    result = check_page(reports / "index.html", tmp_path / "report.png")
    print(f"screenshot of the fixture report: {result.screenshot}")
    assert result.problems == []
    # loss curves, forecast, ROC, search, the GIF, the tuning history
    assert result.images == 6
    with Image.open(result.screenshot) as shot:
        assert shot.format == "PNG"
        assert shot.width == 1280 and shot.height > 2000  # the whole page, not one window
    assert shown["compare_optimizers"] in (reports / "index.html").read_text(encoding="utf-8")


def test_a_broken_page_is_caught(tmp_path: Path) -> None:
    """A missing image, a script error and a fetch from elsewhere each count as a problem."""
    write_image(tmp_path / "present.png")
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="present.png"><img src="missing.png">'
        '<img src="http://127.0.0.1:9/remote.png">'
        "<script>undefinedFunction()</script></body></html>",
        encoding="utf-8",
    )
    result = check_page(page, tmp_path / "broken.png")
    assert result.images == 3
    assert [Path(src).name for src in result.broken_images] == ["missing.png", "remote.png"]
    assert any("undefinedFunction" in message for message in result.console_errors)
    assert any("missing.png" in message for message in result.console_errors)
    assert result.remote == ["http://127.0.0.1:9/remote.png"]
    assert result.screenshot.is_file()
