"""Everything the face training stage leaves in reports/faces: metrics, page, figures, curves."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from dlpipe.atomic import write_json, write_text
from dlpipe.reporting.confusion_plot import plot_confusion
from dlpipe.reporting.curves import plot_curves
from dlpipe.reporting.embedding_map import plot_embedding_map
from dlpipe.reporting.face_report import face_markdown, skipped_markdown
from dlpipe.reporting.face_sheets import write_png
from dlpipe.reporting.face_summaries import skipped_metrics
from dlpipe.reporting.tables import wide_csv
from dlpipe.vision.sheets import contact_sheet

FIGURES = (
    "confusion_embedding.png",
    "confusion_cnn.png",
    "confusion_eigenfaces.png",
    "learning_curves.png",
    "eigenfaces.png",
    "embedding_map.png",
)
OUTPUTS = ("details.json", "report.md", "learning_curves.csv", "test_predictions.csv", *FIGURES)
EIGENFACES_SHOWN = 16


def describe_data(
    classes: Sequence[str], crop_shape: Sequence[int], counts: Mapping[str, int], split_source: str
) -> str:
    """The page's first paragraph: who, what crops, how many photos per split."""
    colour = "grey" if len(crop_shape) == 2 else "RGB"
    return (
        f"{len(classes)} people; face crops {crop_shape[0]}x{crop_shape[1]} ({colour}); "
        f"photos per split {dict(counts)} ({split_source} split). The three models learn from the "
        "same training photos; the CNN's epoch, the Eigenfaces SVM's C/gamma and the embedding "
        "classifier's C are chosen without the test split."
    )


def write_face_outputs(
    metrics: Mapping[str, object],
    scores: Mapping[str, Mapping[str, dict]],
    history: Mapping[str, Sequence[float]],
    eigenfaces: Sequence[np.ndarray],
    classes: tuple[str, ...],
    description: str,
    test_predictions: Mapping[str, Sequence[int]],
    test_labels: Sequence[int],
    targets: Mapping[str, Path],
    test_map: np.ndarray,
) -> None:
    """`scores`: model -> split -> classification report; `test_predictions`: model -> class
    index per test photo (for DVC's confusion template); `targets`: each of OUTPUTS -> path;
    `test_map`: the test faces' embeddings in 2-D (N x 2, test order)."""
    write_json(targets["details.json"], dict(metrics))
    table = {"actual": [classes[i] for i in test_labels]}
    table |= {model: [classes[i] for i in labels] for model, labels in test_predictions.items()}
    write_text(targets["test_predictions.csv"], _csv(table))
    for model, by_split in scores.items():
        plot_confusion(
            np.asarray(by_split["test"]["confusion"]),
            classes,
            targets[f"confusion_{model}.png"],
            f"{model}: test split (rows: true person)",
        )
    write_text(
        targets["learning_curves.csv"],
        wide_csv("epoch", {k.replace("/", "_"): v for k, v in history.items()}, start=1),
    )
    plot_curves(
        {"cnn": history},
        ("train/loss", "val/loss"),
        targets["learning_curves.png"],
        "Face CNN training (cross-entropy)",
    )
    tiles = [_to_uint8(face) for face in eigenfaces[:EIGENFACES_SHOWN]]
    labels = [f"#{i + 1}" for i in range(len(tiles))]
    write_png(targets["eigenfaces.png"], contact_sheet(tiles, labels, 8))
    wrong = np.asarray(test_predictions["embedding"]) != np.asarray(test_labels)
    plot_embedding_map(
        test_map,
        test_labels,
        classes,
        targets["embedding_map.png"],
        "Test faces' embeddings (PCA of the unit descriptors)",
        wrong.tolist(),
    )
    write_text(targets["report.md"], face_markdown(metrics, scores, classes, description))


def write_skipped_outputs(reason: str, targets: Mapping[str, Path], model_dir: Path) -> None:
    """Every declared output exists, and each says why there is nothing in it."""
    write_json(targets["details.json"], skipped_metrics(reason))
    write_text(targets["report.md"], skipped_markdown(reason))
    write_text(targets["learning_curves.csv"], "epoch,train_loss,val_loss\n")
    write_text(targets["test_predictions.csv"], "actual,embedding,cnn,eigenfaces\n")
    blank = contact_sheet([], [], 1)
    for name in FIGURES:
        write_png(targets[name], blank)
    write_text(model_dir / "SKIPPED.txt", reason + "\n")


def _csv(columns: Mapping[str, Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    return out.getvalue()


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """An eigenface (any sign and scale) stretched to 0..255 for display."""
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return (255 * scaled).astype(np.uint8)
