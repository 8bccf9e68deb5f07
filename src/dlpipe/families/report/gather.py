"""Gather the comparison report's plain values from reports/ and the MLflow stage runs.

Everything is read defensively: a family whose stage has not run shows as missing, a skipped one
with its reason, a figure that is not there is named instead of shown. Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlpipe.evaluation.verdicts import WORDS
from dlpipe.families.report.catalog import (
    FAMILIES,
    OPTIMIZER_FILES,
    SEARCH_FILES,
    SEARCH_STAGE,
    TRAJECTORIES,
    FamilySpec,
    fill,
)
from dlpipe.families.report.tuning import TUNING, TuningResult, read_tuning, tuning_stages
from dlpipe.reporting.anchors import Anchor
from dlpipe.reporting.comparison_data import (
    AnchorRow,
    FamilySection,
    Figure,
    MetricRow,
    OptimizerRow,
    OptimizerSection,
    Report,
    RunRef,
    SearchRow,
    SearchSection,
    SkippedItem,
    StageTime,
    TuningSection,
)
from dlpipe.tracking import StageRun

OPTIMIZER_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
SEARCH_ORDER = ("manual", "grid", "random", "tpe")
TUNABLE = ("optimizers", "stock_lstm", "recommender", "faces", "classifiers", "vae", "gan")


def gather_report(
    reports: Path, runs: Mapping[str, StageRun], anchors: Mapping[str, Sequence[Anchor]]
) -> Report:
    """The whole report from the reports/ folder, the latest stage runs and the anchors."""
    read = _reader(reports)
    families = tuple(family_section(reports, spec, runs, anchors, read) for spec in FAMILIES)
    tuning = tuple(tuning_section(reports, family, runs) for family in tuning_families(reports))
    return Report(
        families=families,
        optimizers=optimizer_section(reports, runs, read),
        search=search_section(reports, runs, read),
        tuning=tuning,
        stage_times=stage_times(runs),
        skipped=skipped_items(families, runs, read),
    )


def run_ref(runs: Mapping[str, StageRun], stage: str) -> RunRef | None:
    run = runs.get(stage)
    if run is None:
        return None
    return RunRef(
        stage=stage,
        run_id=run.run_id,
        experiment_id=run.experiment_id,
        seconds=run.seconds,
        skipped=run.tags.get("dlpipe.skipped"),
    )


def family_section(
    reports: Path,
    spec: FamilySpec,
    runs: Mapping[str, StageRun],
    anchors: Mapping[str, Sequence[Anchor]],
    read: _Reader,
) -> FamilySection:
    metrics = read(f"{spec.folder}/metrics.json")
    details = read(f"{spec.folder}/{spec.details}") if spec.details else {}
    run = run_ref(runs, spec.stage)
    tags = runs[spec.stage].tags if spec.stage in runs else {}
    names = {**{k: v for k, v in details.items() if isinstance(v, str)}, **tags}
    common = {
        "key": spec.key,
        "title": spec.title,
        "model": fill(spec.model, names),
        "baseline": fill(spec.baseline, names),
        "split": spec.split,
        "split_text": spec.split_text,
        "test": spec.test,
        "run": run,
    }
    if not metrics:
        reason = f"no {spec.folder}/metrics.json yet (run: dvc repro {spec.stage})"
        return FamilySection(status="missing", reason=reason, **common)
    if metrics.get("skipped"):
        reason = details.get("skipped") or tags.get("dlpipe.skipped") or "skipped"
        return FamilySection(status="skipped", reason=str(reason), **common)
    verdict = _number(metrics.get("verdict"))
    figures, missing = [], []
    for figure in spec.figures:  # each with the run of the stage that drew it
        path = f"{spec.folder}/{figure.file}"
        if (reports / path).is_file():
            drawn_by = run_ref(runs, figure.stage or spec.stage)
            figures.append(Figure(path, figure.caption, drawn_by, figure.wide))
        else:
            missing.append(path)
    return FamilySection(
        status="ok",
        rows=tuple(
            MetricRow(
                metric=name,
                model=_number(metrics.get(f"{spec.split}/{name}")),
                baseline=_number(metrics.get(f"{spec.baseline_prefix}/{name}")),
                better=better,
            )
            for name, better in spec.metrics
        ),
        p_value=_number(metrics.get("p_value")),
        verdict=None if verdict is None else int(verdict),
        verdict_words=WORDS.get(int(verdict), "") if verdict is not None else "",
        anchors=tuple(
            anchor_row(anchor, spec.folder, metrics, read) for anchor in anchors.get(spec.key, ())
        ),
        figures=tuple(figures),
        missing_figures=tuple(missing),
        **common,
    )


def anchor_row(
    anchor: Anchor, folder: str, metrics: Mapping[str, object], read: _Reader
) -> AnchorRow:
    """The published number beside ours (`ours`: a metrics key or `FILE:dotted.key`)."""
    ours = None
    if anchor.ours is not None:
        if ":" in anchor.ours:
            file, key = anchor.ours.split(":", 1)
            ours = _number(_dotted(read(f"{folder}/{file}"), key))
        else:
            ours = _number(metrics.get(anchor.ours))
    return AnchorRow(
        name=anchor.name,
        metric=anchor.metric,
        published=anchor.value,
        ours=ours,
        ours_label=anchor.ours_label,
        source=anchor.source,
        same_metric=anchor.same_metric,
        same_data=anchor.same_data,
        note=anchor.note,
    )


def optimizer_section(
    reports: Path, runs: Mapping[str, StageRun], read: _Reader
) -> OptimizerSection | None:
    comparison, trace = (read(path) for path in OPTIMIZER_FILES)
    if not comparison and not trace:
        return None
    rows = [
        OptimizerRow(
            name=name,
            val_accuracy=_number(row.get("val/accuracy")),
            test_accuracy=_number(row.get("test/accuracy")),
            test_loss=_number(row.get("test/loss")),
            error=row.get("error") or None,
        )
        for name, row in comparison.items()
        if isinstance(row, dict)
    ]
    rows.sort(key=lambda r: -(r.val_accuracy if r.val_accuracy is not None else -1.0))
    surfaces = tuple(name for name, row in trace.items() if isinstance(row, dict))
    names = {name for surface in surfaces for name in trace[surface]}
    optimizers = (
        *(n for n in OPTIMIZER_ORDER if n in names),
        *sorted(names - set(OPTIMIZER_ORDER)),
    )
    steps = {
        surface: {name: _steps(trace[surface].get(name)) for name in optimizers}
        for surface in surfaces
    }
    trace_run = run_ref(runs, "trace_optimizers")
    gifs = {gif.stem: gif for gif in (reports / TRAJECTORIES).glob("*.gif")}
    order = [*(s for s in surfaces if s in gifs), *sorted(set(gifs) - set(surfaces))]
    animations = tuple(
        Figure(f"{TRAJECTORIES}/{gifs[s].name}", f"Every optimizer on {s}", trace_run)
        for s in order
    )
    tags = runs["compare_optimizers"].tags if "compare_optimizers" in runs else {}
    return OptimizerSection(
        rows=tuple(rows),
        baseline=tags.get("dlpipe.baseline", "sgd"),
        surfaces=surfaces,
        optimizers=optimizers,
        steps=steps,
        animations=animations,
        run=run_ref(runs, "compare_optimizers"),
        trace_run=trace_run,
    )


def search_section(
    reports: Path, runs: Mapping[str, StageRun], read: _Reader
) -> SearchSection | None:
    details_path, figure_path = SEARCH_FILES
    search = read(details_path).get("search")
    if not isinstance(search, dict) or not search:
        return None
    order = [*(s for s in SEARCH_ORDER if s in search), *sorted(set(search) - set(SEARCH_ORDER))]
    run = run_ref(runs, SEARCH_STAGE)
    rows = tuple(
        SearchRow(
            strategy=name,
            best=_number(search[name].get("best_auc")),
            evaluations=_int(search[name].get("evaluations")),
            best_params=_params_text(search[name].get("best_params")),
        )
        for name in order
        if isinstance(search[name], dict)
    )
    figures = ()
    if (reports / figure_path).is_file():
        figures = (Figure(figure_path, "Best CV ROC AUC so far, per evaluation", run),)
    return SearchSection(metric="mean CV ROC AUC", rows=rows, figures=figures, run=run)


def tuning_families(reports: Path) -> tuple[str, ...]:
    """The tunable families, then any other folder the tuning stages wrote."""
    folder = reports / TUNING
    extra = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return (*TUNABLE, *(name for name in extra if name not in TUNABLE))


def tuning_section(reports: Path, family: str, runs: Mapping[str, StageRun]) -> TuningSection:
    result: TuningResult = read_tuning(reports, family)
    run = next((run_ref(runs, s) for s in tuning_stages(family) if s in runs), None)
    return TuningSection(
        family=family,
        status=result.status,
        headline=result.headline,
        default_val=result.default_val,
        tuned_val=result.tuned_val,
        default_test=result.default_test,
        tuned_test=result.tuned_test,
        gain=result.gain,
        kept_defaults=result.kept_defaults,
        metric=result.metric,
        note=result.note,
        params=result.params,
        figures=tuple(Figure(path, caption, run) for path, caption in result.figures),
        run=run,
    )


def stage_times(runs: Mapping[str, StageRun]) -> tuple[StageTime, ...]:
    """Each stage's latest finished run, in the order they ran."""
    ordered = sorted(runs.values(), key=lambda r: r.start_ms)
    return tuple(StageTime(r.stage, r.seconds, run_ref(runs, r.stage)) for r in ordered)  # type: ignore[arg-type]


