"""The recommender stage at ml-1m's size: time per model, epochs, RMSE, and peak memory.

A synthetic rating set of ml-1m's shape (6,040 users, 3,706 movies, exactly 1,000,209 ratings;
synthetic_ratings.py) is written as ratings.dat + movies.dat into a temporary folder, never into
the repository. A scratch project (the repository's params.yaml with `movielens.source: path`
pointing there, and its dvc.yaml) then runs the real stage scripts as DVC would:
pipeline/fetch_movielens.py, then pipeline/train_recommender.py, each a child process with
`PYTHONPATH=src`. The stage's own MLflow runs (sqlite in the scratch project) give each model's
time; its reports give epochs, validation and test RMSE.

Peak memory: resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after the stage, i.e. the largest
resident set of any finished child (the stage process: it starts no children of its own).

`--compare-epochs N` adds the slow-path check for the one default changed for scale (the sparse AE's
width, 2n capped at `max_hidden`): the sparse AE alone at ml-1m's shape, capped and uncapped
(2n = 12,080), for `--compare-epochs` epochs each, same split, seed and optimizer, so equal
epochs compare honestly; the uncapped one costs minutes per epoch.

Run: PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/recommender_scale.py
     [--users 6040 --movies 3706 --ratings 1000209] [--compare-epochs 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from mlflow.tracking import MlflowClient

from docs_section import write_section
from synthetic_ratings import ML_1M, synthetic_ratings, write_dat

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 20 * 60.0  # issue 15: the whole stage at ml-1m's shape on 2 cores
MEMORY_GB = 6.0  # what the run peaked at


def scratch_project(folder: Path, ratings: Path, overrides: dict[str, Any]) -> Path:
    """The repository's params.yaml (MovieLens from `ratings`) and dvc.yaml in `folder`."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["movielens"].update(source="path", path=str(ratings))
    params["training"]["progress_bar"] = False
    for section, values in overrides.items():
        params[section].update(values)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (folder / "dvc.yaml").write_text((ROOT / "dvc.yaml").read_text(), encoding="utf-8")
    return folder


def run_script(project: Path, name: str, log: Path) -> float:
    """pipeline/<name>.py in `project` as DVC runs it; seconds; its log goes to `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project}/mlruns/mlflow.db"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [sys.executable, str(ROOT / "pipeline" / f"{name}.py")],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}); its log: {log}")
    return time.perf_counter() - started


def per_model(project: Path) -> list[dict[str, Any]]:
    """Seconds (its MLflow child run), epochs, best val RMSE and test RMSE of each model."""
    client = MlflowClient(f"sqlite:///{project}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("recommender")
    runs = client.search_runs([experiment.experiment_id])
    details = json.loads((project / "reports/recommender/details.json").read_text())
    curves = pd.read_csv(project / "reports/recommender/learning_curves.csv")
    rows = []
    for run in sorted(runs, key=lambda r: r.info.start_time):
        if "mlflow.parentRunId" not in run.data.tags:
            continue
        name = run.data.params["model"]
        val = curves[name].dropna()  # validation RMSE per epoch
        seconds = (run.info.end_time - run.info.start_time) / 1000
        epochs = len(val)
        rows.append(
            {
                "model": name,
                "seconds": seconds,
                "s_per_epoch": seconds / max(epochs, 1),
                "epochs": epochs,
                "val_rmse": float(val.min()) if epochs else float("nan"),
                "test_rmse": details[name]["rmse"],
            }
        )
    for name in ("global_mean", "biases", "matrix_factorization"):
        rows.append({"model": name, "test_rmse": details[name]["rmse"]})
    return rows


def run_stage(data: Path, project: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    scratch_project(project, data, overrides)
    fetch_s = run_script(project, "fetch_movielens", project / "fetch.log")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    stage_s = run_script(project, "train_recommender", project / "train.log")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "fetch_s": fetch_s,
        "stage_s": stage_s,
        "load": (load_before, os.getloadavg()[0]),
        "stage_cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "peak_gb": after.ru_maxrss / 1024**2,
        "models": per_model(project),
        "log": (project / "train.log").read_text(encoding="utf-8"),
    }


def one_model(data: Path, name: str, changes: dict[str, Any]) -> dict[str, Any]:
    """One autoencoder of the stage trained alone, exactly as the stage trains it (same split,
    seed, data module and fit), with `changes` to its params.yaml entry; in this process."""
    from dlpipe.config import load_params
    from dlpipe.data.rating_matrix import build_index
    from dlpipe.datasets.movielens import load_ratings
    from dlpipe.stage import configure_logging
    from dlpipe.training.recommender import autoencoder_scores, evaluate, held_out, split_ratings

    configure_logging()
    params = load_params(ROOT / "params.yaml")
    cfg = params.recommender
    run_cfg = cfg.autoencoders[name]
    if "network" in changes:
        changes = {**changes, "network": run_cfg.network.replace(**changes["network"])}
    run_cfg = run_cfg.replace(**changes)
    ratings = load_ratings(data).ratings
    index = build_index(ratings)
    train, test = split_ratings(ratings, cfg, params.seed)
    training = params.training.replace(progress_bar=False)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scores = autoencoder_scores(
            name, run_cfg, train, test, index, cfg, training, params.seed, None, Path(tmp), name
        )
    seconds = time.perf_counter() - started
    curve = scores.history["val/rmse"]
    return {
        "seconds": seconds,
        "s_per_epoch": seconds / max(len(curve), 1),
        "epochs": len(curve),
        "val_curve": list(curve),
        "val_rmse": scores.val_rmse,
        "test_rmse": evaluate(scores.scores, scores.predictions, held_out(train, test, index, cfg))[
            "rmse"
        ],
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def slow_runs(epochs: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(model, label, changes to its params.yaml entry): each default changed for scale, new and
    old. The sparse AE's first `epochs` epochs (the old width costs minutes per epoch); the
    stacked AE to the end (early stopping as in the stage)."""
    sparse = {"max_epochs": epochs}
    old_sparse = {**sparse, "network": {"max_hidden": None}}
    old_stacked = {"batch_size": 4, "optimizer_hyper": {"lr": 0.003, "decay": 0.9, "eps": 1.0e-7}}
    return [
        ("sparse", f"sparse, max_hidden 1024, {epochs} epochs", sparse),
        ("stacked", "stacked, batch 8, lr 0.006, to the end", {}),
        ("stacked", "stacked, batch 4, lr 0.003 (old), to the end", old_stacked),
        ("sparse", f"sparse, 2n (old), {epochs} epochs", old_sparse),
    ]


