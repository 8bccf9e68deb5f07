"""What the comparison report shows, as plain values: families/report fills these in from the
metrics files, the tuning outputs and the MLflow runs; comparison_report renders them.

Paths of figures are relative to the report's folder (reports/), so the page finds its images
beside it and works offline, from a copy of reports/ or from a CI artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MLFLOW_UI = "http://127.0.0.1:5000"  # `make ui`'s default address


@dataclass(frozen=True)
class RunRef:
    """An MLflow run a reader can open in `make ui` at `url_path`."""

    stage: str
    run_id: str
    experiment_id: str
    seconds: float | None = None
    skipped: str | None = None

    @property
    def url_path(self) -> str:
        return f"#/experiments/{self.experiment_id}/runs/{self.run_id}"

    @property
    def url(self) -> str:
        return f"{MLFLOW_UI}/{self.url_path}"


@dataclass(frozen=True)
class Figure:
    path: str  # relative to reports/
    caption: str
    run: RunRef | None = None
    wide: bool = False  # a strip or several panels: given more room


@dataclass(frozen=True)
class MetricRow:
    """One metric of the chosen model beside its baseline on the same split."""

    metric: str
    model: float | None
    baseline: float | None
    better: str  # "higher" or "lower"

    @property
    def ahead(self) -> bool | None:
        """Whether the model's figure is on the better side (None when one is missing)."""
        if self.model is None or self.baseline is None or self.model == self.baseline:
            return None
        return (self.model > self.baseline) == (self.better == "higher")


@dataclass(frozen=True)
class AnchorRow:
    """A published result beside ours, with what makes them comparable or not."""

    name: str
    metric: str
    published: float | None
    ours: float | None
    ours_label: str
    source: str
    same_metric: bool
    same_data: bool
    note: str = ""

    @property
    def comparable(self) -> bool:
        return self.same_metric and self.same_data


@dataclass(frozen=True)
class FamilySection:
    """A family's chosen model against its baseline and the published anchors."""

    key: str
    title: str
    status: str  # "ok", "skipped" or "missing"
    model: str
    baseline: str
    split: str
    split_text: str
    test: str
    rows: tuple[MetricRow, ...] = ()
    p_value: float | None = None
    verdict: int | None = None
    verdict_words: str = ""
    anchors: tuple[AnchorRow, ...] = ()
    figures: tuple[Figure, ...] = ()
    missing_figures: tuple[str, ...] = ()
    run: RunRef | None = None
    reason: str = ""  # why it was skipped or is missing


@dataclass(frozen=True)
class OptimizerRow:
    name: str
    val_accuracy: float | None
    test_accuracy: float | None
    test_loss: float | None
    error: str | None


@dataclass(frozen=True)
class OptimizerSection:
    """The optimizer comparison: MNIST table, steps on the 2-D surfaces and the animations."""

    rows: tuple[OptimizerRow, ...]
    baseline: str
    surfaces: tuple[str, ...]
    optimizers: tuple[str, ...]
    steps: dict[str, dict[str, str]]  # surface -> optimizer -> steps or "did not converge"
    animations: tuple[Figure, ...]
    run: RunRef | None
    trace_run: RunRef | None


@dataclass(frozen=True)
class SearchRow:
    strategy: str
    best: float | None
    evaluations: int | None
    best_params: str


@dataclass(frozen=True)
class SearchSection:
    """Manual, grid, random and TPE search at equal budget (the evaluation family)."""

    metric: str
    rows: tuple[SearchRow, ...]
    figures: tuple[Figure, ...]
    run: RunRef | None


@dataclass(frozen=True)
class TuningSection:
    """One family's Optuna study and tuned retrain, or why there is none yet."""

    family: str
    status: str  # "tuned", "defaults kept", "study only" or "not tuned yet"
    headline: tuple[tuple[str, float], ...] = ()
    default_val: float | None = None
    tuned_val: float | None = None
    default_test: float | None = None
    tuned_test: float | None = None
    gain: float | None = None
    kept_defaults: bool | None = None
    metric: str = ""
    note: str = ""
    params: str = ""
    figures: tuple[Figure, ...] = ()
    run: RunRef | None = None


@dataclass(frozen=True)
class StageTime:
    stage: str
    seconds: float | None
    run: RunRef


@dataclass(frozen=True)
class SkippedItem:
    what: str
    reason: str


@dataclass(frozen=True)
class Report:
    families: tuple[FamilySection, ...]
    optimizers: OptimizerSection | None
    search: SearchSection | None
    tuning: tuple[TuningSection, ...]
    stage_times: tuple[StageTime, ...]
    skipped: tuple[SkippedItem, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds or 0.0 for t in self.stage_times)
