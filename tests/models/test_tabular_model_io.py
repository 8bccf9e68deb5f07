"""The chosen table classifier on disk: the card pins the pickle, scoring names what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from dlpipe.data.tabular_preprocess import make_preprocessor
from dlpipe.models.tabular_model_io import (
    ModelCard,
    TabularModelError,
    load_tabular_model,
    save_tabular_model,
)


def _fitted(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 80), "country": rng.choice(["fr", "de"], 80)})
    y = (frame["age"] > 40).astype(int).to_numpy()
    model = Pipeline(
        [("prep", make_preprocessor(["age"], ["country"])), ("model", LogisticRegression())]
    ).fit(frame, y)
    card = ModelCard("logistic_regression", ("age", "country"), ("country",), "old", "young", 0.3)
    return save_tabular_model(tmp_path / "m", model, card), frame


def test_round_trip_scores_at_the_card_threshold(tmp_path: Path) -> None:
    folder, frame = _fitted(tmp_path)
    model = load_tabular_model(folder)
    scored = model.predict(frame.assign(extra="ignored"))
    assert scored.columns.tolist() == ["probability", "label"]
    expected = np.where(scored["probability"] >= 0.3, "old", "young")
    assert scored["label"].tolist() == expected.tolist()
    assert json.loads((folder / "model.json").read_text())["threshold"] == 0.3


def test_a_changed_pickle_is_refused_before_unpickling(tmp_path: Path) -> None:
    folder, _ = _fitted(tmp_path)
    (folder / "model.joblib").write_bytes(b"not the pickle the card pins")
    with pytest.raises(TabularModelError, match="refusing to unpickle"):
        load_tabular_model(folder)


def test_missing_and_non_numeric_columns_are_named(tmp_path: Path) -> None:
    folder, frame = _fitted(tmp_path)
    model = load_tabular_model(folder)
    with pytest.raises(TabularModelError, match="lacks 1 of the model's 2 feature columns: 'age'"):
        model.predict(frame.drop(columns="age"))
    with pytest.raises(TabularModelError, match="column 'age' must be numeric"):
        model.predict(frame.assign(age="forty"))
