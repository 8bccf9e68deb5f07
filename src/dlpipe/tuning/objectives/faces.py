"""The course's face CNN: validation cross-entropy at the best epoch (val/loss per epoch for the
pruner); accuracy beside it. The embedding model already picks its C by cross-validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna

from dlpipe.config import Params
from dlpipe.data.face_data import FaceSplits
from dlpipe.datasets import DatasetError
from dlpipe.datasets.face_crops import load_split_arrays, read_split_table
from dlpipe.training.face_cnn import train_face_cnn
from dlpipe.tuning.objectives.base import Objective, Scores

CROPS = "data/interim/faces"  # dlpipe.families.faces.CROPS
SPLITS = "data/processed/faces/splits.csv"  # dlpipe.families.faces.SPLITS


def load(params: Params, root: Path) -> FaceSplits:
    """The crops of every split (DatasetError when the face stages found no images)."""
    x, y, classes = load_split_arrays(root / CROPS, read_split_table(root / SPLITS))
    sizes = {split: len(labels) for split, labels in y.items()}
    if len(classes) < 2 or any(size == 0 for size in sizes.values()):
        raise DatasetError(f"no images: {len(classes)} people with faces, photos per split {sizes}")
    return FaceSplits(x=x, y=y, classes=classes)


def cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def score(
    params: Params, data: FaceSplits, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    result = train_face_cnn(data, params.face_cnn, params.training, params.seed, None, workdir)

    def on(split: str) -> tuple[float, float]:
        labels = data.y[split]
        accuracy = float(np.mean(result.predictions[split] == labels))
        return cross_entropy(result.probabilities[split], labels), accuracy

    val_loss, val_acc = on("val")
    if not with_test:
        return Scores(val=val_loss, extra={"val/acc": val_acc})
    test_loss, test_acc = on("test")
    return Scores(val=val_loss, test=test_loss, extra={"val/acc": val_acc, "test/acc": test_acc})


OBJECTIVE = Objective(
    family="faces",
    metric="loss",
    direction="minimize",
    monitor="val/loss",
    fidelity=lambda params, epochs: {"face_cnn.max_epochs": epochs},
    reads=("seed", "face_crawl.gallery", "face_extract", "face_split", "face_cnn"),
    data=(CROPS, SPLITS),
    load=load,
    score=score,
)
