"""`dlpipe classify`: score the rows of a CSV with the evaluation chapter's chosen classifier.

The model is the registered `dlpipe-classifiers` (its Pipeline holds the preprocessing, its card
the threshold), or a model folder that compare_classifiers wrote. Every row gets the probability
of the positive label and the label at the cost-sensitive threshold.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
    """The CSV to score; a missing, empty or unreadable file is a ServingError naming it."""
    if path.is_dir():
        raise ServingError(f"{path}: is a directory; give a CSV file")
    if not path.is_file():
        raise ServingError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ServingError(f"{path}: empty file; give a CSV with a header and rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ServingError(f"{path}: not a readable CSV ({exc})") from None
    if frame.empty:
        raise ServingError(f"{path}: a header but no rows to score")
    return frame


def classify_rows(model: TabularModel, path: Path) -> pd.DataFrame:
    """Each row of the CSV at `path`: its row number (1-based), probability and label."""
    frame = read_rows(path)
    try:
        scored = model.predict(frame)
    except TabularModelError as exc:
        raise ServingError(f"{path}: {exc}") from None
    scored.insert(0, "row", range(1, len(frame) + 1))
    return scored
