"""A small reports/ tree and MLflow store for the comparison report's tests.

Families in every state the report must handle: shown (optimizers, stocks, classifiers with its
search study), skipped (faces: no gallery), missing (the rest), tuned (stock_lstm) and tuned
only as a study (faces). Real PNG and GIF files, real MLflow runs made through tracking.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PIL import Image

from dlpipe.tracking import start_run

NO_GALLERY = "no images: no gallery configured (face_crawl.gallery is empty)"


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def write_image(path: Path, colour: str = "steelblue", frames: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.new("RGB", (40, 30), colour) for _ in range(frames)]
    if path.suffix == ".gif":
        images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0)
    else:
        images[0].save(path)


def make_reports(root: Path) -> Path:
    """The fixture tree under root/reports; returns that folder."""
    reports = root / "reports"
    write_json(
        reports / "optimizers/metrics.json",
        {
            "test/accuracy": 0.97,
            "test/loss": 0.08,
            "baseline/accuracy": 0.95,
            "baseline/loss": 0.17,
            "p_value": 1e-5,
            "verdict": 1,
        },
    )
    write_json(
        reports / "optimizers/comparison.json",
        {
            "sgd": {"val/accuracy": 0.95, "test/accuracy": 0.95, "test/loss": 0.17, "error": None},
            "adam": {"val/accuracy": 0.97, "test/accuracy": 0.97, "test/loss": 0.08, "error": None},
            "rmsprop": {"error": "diverged: loss is nan at epoch 1"},
        },
    )
    write_json(
        reports / "optimizers/trace.json",
        {
            "beale": {
                "sgd": {"status": "did not converge", "steps": None},
                "adam": {"status": "converged", "steps": 453},
            }
        },
    )
    write_image(reports / "optimizers/loss_curves.png")
    write_image(reports / "optimizers/trajectories/beale.gif", "orange", frames=3)
    write_json(
        reports / "stocks/metrics.json",
        {
            "test/rmse": 19.93,
            "test/mae": 12.93,
            "baseline/rmse": 19.96,
            "baseline/mae": 12.98,
            "p_value": 0.48,
            "verdict": 0,
        },
    )
    write_json(reports / "stocks/details.json", {"verdict": "no significant difference"})
    write_image(reports / "stocks/forecast.png")  # errors.png is left out: named as not drawn
    write_json(reports / "faces/metrics.json", {"skipped": 1})
    for name in ("details.json", "crawl.json", "extract.json"):
        write_json(reports / "faces" / name, {"skipped": NO_GALLERY})
    write_json(
        reports / "classifiers/metrics.json",
        {
            "cv/roc_auc": 0.9926,
            "baseline/roc_auc": 0.9958,
            "cv/accuracy": 0.976,
            "baseline/accuracy": 0.9748,
            "p_value": 0.23,
            "verdict": -1,
        },
    )
    write_json(
        reports / "classifiers/details.json",
        {"baseline": "svm_rbf", "models": {"svm_rbf": {"mean": {"roc_auc": 0.9958}}}},
    )
    write_image(reports / "classifiers/roc.png")
    write_json(
        reports / "classifiers/study/details.json",
        {
            "search": {
                "tpe": {"best_auc": 0.9957, "evaluations": 8, "best_params": {"lr": 0.00668}},
                "manual": {"best_auc": 0.996, "evaluations": 8, "best_params": {"lr": 0.003}},
            }
        },
    )
    write_image(reports / "classifiers/study/search.png")
    write_json(  # the tuning stages' format (issue 14, part A)
        reports / "tuning/stock_lstm/metrics.json",
        {
            "defaults/val/rmse": 15.64,
            "tuned/val/rmse": 15.47,
            "gain/val": 0.17,
            "trials/complete": 5,
            "trials/pruned": 7,
            "trials/failed": 0,
            "pruning/epochs_not_run": 42.0,
            "tuned_better": 1,
        },
    )
    write_json(  # the time pruning saved is a timing: details.json, not the headline
        reports / "tuning/stock_lstm/details.json", {"pruning": {"seconds_saved": 11.1}}
    )
    write_json(
        reports / "tuning/stock_lstm/tuned.json",
        {
            "defaults": {"test": 19.93, "val": 15.64},
            "tuned": {"test": 19.97, "val": 15.47},
            "gain": {"test": -0.04, "val": 0.17},
            "direction": "minimize",
            "kept": "tuned",
            "metric": "rmse",
            "reason": "the tuned params beat the defaults on validation at full settings",
            "tuned_params": {"stock_lstm.window": 30, "stock_lstm.dropout": 0.0377},
        },
    )
    write_image(reports / "tuning/stock_lstm/history.png")
    write_json(
        reports / "tuning/faces/metrics.json", {"defaults/val/acc": 0.6, "trials/complete": 4}
    )
    return reports


def make_runs(root: Path) -> dict[str, str]:
    """Real MLflow runs in root/mlruns; returns the run id the report must show, by stage."""
    shown: dict[str, str] = {}
    with start_run(root, "optimizers", "compare_optimizers", {}) as old:
        pass  # an older run of the same stage: the report shows the latest
    time.sleep(0.01)
    with start_run(root, "optimizers", "compare_optimizers", {}) as run:
        run.set_tags({"dlpipe.best_model": "adam", "dlpipe.baseline": "sgd"})
        with start_run(root, "optimizers", "compare_optimizers", {}, "adam", parent=run):
            time.sleep(0.01)  # a child run: not the stage's run
        shown["compare_optimizers"] = run.run_id
    with start_run(root, "optimizers", "trace_optimizers", {}) as run:
        shown["trace_optimizers"] = run.run_id
    time.sleep(0.01)
    with start_run(root, "stock_lstm", "train_stock_lstm", {}) as run:
        shown["train_stock_lstm"] = run.run_id
    time.sleep(0.01)
    try:
        with start_run(root, "stock_lstm", "train_stock_lstm", {}):
            raise RuntimeError("a failed run is not the stage's latest finished run")
    except RuntimeError:
        pass
    with start_run(root, "faces", "crawl_face_images", {}) as run:
        run.set_tags({"dlpipe.skipped": NO_GALLERY})
        shown["crawl_face_images"] = run.run_id
    with start_run(root, "classifiers", "compare_classifiers", {}) as run:
        shown["compare_classifiers"] = run.run_id
    with start_run(root, "stock_lstm", "tune@stock_lstm", {}) as run:
        shown["tune@stock_lstm"] = run.run_id
    assert old.run_id not in shown.values()
    return shown
