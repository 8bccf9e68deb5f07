"""Everything the face training stage leaves in reports/faces: metrics, page, figures, curves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dlpipe.atomic import write_json, write_text
from dlpipe.data.face_data import FaceSplits
from dlpipe.evaluation.eigenfaces import eigenface_images
from dlpipe.reporting.confusion_plot import plot_confusion
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.face_report import face_markdown, skipped_markdown
from dlpipe.reporting.face_sheets import write_png
from dlpipe.reporting.face_summaries import skipped_metrics
from dlpipe.reporting.tables import wide_csv
from dlpipe.training.face_comparison import MODELS, FaceComparison
from dlpipe.vision.sheets import contact_sheet

REPORT_FILES = ("metrics.json", "report.md", "confusion_cnn.png", "confusion_eigenfaces.png")
FIGURES = ("confusion_cnn.png", "confusion_eigenfaces.png", "learning_curves.png", "eigenfaces.png")
EIGENFACES_SHOWN = 16


def describe_data(data: FaceSplits, split_source: str) -> str:
    """The page's first paragraph: who, what crops, how many photos per split."""
    images = data.x["train"]
    counts = {split: len(labels) for split, labels in data.y.items()}
    colour = "grey" if images.ndim == 3 else "RGB"
    return (
        f"{len(data.classes)} people; face crops {images.shape[1]}x{images.shape[2]} ({colour}); "
        f"photos per split {counts} ({split_source} split). Both models learn from the same "
        "training crops; the CNN's epoch and the SVM's C/gamma are chosen without the test split."
    )


def write_face_outputs(
    result: FaceComparison,
    metrics: Mapping[str, object],
    classes: tuple[str, ...],
    description: str,
    reports: Path,
) -> None:
    write_json(reports / "metrics.json", dict(metrics))
    for model in MODELS:
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
    shown = min(EIGENFACES_SHOWN, result.eigenfaces.n_components)
    tiles = [_to_uint8(face) for face in eigenface_images(result.eigenfaces.model, shown)]
    labels = [f"#{i + 1}" for i in range(len(tiles))]
    write_png(reports / "eigenfaces.png", contact_sheet(tiles, labels, 8))
    write_text(reports / "report.md", face_markdown(metrics, result.scores, classes, description))


def write_skipped_outputs(reason: str, reports: Path, models: Path) -> None:
    """Every declared output exists, and each says why there is nothing in it."""
    write_json(reports / "metrics.json", skipped_metrics(reason))
    write_text(reports / "report.md", skipped_markdown(reason))
    write_text(reports / "learning_curves.csv", "epoch,train_loss,val_loss\n")
    blank = contact_sheet([], [], 1)
    for name in FIGURES:
        write_png(reports / name, blank)
    write_text(models / "SKIPPED.txt", reason + "\n")


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """An eigenface (any sign and scale) stretched to 0..255 for display."""
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return (255 * scaled).astype(np.uint8)
