"""`dlpipe classify`: score the rows of a CSV with the evaluation chapter's chosen classifier.

The model is the registered `dlpipe-classifiers` (its Pipeline holds the preprocessing, its card
the threshold), or a model folder that compare_classifiers wrote. Every row gets the probability
of the positive label and the label at the cost-sensitive threshold.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dlpipe.datasets.files import read_csv_frame
from dlpipe.models.tabular_model_io import TabularModel, TabularModelError, load_tabular_model
from dlpipe.serving.errors import REPRO_ADVICE, ServingError

DEFAULT_MODEL = "models/classifier"


def load_model_folder(folder: Path) -> TabularModel:
    """The model in `folder` (model.joblib + model.json), as a ServingError when unusable."""
    if not folder.exists():
        raise ServingError(
            f"{folder}: no model yet; {REPRO_ADVICE.format(stage='compare_classifiers')}"
        )
    try:
        return load_tabular_model(folder)
    except TabularModelError as exc:
        raise ServingError(str(exc)) from None


def read_rows(path: Path) -> pd.DataFrame:
    """The CSV to score; a missing, empty, truncated or unreadable file is a ServingError naming
    the file and the line (the shared reader of every user CSV)."""
    return read_csv_frame(path, "give a CSV file with a header and rows to score", ServingError)


def classify_rows(model: TabularModel, path: Path) -> pd.DataFrame:
    """Each row of the CSV at `path`: its row number (1-based), probability and label."""
    frame = read_rows(path)
    try:
        scored = model.predict(frame)
    except TabularModelError as exc:
        raise ServingError(f"{path}: {exc}") from None
    scored.insert(0, "row", range(1, len(frame) + 1))
    return scored
