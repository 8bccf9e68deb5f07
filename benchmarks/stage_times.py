"""Wall time of each DVC stage with the default params, against the family budgets in the issues.

Forces each stage to rerun alone (`dvc repro --force --single-item STAGE`), so it measures the
stage itself, not its upstream. The plain alternative has nothing to compare with here: the
figure is checked against its budget instead. `tune` and `train_tuned` are `foreach` groups (one
stage per tuned family, timed together). A forced `tune` resumes its studies from the journal
(tuning/optuna.journal), so it times the trials still missing: measure the tuning itself on a
fresh journal (a clone, or the journal moved aside).

Run: .venv/bin/python benchmarks/stage_times.py [STAGE ...] [--write-docs]
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


def report(times: dict[str, float]) -> str:
    rows = ["| stage | family | seconds |", "|---|---|---|"]
    rows += [f"| {s} | {STAGE_FAMILY.get(s, '-')} | {t:.1f} |" for s, t in times.items()]
    lines = [*rows, ""]
    for family, budget in FAMILY_BUDGETS.items():
        members = [s for s, f in STAGE_FAMILY.items() if f == family]
        if not all(s in times for s in members):
            continue  # a partial run says nothing about the family's budget
        total = sum(times[s] for s in members)
        verdict = "within" if total <= budget else "OVER"
        lines.append(f"Family `{family}`: {total:.0f} s of a {budget:.0f} s budget ({verdict}).")
    lines.append(
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
        f"nproc={os.cpu_count()}; command: `python benchmarks/stage_times.py`."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", help="default: every stage in dvc.yaml")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    root = project_root(Path(__file__).resolve().parent)
    declared = list(yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
    times = {stage: time_stage(root, stage) for stage in args.stages or declared}
    body = report(times)
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md", "stage_times", "Stage times with default params", body
        )


if __name__ == "__main__":
    main()
