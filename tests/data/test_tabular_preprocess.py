"""The table preprocessor: impute, scale and one-hot with statistics of the training rows only;
unseen categories, missing cells and extra columns in new rows still give finite output of the
fitted width."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from dlpipe.data.tabular_preprocess import make_preprocessor
from synthetic_data import bank_churn_frame

# a: median 2 fills the gap -> [1, 2, 2, 5], mean 2.5, population std 1.5.
# g: most frequent "x" fills the gap; categories x, y.
TRAIN = pd.DataFrame(
    {
        "a": [1.0, 2.0, np.nan, 5.0],
        "b": [10, 10, 20, 20],  # mean 15, std 5
        "g": ["x", "y", None, "x"],
    }
)


def test_train_statistics_are_applied_to_new_rows_by_hand() -> None:
    prep = make_preprocessor(["a", "b"], ["g"]).fit(TRAIN)
    new = pd.DataFrame(
        {
            "id": [7, 8, 9],  # a column the preprocessor does not know: ignored
            "g": ["z", None, "y"],  # unseen, missing (-> "x"), seen
            "b": [15, 25, 5],
            "a": [4.0, np.nan, 2.5],
        }
    )
    out = prep.transform(new)
    expected = np.array(
        [
            [(4.0 - 2.5) / 1.5, 0.0, 0.0, 0.0],
            [(2.0 - 2.5) / 1.5, 2.0, 1.0, 0.0],
            [0.0, -2.0, 0.0, 1.0],
        ]
    )
    assert out.dtype == np.float64 and np.isfinite(out).all()
    np.testing.assert_allclose(out, expected)


def test_the_statistics_come_from_the_training_rows_only() -> None:
    train, held_out = TRAIN, pd.DataFrame({"a": [100.0, 300.0], "b": [0, 0], "g": ["y", "y"]})
    model = make_pipeline(make_preprocessor(["a", "b"], ["g"]), LogisticRegression())
    model.fit(train, [0, 1, 0, 1])
    model.predict_proba(held_out)  # scoring other rows must not refit anything
    numeric = model[0].named_transformers_["numeric"]
    assert numeric["impute"].statistics_.tolist() == [2.0, 15.0]
    np.testing.assert_allclose(numeric["scale"].mean_, [2.5, 15.0])
    np.testing.assert_allclose(numeric["scale"].scale_, [1.5, 5.0])
    assert model[0].named_transformers_["categorical"]["one_hot"].categories_[0].tolist() == [
        "x",
        "y",
    ]


def test_numeric_only_and_a_column_empty_in_training_keep_the_width() -> None:
    train = pd.DataFrame({"a": [1.0, 3.0], "b": [np.nan, np.nan]})
    prep = make_preprocessor(["a", "b"], []).fit(train)
    out = prep.transform(pd.DataFrame({"a": [2.0], "b": [7.0]}))
    assert out.shape == (1, 2) and np.isfinite(out).all()


def test_no_columns_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        make_preprocessor([], [])


def test_a_model_learns_the_synthetic_churn_table() -> None:
    frame = bank_churn_frame(200, seed=0)
    numeric = ["CreditScore", "Age", "Tenure", "Balance", "NumOfProducts", "IsActiveMember"]
    model = make_pipeline(make_preprocessor(numeric, ["Geography", "Gender"]), LogisticRegression())
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    features = frame.drop(columns="Exited")
    auc = cross_val_score(model, features, frame["Exited"], scoring="roc_auc", cv=folds)
    assert auc.mean() > 0.75
