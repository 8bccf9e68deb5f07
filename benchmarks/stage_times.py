"""Wall time of each DVC stage with the default params, against the family budgets in the issues.

Forces each stage to rerun alone (`dvc repro --force --single-item STAGE`), so it measures the
stage itself, not its upstream. The plain alternative has nothing to compare with here: the
figure is checked against its budget instead. `tune` and `train_tuned` are `foreach` groups (one
stage per tuned family, timed together). A forced `tune` resumes its studies from the journal
(tuning/optuna.journal), so it times the trials still missing: measure the tuning itself on a
fresh journal (a clone, or the journal moved aside).

`--from-mlflow` forces nothing: it reads the latest `make repro`'s stage runs from MLflow (start
to end of each stage's run, as the comparison report shows them), so one full repro gives every
stage's time and the whole pipeline's span against the 25-minute budget.

Run: .venv/bin/python benchmarks/stage_times.py [STAGE ...] [--from-mlflow] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import yaml

from dlpipe.paths import project_root
from dlpipe.tracking import StageRun, latest_stage_runs
from docs_section import write_section

# Budgets from the issues, per family, in seconds on 2 CPU cores with default params.
FAMILY_BUDGETS = {
    "optimizers": 300.0,
    "stock_lstm": 180.0,
    "recommender": 300.0,
    "faces": 180.0,  # issue 13: the face branch with the embedding model under 3 minutes
    "classifiers": 300.0,
    "generative": 600.0,  # issue 12: the VAE and the GAN together (the judge is apart)
    "tuning": 600.0,  # issue 14: every family's default tuning together under 10 minutes
}
UNTRACKED = ("fetch_mnist", "fetch_stock_prices", "fetch_movielens", "split_faces", "build_report")
PIPELINE_BUDGET = 25 * 60.0  # the whole default `make repro` on 2 CPU cores
STAGE_FAMILY = {
    "fetch_mnist": "optimizers",
    "trace_optimizers": "optimizers",
    "compare_optimizers": "optimizers",
    "fetch_stock_prices": "stock_lstm",
    "train_stock_lstm": "stock_lstm",
    "fetch_movielens": "recommender",
    "train_recommender": "recommender",
    "crawl_face_images": "faces",
    "extract_faces": "faces",
    "split_faces": "faces",
    "embed_faces": "faces",
    "train_face_cnn": "faces",
    "compare_classifiers": "classifiers",
    "study_ann": "classifiers",
    "train_digit_classifier": "judge",
    "train_vae": "generative",
    "train_gan": "generative",
    "tune": "tuning",  # foreach: tune@stock_lstm, tune@faces, ...
    "train_tuned": "tuned retrain",
    "build_report": "report",
}


def time_stage(root: Path, stage: str) -> float:
    dvc = Path(sys.executable).parent / "dvc"
    # Stage commands call `python`: make it this interpreter's environment, as `make` does.
    path = f"{dvc.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "DVC_NO_ANALYTICS": "true", "PATH": path}
    started = time.perf_counter()
    done = subprocess.run(
        [str(dvc), "repro", "--force", "--single-item", stage],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"dvc repro {stage} failed:\n{done.stderr[-2000:]}")
    return seconds


def mlflow_times(root: Path, stages: list[str]) -> tuple[dict[str, float], float]:
    """Each stage's latest run time, and the span from the first start to the last end."""
    runs = latest_stage_runs(root)
    picked: dict[str, StageRun] = {}
    for stage in stages:
        # A foreach group (`tune`) stands for its members (`tune@stock_lstm`, ...).
        members = [name for name in runs if name == stage or name.startswith(f"{stage}@")]
        picked.update({name: runs[name] for name in sorted(members)})
    missing = [s for s in stages if not any(n == s or n.startswith(f"{s}@") for n in picked)]
    if missing:  # stages without an MLflow run (StageSpec tracked=False) or not run yet
        print(f"no finished MLflow run (untracked stages, seconds each): {missing}")
    times = {name: run.seconds or 0.0 for name, run in picked.items()}
    span = (
        max(r.end_ms or r.start_ms for r in picked.values())
        - min(r.start_ms for r in picked.values())
    ) / 1000
    return times, span


def family_of(stage: str) -> str:
    return STAGE_FAMILY.get(stage.split("@")[0], "-")


def report(times: dict[str, float], command: str, span: float | None = None) -> str:
    rows = ["| stage | family | seconds |", "|---|---|---|"]
    rows += [f"| {s} | {family_of(s)} | {t:.1f} |" for s, t in times.items()]
    lines = [*rows, ""]
    for family, budget in FAMILY_BUDGETS.items():
        # From MLflow the untracked stages have no run (seconds each): the rest must be there.
        declared = [
            s
            for s, f in STAGE_FAMILY.items()
            if f == family and not (span is not None and s in UNTRACKED)
        ]
        members = [s for s in times if family_of(s) == family]
        if not all(any(m.split("@")[0] == s for m in members) for s in declared):
            continue  # a partial run says nothing about the family's budget
        total = sum(times[s] for s in members)
        verdict = "within" if total <= budget else "OVER"
        lines.append(f"Family `{family}`: {total:.0f} s of a {budget:.0f} s budget ({verdict}).")
    if span is not None:
        verdict = "within" if span <= PIPELINE_BUDGET else "OVER"
        lines.append(
            f"Whole pipeline (first stage run's start to the last one's end): {span / 60:.1f} min "
            f"of the {PIPELINE_BUDGET / 60:.0f}-minute budget ({verdict}); the untracked fetch "
            "stages and each stage's process start (about 5 s) come on top of the stage rows."
        )
    lines.append(
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
        f"nproc={os.cpu_count()}; command: `{command}`."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", help="default: every stage in dvc.yaml")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--from-mlflow", action="store_true", help="read the latest repro's runs; force nothing"
    )
    args = parser.parse_args()
    root = project_root(Path(__file__).resolve().parent)
    declared = list(yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
    command = "python benchmarks/stage_times.py"
    if args.from_mlflow:
        times, span = mlflow_times(root, args.stages or declared)
        body = report(times, f"{command} --from-mlflow", span)
    else:
        times = {stage: time_stage(root, stage) for stage in args.stages or declared}
        body = report(times, command)
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md", "stage_times", "Stage times with default params", body
        )


if __name__ == "__main__":
    main()
