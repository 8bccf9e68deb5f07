"""Raw table columns -> one dense float matrix: impute, scale, one-hot.

The transformer is unfitted on purpose: it goes first in every model's Pipeline, so
cross-validation fits its medians, means, scales and categories on the training folds only and a
validation fold is transformed with statistics it did not contribute to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def make_preprocessor(numeric: Sequence[str], categorical: Sequence[str]) -> ColumnTransformer:
    """Numeric: median imputation + standard scaling; categorical: most-frequent imputation +
    one-hot (a category unseen in training becomes all zeros). Columns are picked by name, so
    extra columns in the frame are dropped; the output is a dense float64 array.

    `keep_empty_features`: a column with no value in a training fold still gets its output
    column (0), so the width never depends on which rows a fold happens to hold.
    """
    if not numeric and not categorical:
        raise ValueError("make_preprocessor needs at least one numeric or categorical column")
    parts = []
    if numeric:
        numeric_steps = Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]
        )
        parts.append(("numeric", numeric_steps, list(numeric)))
    if categorical:
        categorical_steps = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent", keep_empty_features=True)),
                (
                    "one_hot",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=float),
                ),
            ]
        )
        parts.append(("categorical", categorical_steps, list(categorical)))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
