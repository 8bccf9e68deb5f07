"""The chosen table classifier as files: the fitted Pipeline (preprocessing inside) and its card.

A scikit-learn Pipeline can only be stored by pickling, and unpickling runs code from the file.
So `model.json` pins the pickle's sha256, and `load_tabular_model` refuses a `model.joblib`
whose digest differs before it unpickles anything: only the file this stage wrote is loaded.
The card also carries what scoring needs besides the Pipeline: the feature columns, the two
labels and the cost-sensitive threshold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from dlpipe.atomic import atomic_path, write_json

FORMAT = "dlpipe.tabular_classifier"
VERSION = 1
PICKLE, CARD = "model.joblib", "model.json"
OUTPUT_COLUMNS = ("probability", "label")


class TabularModelError(ValueError):
    """A model folder that is missing, tampered with, or a table it cannot score."""


@dataclass(frozen=True)
class ModelCard:
    """What `model.json` says about the pickled Pipeline beside it."""

    model: str  # the contestant's key, e.g. "logistic_regression"
    columns: tuple[str, ...]  # the feature columns, in training order
    categorical: tuple[str, ...]
    positive_label: str
    negative_label: str
    threshold: float  # P(positive) at or above it -> positive_label
    sha256: str = ""


@dataclass(frozen=True, eq=False)
class TabularModel:
    """A loaded classifier: the fitted Pipeline (classes 0 and 1) and its card."""

    pipeline: Any
    card: ModelCard

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`probability` of the positive label and the `label` at the card's threshold, per row;
        columns beyond the features (an id, the target) are ignored."""
        missing = [c for c in self.card.columns if c not in frame.columns]
        if missing:
            shown = ", ".join(repr(c) for c in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise TabularModelError(
                f"the table lacks {len(missing)} of the model's {len(self.card.columns)} feature "
                f"columns: {shown}{more}; give a table with all of them (model.json lists them)"
            )
        features = frame[list(self.card.columns)]
        numeric = [c for c in self.card.columns if c not in self.card.categorical]
        bad = [c for c in numeric if not pd.api.types.is_numeric_dtype(features[c])]
        if bad:
            column = features[bad[0]]
            wrong = (pd.to_numeric(column, errors="coerce").isna() & column.notna()).to_numpy()
            row = int(wrong.argmax())
            raise TabularModelError(
                f"column {bad[0]!r} must be numeric, as in the training table (data row "
                f"{row + 1} holds {column.iloc[row]!r}); correct that cell or leave it empty"
            )
        proba = self.pipeline.predict_proba(features)[:, list(self.pipeline.classes_).index(1)]
        labels = np.where(
            proba >= self.card.threshold, self.card.positive_label, self.card.negative_label
        )
        return pd.DataFrame({"probability": proba.astype(np.float64), "label": labels})


def save_tabular_model(folder: Path, pipeline: Any, card: ModelCard) -> Path:
    """Write model.joblib and model.json (with the pickle's sha256) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / PICKLE) as tmp:
        joblib.dump(pipeline, tmp)
    digest = _sha256(folder / PICKLE)
    write_json(
        folder / CARD, {"format": FORMAT, "version": VERSION, **asdict(card), "sha256": digest}
    )
    return folder


def load_tabular_model(folder: Path) -> TabularModel:
    """The model in `folder`, after checking the pickle against the card's sha256."""
    card_file = folder / CARD
    if not card_file.is_file():
        raise TabularModelError(f"{card_file}: no model card; run `make repro` first")
    try:
        data = json.loads(card_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TabularModelError(f"{card_file}: not JSON ({exc})") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise TabularModelError(
            f"{card_file}: not a {FORMAT} v{VERSION} card (format {data.get('format')!r})"
        )
    fields = {k: data[k] for k in ModelCard.__dataclass_fields__ if k in data}
    card = ModelCard(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    pickle_file = folder / PICKLE
    if not pickle_file.is_file():
        raise TabularModelError(f"{pickle_file}: missing; run `make repro` first")
    digest = _sha256(pickle_file)
    if digest != card.sha256:
        raise TabularModelError(
            f"{pickle_file}: sha256 {digest} is not the {card.sha256} its card pins; refusing "
            "to unpickle it (rerun `make repro` to rebuild the model)"
        )
    return TabularModel(joblib.load(pickle_file), card)


def feature_columns(frame: pd.DataFrame, categorical: Sequence[str]) -> tuple[str, ...]:
    """The frame's columns in order (the card's `columns`); categorical ones must be among them."""
    missing = [c for c in categorical if c not in frame.columns]
    if missing:
        raise TabularModelError(f"categorical column(s) {missing} are not features")
    return tuple(str(c) for c in frame.columns)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
