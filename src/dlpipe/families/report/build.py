"""DVC stage build_report: reports/index.html and reports/summary.md from every family's outputs.

It runs last (its deps are the other stages' metrics, details and figures). Stage times and run
ids come from the MLflow store as it is when the report is built; the store is not a DVC dep
(every run would make the report stale), so `dvc repro -f build_report` refreshes them.
"""

from __future__ import annotations

import logging

from dlpipe import paths
from dlpipe.families.report.gather import gather_report
from dlpipe.reporting.anchors import load_anchors
from dlpipe.reporting.comparison_report import write_report
from dlpipe.stage import Stage
from dlpipe.tracking import latest_stage_runs

log = logging.getLogger(__name__)

HTML = "reports/index.html"
SUMMARY = "reports/summary.md"


def build_report(stage: Stage) -> None:
    reports = paths.reports_dir(stage.root)
    runs = latest_stage_runs(stage.root)
    report = gather_report(reports, runs, load_anchors())
    write_report(report, stage.out(HTML), stage.out(SUMMARY))
    shown = sum(section.status == "ok" for section in report.families)
    log.info(
        "report: %d of %d families, %d stage runs, %d skipped item(s): %s",
        shown,
        len(report.families),
        len(report.stage_times),
        len(report.skipped),
        HTML,
    )
