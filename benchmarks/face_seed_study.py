"""How much the face verdict depends on the split: CNN vs Eigenfaces + SVM over several seeds.

With about 21 test photos one photo is ~5 points of accuracy, so one split's verdict is weak
evidence. This reruns the train_face_cnn comparison (same library calls, default params) on the
pipeline's crops with the seed changed (it drives both the person-stratified split and the
training), and reports each seed and the mean.

Run after `dvc repro extract_faces`:
.venv/bin/python benchmarks/face_seed_study.py [--seeds 42 43 44 45 46 47] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

from dlpipe import paths
from dlpipe.config import load_params
from dlpipe.data.face_data import FaceSplits
from dlpipe.datasets.face_crops import accepted_items, load_split_arrays, read_manifest
from dlpipe.datasets.face_splits import split_rows, stratified_splits
from dlpipe.training.face_comparison import compare_face_models, comparison_metrics
from docs_section import write_section


def one_seed(root: Path, seed: int) -> dict[str, float]:
    """Test accuracy and macro F1 of both models, and McNemar's p, for one seed."""
    params = load_params(root / "params.yaml")
    crops = paths.data_interim(root) / "faces"
    items = accepted_items(crops, read_manifest(paths.data_raw(root) / "faces"))
    cfg = params.face_split
    plan = stratified_splits(items, cfg.val_fraction, cfg.test_fraction, seed)
    x, y, classes = load_split_arrays(crops, pd.DataFrame(split_rows(items, plan)))
    training = params.training.replace(progress_bar=False)
    with tempfile.TemporaryDirectory() as checkpoints:
        result = compare_face_models(
            FaceSplits(x=x, y=y, classes=classes),
            params.face_cnn,
            params.eigenfaces,
            training,
            seed,
            None,
            Path(checkpoints),
        )
    metrics = comparison_metrics(result)
    return {
        "cnn accuracy": metrics["cnn"]["test"]["accuracy"],
        "eigenfaces accuracy": metrics["eigenfaces"]["test"]["accuracy"],
        "cnn macro F1": metrics["cnn"]["test"]["macro_f1"],
        "eigenfaces macro F1": metrics["eigenfaces"]["test"]["macro_f1"],
        "McNemar p": metrics["mcnemar_test"]["p_value"],
        "cnn ahead": float(_ahead(metrics["cnn"]["test"], metrics["eigenfaces"]["test"])),
    }


def _ahead(cnn: dict, base: dict) -> bool:
    """Accuracy first, macro F1 on a tie: the order the face page uses."""
    return (cnn["accuracy"], cnn["macro_f1"]) > (base["accuracy"], base["macro_f1"])


def table(rows: dict[int, dict[str, float]]) -> str:
    columns = list(next(iter(rows.values())))
    lines = ["| seed | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for seed, row in rows.items():
        cells = ["yes" if c == "cnn ahead" and row[c] else "no" if c == "cnn ahead" else
                 f"{row[c]:.3f}" for c in columns]  # fmt: skip
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    # A mean of p-values means nothing: that cell stays empty.
    means = [
        "-" if c == "McNemar p" else f"{statistics.fmean(r[c] for r in rows.values()):.3f}"
        for c in columns[:-1]
    ]
    ahead = sum(int(r["cnn ahead"]) for r in rows.values())
    lines.append("| mean | " + " | ".join(means) + f" | {ahead} of {len(rows)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44, 45, 46, 47])
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    root = paths.project_root(Path(__file__).resolve().parent)
    if not (paths.data_interim(root) / "faces").is_dir():
        sys.exit("no face crops: run `dvc repro extract_faces` first")
    rows = {seed: one_seed(root, seed) for seed in args.seeds}
    body = (
        f"{table(rows)}\n\n"
        "Test split of each seed (person-stratified, default params; `cnn ahead`: accuracy, then "
        "macro F1 on ties, as in the report).\n"
        f"Measured {datetime.date.today()}; command: `python benchmarks/face_seed_study.py`."
    )
    print(body)
    if args.write_docs:
        write_section(
            root / "docs" / "benchmarks.md",
            "face_seed_study",
            "Face CNN vs Eigenfaces + SVM over seeds (not speed: how firm the verdict is)",
            body,
        )


if __name__ == "__main__":
    main()