def slow_path(data: Path, epochs: int, log: Path) -> dict[str, dict[str, Any]]:
    """Each of `slow_runs` alone, in its own child process (so each peak memory is its own)."""
    out = {}
    for name, label, changes in slow_runs(epochs):
        with log.open("a", encoding="utf-8") as sink:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(data), name, json.dumps(changes)],
                env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'benchmarks'}"},
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
                check=False,
            )
        if done.returncode != 0:
            raise SystemExit(f"{label} failed; its log: {log}")
        out[label] = json.loads(done.stdout.strip().splitlines()[-1])
        print(label, json.dumps(out[label]), flush=True)
    return out


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":  # one model, for slow_path
        print(json.dumps(one_model(Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=ML_1M["n_users"])
    parser.add_argument("--movies", type=int, default=ML_1M["n_movies"])
    parser.add_argument("--ratings", type=int, default=ML_1M["n_ratings"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--compare-epochs", type=int, default=0, help="slow-path check (0: off)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recommender-scale-") as tmp:
        work = args.keep or Path(tmp)
        started = time.perf_counter()
        ratings = synthetic_ratings(args.users, args.movies, args.ratings, seed=args.seed)
        data = write_dat(ratings, work / "ml")
        print(
            f"synthetic set: {len(ratings)} ratings, {ratings.user.nunique()} users x "
            f"{ratings.item.nunique()} movies, min per user "
            f"{ratings.groupby('user').size().min()} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        result = run_stage(data, work / "project", {})
        print(render(result, args), flush=True)
        if args.compare_epochs:
            fetched = work / "project" / "data" / "raw" / "movielens"
            result["slow_path"] = slow_path(fetched, args.compare_epochs, work / "compare.log")
    report = render(result, args)
    print(report)
    if args.write_docs:
        write_section(
            ROOT / "docs" / "benchmarks.md",
            "recommender-scale",
            "The recommender at ml-1m size",
            report,
        )


def render(result: dict[str, Any], args: argparse.Namespace) -> str:
    """The markdown table and the verdicts."""
    lines = [
        f"Measured {datetime.date.today()} on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"`PYTHONPATH=src:benchmarks python benchmarks/recommender_scale.py"
        f"{f' --compare-epochs {args.compare_epochs}' if args.compare_epochs else ''}`: synthetic "
        f"{args.ratings:,} ratings, {args.users:,} users x {args.movies:,} movies, seed "
        f"{args.seed}, default params.yaml.",
        "",
        "| model | seconds | s/epoch | epochs | val RMSE | test RMSE |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in result["models"]:
        if "seconds" in row:
            lines.append(
                f"| {row['model']} | {row['seconds']:.0f} | {row['s_per_epoch']:.2f} | "
                f"{row['epochs']} | {row['val_rmse']:.4f} | {row['test_rmse']:.4f} |"
            )
        else:
            lines.append(f"| {row['model']} (baseline) | | | | | {row['test_rmse']:.4f} |")
    stage = result["stage_s"]
    lines += [
        "",
        f"Whole stage (train_recommender, every model, evaluation, outputs): {stage / 60:.1f} "
        f"min (budget {BUDGET_S / 60:.0f}: {'met' if stage <= BUDGET_S else 'NOT met'}); "
        f"CPU time {result['stage_cpu_s'] / 60:.1f} min (wall time stretches when other "
        f"processes share the 2 cores; the stage uses one thread, `training.cpu_threads`); "
        f"fetch_movielens {result['fetch_s']:.0f} s. Peak RSS {result['peak_gb']:.2f} GB "
        f"(the issue's run: {MEMORY_GB} GB). Load average before/after the stage: "
        f"{result['load'][0]:.1f} / {result['load'][1]:.1f}.",
    ]
    if "slow_path" in result:
        lines += [
            "",
            "Slow-path check: each autoencoder whose default changed for scale, alone (the "
            "stage's split, seed, data module and fit), new default vs old; each in its own "
            "process:",
            "",
            "| run | s/epoch | epochs | peak RSS GB | best val RMSE | test RMSE | val RMSE per "
            "epoch (first 5) |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for label, row in result["slow_path"].items():
            curve = ", ".join(f"{v:.4f}" for v in row["val_curve"][:5])
            lines.append(
                f"| {label} | {row['s_per_epoch']:.1f} | {row['epochs']} | {row['peak_gb']:.2f} "
                f"| {row['val_rmse']:.4f} | {row['test_rmse']:.4f} | {curve} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
