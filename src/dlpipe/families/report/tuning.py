"""Reading the tuning stages' outputs (reports/tuning/<family>/) for the comparison report.

The only place that knows their file and key names, so they are adjusted here alone:
- `metrics.json` (tune@<family>): the study's headline numbers (HEADLINE and PREFIXES below:
  `defaults/val/<metric>`, `tuned/val/<metric>`, `trials/*`, `pruning/epochs_not_run`);
- `details.json` (tune@<family>): `pruning.seconds_saved`, the time pruning saved (a timing,
  so it stays out of the reproducible headline);
- `tuned.json` (train_tuned@<family>): defaults against tuned settings on the validation and
  the test split at the family's full settings (`{"defaults": {"val", "test"}, "tuned": {...},
  "gain": {...}, "kept": "tuned" | "defaults", "metric", "direction", "reason",
  "tuned_params"}`; TUNED below);
- `*.png`: optimisation history, parameter importances, slices.
Read defensively: a missing folder is "not tuned yet", a missing tuned.json is "study only", a
key that is not there is left out; unknown numeric keys of metrics.json are still shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TUNING = "tuning"  # under reports/

# Label -> the keys it may have in metrics.json (the first one present wins).
HEADLINE: dict[str, tuple[str, ...]] = {
    "trials complete": ("trials/complete", "trials/completed"),
    "trials pruned": ("trials/pruned",),
    "trials failed": ("trials/failed",),
    "epochs not run (pruned trials)": ("pruning/epochs_not_run",),
    "seconds saved by pruning": ("pruning/seconds_saved", "seconds_saved"),
    "gain of the best trial on val": ("gain/val",),
    "best trial better than the defaults (1/0)": ("tuned_better",),
}
# Key prefix in metrics.json -> label (the rest of the key names the metric).
PREFIXES = {"defaults/val/": "defaults (a study trial), val", "tuned/val/": "best trial, val"}
# Field of TuningResult -> the keys it may have in tuned.json (`a/b`: flat, or nested a -> b).
TUNED: dict[str, tuple[str, ...]] = {
    "default_val": ("defaults/val", "default/val", "val/default"),
    "tuned_val": ("tuned/val", "val/tuned"),
    "default_test": ("defaults/test", "default/test", "test/default"),
    "tuned_test": ("tuned/test", "test/tuned"),
    "gain": ("gain/test", "gain"),
    "kept": ("kept", "kept_defaults"),
    "metric": ("metric", "objective"),
    "direction": ("direction",),
    "note": ("reason", "note"),
    "params": ("tuned_params", "best_params"),
}
FIGURE_CAPTIONS = {
    "history": "Optimisation history",
    "importance": "Parameter importances",
    "slice": "Slice plot",
}


@dataclass(frozen=True)
class TuningResult:
    family: str
    status: str  # "tuned", "defaults kept", "study only" or "not tuned yet"
    headline: tuple[tuple[str, float], ...] = ()
    default_val: float | None = None
    tuned_val: float | None = None
    default_test: float | None = None
    tuned_test: float | None = None
    gain: float | None = None
    kept_defaults: bool | None = None
    metric: str = ""  # with the direction: "rmse (lower is better)"
    note: str = ""
    params: str = ""  # the tuned settings, `key=value, ...`
    figures: tuple[tuple[str, str], ...] = ()  # (path relative to reports/, caption)


def tuning_stages(family: str) -> tuple[str, ...]:
    """The DVC stage names whose MLflow run holds the study (foreach names, then plain)."""
    return (f"tune@{family}", f"tune_{family}")


def tuning_inputs(family: str) -> tuple[str, ...]:
    """What the report reads for `family`: its tuning folder (relative to reports/)."""
    return (f"{TUNING}/{family}",)


def read_tuning(reports: Path, family: str) -> TuningResult:
    folder = reports / TUNING / family
    if not folder.is_dir():
        return TuningResult(family=family, status="not tuned yet")
    metrics = _json(folder / "metrics.json")
    tuned = _json(folder / "tuned.json")
    headline = _headline({**metrics, **_pruning_time(_json(folder / "details.json"))})
    figures = tuple(
        (f"{TUNING}/{family}/{png.name}", _caption(png.stem))
        for png in sorted(folder.glob("*.png"))
    )
    if not tuned:
        status = "study only" if metrics else "not tuned yet"
        return TuningResult(family=family, status=status, headline=headline, figures=figures)
    values = {field: _first(tuned, keys) for field, keys in TUNED.items()}
    kept_defaults = _kept_defaults(values["kept"])
    return TuningResult(
        family=family,
        status="defaults kept" if kept_defaults else "tuned",
        headline=headline,
        default_val=_number(values["default_val"]),
        tuned_val=_number(values["tuned_val"]),
        default_test=_number(values["default_test"]),
        tuned_test=_number(values["tuned_test"]),
        gain=_number(values["gain"]),
        kept_defaults=kept_defaults,
        metric=_metric(values["metric"], values["direction"]),
        note=values["note"] if isinstance(values["note"], str) else "",
        params=_params(values["params"]),
        figures=figures,
    )


def _headline(metrics: Mapping[str, object]) -> tuple[tuple[str, float], ...]:
    rows: list[tuple[str, float]] = []
    used: set[str] = set()
    for prefix, label in PREFIXES.items():
        for key in sorted(k for k in metrics if k.startswith(prefix)):
            if _number(metrics[key]) is not None:
                rows.append((f"{label} ({key.removeprefix(prefix)})", float(metrics[key])))  # type: ignore[arg-type]
                used.add(key)
    for label, keys in HEADLINE.items():
        key = next((k for k in keys if _number(metrics.get(k)) is not None), None)
        if key is not None:
            rows.append((label, float(metrics[key])))  # type: ignore[arg-type]
            used.add(key)
    rows += [
        (key, float(value))  # type: ignore[arg-type]
        for key, value in sorted(metrics.items())
        if key not in used and _number(value) is not None
    ]
    return tuple(rows)


def _pruning_time(details: Mapping[str, object]) -> dict[str, object]:
    """details.json's `pruning.seconds_saved` as the headline key the table shows."""
    pruning = details.get("pruning")
    if isinstance(pruning, Mapping) and "seconds_saved" in pruning:
        return {"pruning/seconds_saved": pruning["seconds_saved"]}
    return {}


def _first(data: Mapping[str, object], keys: tuple[str, ...]) -> object:
    """The first key present, flat (`default/val`) or nested (`{"default": {"val": ...}}`)."""
    for key in keys:
        if key in data:
            return data[key]
        value: object = data
        for part in key.split("/"):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            return value
    return None


def _kept_defaults(kept: object) -> bool | None:
    """`"defaults"`/`"tuned"` (what was kept) or a true/false "defaults kept" flag."""
    if isinstance(kept, str):
        return kept == "defaults"
    return None if kept is None else bool(kept)


def _metric(metric: object, direction: object) -> str:
    if not isinstance(metric, str):
        return ""
    better = {"maximize": "higher", "minimize": "lower"}.get(str(direction))
    return f"{metric} ({better} is better)" if better else metric


def _params(params: object) -> str:
    if not isinstance(params, Mapping):
        return ""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _caption(stem: str) -> str:
    kind = next((c for k, c in FIGURE_CAPTIONS.items() if k in stem), None)
    return kind or stem.replace("_", " ")


def _json(path: Path) -> dict[str, object]:
    """The file's mapping, or {} when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