def skipped_items(
    families: Sequence[FamilySection], runs: Mapping[str, StageRun], read: _Reader
) -> tuple[SkippedItem, ...]:
    """What did nothing and why: skipped families, stage files that say `skipped`, runs tagged
    `dlpipe.skipped`, optimizers that failed. One line per reason, naming every place."""
    found: dict[str, list[str]] = {}
    for section in families:
        if section.status == "skipped":
            found.setdefault(section.reason, []).append(section.title)
    for spec in FAMILIES:
        for file in spec.skip_files:
            reason = read(f"{spec.folder}/{file}").get("skipped")
            if isinstance(reason, str) and reason:
                found.setdefault(reason, []).append(f"{spec.folder}/{file}")
    for run in sorted(runs.values(), key=lambda r: r.start_ms):
        reason = run.tags.get("dlpipe.skipped")
        if reason:
            found.setdefault(reason, []).append(f"stage {run.stage}")
    for name, row in read(OPTIMIZER_FILES[0]).items():
        if isinstance(row, dict) and row.get("error"):
            found.setdefault(str(row["error"]), []).append(f"optimizer {name}")
    return tuple(SkippedItem(", ".join(dict.fromkeys(w)), r) for r, w in found.items())


class _Reader:
    """JSON files under reports/, each read once; {} when missing or not an object."""

    def __init__(self, reports: Path) -> None:
        self.reports = reports
        self.read: dict[str, dict] = {}

    def __call__(self, relative: str) -> dict:
        if relative not in self.read:
            try:
                data = json.loads((self.reports / relative).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            self.read[relative] = data if isinstance(data, dict) else {}
        return self.read[relative]


def _reader(reports: Path) -> _Reader:
    return _Reader(reports)


def _dotted(data: object, key: str) -> object:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _steps(row: object) -> str:
    if not isinstance(row, dict):
        return ""
    if row.get("status") == "converged" and row.get("steps") is not None:
        return str(row["steps"])
    return str(row.get("status", ""))


def _params_text(params: object) -> str:
    if not isinstance(params, dict):
        return ""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
