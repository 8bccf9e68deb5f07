"""DVC stage train_face_cnn: the CNN and the Eigenfaces + SVM baseline on the same split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dlpipe import paths
from dlpipe.atomic import atomic_dir, write_json, write_text
from dlpipe.config import as_plain, load_params
from dlpipe.datasets.face_crops import accepted_items, load_split_arrays, read_manifest
from dlpipe.evaluation.eigenfaces import eigenface_images
from dlpipe.models.face_data import FaceSplits
from dlpipe.models.face_model_io import save_face_model
from dlpipe.reporting.confusion_plot import plot_confusion
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.face_report import face_markdown, skipped_markdown
from dlpipe.reporting.face_sheets import write_png
from dlpipe.reporting.face_summaries import numeric_leaves, skipped_metrics
from dlpipe.reporting.tables import wide_csv
from dlpipe.tracking import start_run
from dlpipe.training.face_comparison import compare_face_models, comparison_metrics
from dlpipe.vision.sheets import contact_sheet

FAMILY = "faces"
STAGE = "train_face_cnn"
REPORT_FILES = ("metrics.json", "report.md", "confusion_cnn.png", "confusion_eigenfaces.png")


def main() -> None:
    params = load_params()
    root = paths.project_root()
    reports = paths.reports_dir(root) / "faces"
    crops = paths.data_interim(root) / "faces"
    items = accepted_items(crops, read_manifest(paths.data_raw(root) / "faces"))
    table = pd.read_csv(paths.data_processed(root) / "faces" / "splits.csv", dtype=str)
    assignment = dict(zip(table["key"], table["split"], strict=True))
    tracked = {
        "seed": params.seed,
        "training": as_plain(params.training),
        "face_cnn": as_plain(params.face_cnn),
        "eigenfaces": as_plain(params.eigenfaces),
    }
    with (
        start_run(root, FAMILY, STAGE, tracked) as run,
        atomic_dir(paths.models_dir(root) / "face_cnn") as out,
    ):
        x, y, classes = load_split_arrays(crops, assignment, items)
        if len(classes) < 2 or any(len(y[s]) == 0 for s in y):
            reason = f"no images: {len(classes)} people with faces, splits {[len(y[s]) for s in y]}"
            write_skipped(reason, reports, out)
            run.set_tags({"dlpipe.skipped": reason})
            print(f"skipped: {reason}")
            return
        data = FaceSplits(x=x, y=y, classes=classes)
        result = compare_face_models(
            data,
            params.face_cnn,
            params.eigenfaces,
            params.training,
            params.seed,
            run,
            out / "checkpoints",
        )
        save_face_model(
            out / "model.pt",
            result.cnn.network,
            classes,
            params.face_cnn,
            in_channels=1 if x["train"].ndim == 3 else 3,
            size=x["train"].shape[1],
            extract=as_plain(params.face_extract),
        )
        metrics = comparison_metrics(result)
        run.log_metrics(numeric_leaves(metrics))
        counts = {s: len(y[s]) for s in ("train", "val", "test")}
        description = (
            f"{len(classes)} people; face crops {x['train'].shape[1]}x{x['train'].shape[2]} "
            f"({'grey' if x['train'].ndim == 3 else 'RGB'}); photos per split {counts} "
            f"({params.face_split.source} split). Both models learn from the same training "
            "crops; the CNN's epoch and the SVM's C/gamma are chosen without the test split."
        )
        write_outputs(result, metrics, classes, description, reports)
        for name in REPORT_FILES:
            run.log_artifact(reports / name, "report")
        run.log_artifact(out / "model.pt", "model")


def write_outputs(result, metrics, classes, description: str, reports: Path) -> None:
    write_json(reports / "metrics.json", metrics)
    for model in ("cnn", "eigenfaces"):
        plot_confusion(
            np.asarray(result.scores[model]["test"]["confusion"]),
            classes,
            reports / f"confusion_{model}.png",
            f"{model}: test split (rows: true person)",
        )
    history = result.cnn.history
    write_text(
        reports / "learning_curves.csv",
        wide_csv("epoch", {k.replace("/", "_"): v for k, v in history.items()}, start=1),
    )
    plot_curves(
        {"cnn": history},
        ("train/loss", "val/loss"),
        reports / "learning_curves.png",
        "Face CNN training (cross-entropy)",
    )
    faces = eigenface_images(result.eigenfaces.model, min(16, result.eigenfaces.n_components))
    tiles = [_to_uint8(face) for face in faces]
    write_png(
        reports / "eigenfaces.png",
        contact_sheet(tiles, [f"#{i + 1}" for i in range(len(tiles))], 8),
    )
    write_text(reports / "report.md", face_markdown(metrics, result.scores, classes, description))


def write_skipped(reason: str, reports: Path, out: Path) -> None:
    """Every declared output exists, and each says why there is nothing in it."""
    write_json(reports / "metrics.json", skipped_metrics(reason))
    write_text(reports / "report.md", skipped_markdown(reason))
    write_text(reports / "learning_curves.csv", "epoch,train_loss,val_loss\n")
    blank = contact_sheet([], [], 1)
    for name in (
        "confusion_cnn.png",
        "confusion_eigenfaces.png",
        "learning_curves.png",
        "eigenfaces.png",
    ):
        write_png(reports / name, blank)
    write_text(out / "SKIPPED.txt", reason + "\n")


def _to_uint8(image: np.ndarray) -> np.ndarray:
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return (255 * scaled).astype(np.uint8)


if __name__ == "__main__":
    main()
