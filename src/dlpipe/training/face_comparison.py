"""The face CNN and the Eigenfaces + SVM baseline on the identical split, scored the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlpipe.config import EigenfacesConfig, FaceCnnConfig, TrainingConfig
from dlpipe.data.face_data import FaceSplits
from dlpipe.evaluation.classification_metrics import classification_report_dict
from dlpipe.evaluation.classification_tests import mcnemar_exact
from dlpipe.evaluation.eigenfaces import EigenfacesFit, eigenfaces_predict, fit_eigenfaces
from dlpipe.evaluation.verdicts import verdict, verdict_words
from dlpipe.tracking import RunLogger
from dlpipe.training.face_cnn import FaceCnnResult, train_face_cnn

MODELS = ("cnn", "eigenfaces")
SCORED_SPLITS = ("val", "test")


@dataclass(frozen=True)
class FaceComparison:
    cnn: FaceCnnResult
    eigenfaces: EigenfacesFit
    predictions: Mapping[str, Mapping[str, np.ndarray]]  # model -> split -> labels
    scores: Mapping[str, Mapping[str, dict]]  # model -> split -> classification report
    test_labels: np.ndarray


def compare_face_models(
    data: FaceSplits,
    cnn_cfg: FaceCnnConfig,
    eigen_cfg: EigenfacesConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> FaceComparison:
    """Train both on `train` (the CNN early-stops on `val`), score both on val and test."""
    cnn = train_face_cnn(data, cnn_cfg, training, seed, run, checkpoint_dir)
    eigen = fit_eigenfaces(data.x["train"], data.y["train"], eigen_cfg, seed)
    predictions = {
        "cnn": {s: cnn.predictions[s] for s in SCORED_SPLITS},
        "eigenfaces": {s: eigenfaces_predict(eigen.model, data.x[s]) for s in SCORED_SPLITS},
    }
    scores = {
        model: {
            split: classification_report_dict(data.y[split], labels, data.classes)
            for split, labels in by_split.items()
        }
        for model, by_split in predictions.items()
    }
    return FaceComparison(cnn, eigen, predictions, scores, data.y["test"])


def comparison_metrics(comparison: FaceComparison) -> dict[str, object]:
    """The details: figures per model and split, per-person precision/recall on test, McNemar's
    test and its three-outcome verdict (the headline numbers are picked from these)."""
    metrics: dict[str, object] = {model: model_entry(comparison.scores[model]) for model in MODELS}
    test = mcnemar_exact(
        comparison.test_labels,
        comparison.predictions["cnn"]["test"],
        comparison.predictions["eigenfaces"]["test"],
    )
    metrics["mcnemar_test"] = {
        "cnn_only_right": test.only_a,
        "eigenfaces_only_right": test.only_b,
        "p_value": test.p_value,
    }
    metrics["verdict"] = verdict_words(verdict(test.p_value, test.only_a > test.only_b))
    metrics["cnn_best_epoch"] = comparison.cnn.best_epoch
    metrics["eigenfaces_choice"] = {
        "n_components": comparison.eigenfaces.n_components,
        "cv_accuracy": comparison.eigenfaces.cv_score,
        **{k: float(v) for k, v in comparison.eigenfaces.best_params.items()},
    }
    return metrics


def model_entry(by_split: Mapping[str, dict]) -> dict[str, object]:
    """One model's figures per scored split and its per-person precision/recall on test."""
    entry: dict[str, object] = {}
    for split in SCORED_SPLITS:
        report = by_split[split]
        entry[split] = {k: report[k] for k in ("accuracy", "macro_f1", "weighted_f1")}
    entry["test_per_person"] = {
        person: {k: row[k] for k in ("precision", "recall", "f1", "support")}
        for person, row in by_split["test"]["per_class"].items()
    }
    return entry
