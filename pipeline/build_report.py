"""DVC stage build_report: the comparison report, reports/index.html, and reports/summary.md.

Reads every family's metrics/details/figures under reports/, the tuning results when present
and the MLflow stage runs; runs last. Not an MLflow run itself: it reads the runs.
"""

from dlpipe.families.report.build import build_report
from dlpipe.stage import StageSpec, run_stage

SPEC = StageSpec(
    name="build_report",
    family="report",
    params=(),
    outputs=("reports/index.html", "reports/summary.md"),
    tracked=False,
)

if __name__ == "__main__":
    run_stage(SPEC, build_report)
