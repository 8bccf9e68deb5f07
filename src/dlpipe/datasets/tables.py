"""Binary-classification tables: scikit-learn's bundled breast cancer set or a user's CSV.

Every table comes back in one shape (`Table`): the raw feature columns with their own dtypes, a
0/1 target (1 = the positive class) and which columns are numeric or categorical. Nothing is
imputed, scaled or encoded here: that is fit inside each model's pipeline on training folds only,
so no statistic of a validation fold leaks into training.

A user's CSV is checked before any model sees it. Every problem is a `TableError` whose message
names the file, the column or row, and the fix, because a table that silently loses its target
or turns a text column into garbage would make every score in the report meaningless.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from dlpipe.config.sections_classifiers import ClassifierDataConfig, TableCsvSource
from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError, verify_sha256
from dlpipe.datasets.files import read_csv_frame
from dlpipe.paths import data_path

logger = logging.getLogger(__name__)

BREAST_CANCER_FILE = "breast_cancer.csv"
_SHOWN = 5  # rows or values quoted in one message
_PARAM = "classifier_data.csv"
_BREAST_CANCER_FIX = (
    "the installed scikit-learn ships a different breast_cancer.csv than the pinned one; "
    "reinstall scikit-learn, or if you upgraded it on purpose and checked the file, set "
    "classifier_data.breast_cancer_sha256 in params.yaml to the new digest"
)


class TableError(DatasetError, ValueError):
    """A table cannot be used as given; the message names the file, the column or row, the fix.

    A `DatasetError`, so a stage catches it with every other data problem.
    """


@dataclass(frozen=True, eq=False)
class Table:
    """A validated binary-classification table (`eq=False`: DataFrames do not compare).

    `features`: the feature columns only, in file order, original dtypes, missing values kept.
    `target`: int64 0/1, 1 = `positive_label`. `numeric` + `categorical`: every feature column
    exactly once. `source`: a short description for reports and messages.
    """

    features: pd.DataFrame
    target: np.ndarray
    positive_label: str
    negative_label: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    source: str
    target_name: str


def load_table(cfg: ClassifierDataConfig, root: Path) -> Table:
    """The table `cfg.source` names; a csv path is resolved against the checkout at `root`."""
    if cfg.source == "breast_cancer":
        table = load_breast_cancer_table(cfg.breast_cancer_sha256)
    else:
        table = load_csv_table(cfg.csv, root)
    logger.info(
        "table %s: %d features (%d categorical), %d of %d rows %s",
        table.source,
        table.features.shape[1],
        len(table.categorical),
        int(table.target.sum()),
        len(table.target),
        table.positive_label,
    )
    return table


# --- breast cancer ----------------------------------------------------------------------------


def breast_cancer_file() -> Path:
    """scikit-learn's bundled copy, the file whose digest params.yaml pins."""
    return Path(str(importlib.resources.files("sklearn.datasets") / "data" / BREAST_CANCER_FILE))


def load_breast_cancer_table(sha256: str) -> Table:
    """569 patients, 30 numeric features; positive = malignant (scikit-learn's class 0)."""
    path = breast_cancer_file()
    try:
        verify_sha256(path, sha256, fix=_BREAST_CANCER_FIX)
    except ChecksumError as exc:
        raise TableError(str(exc)) from exc
    bunch = load_breast_cancer(as_frame=True)
    features = bunch.frame[list(bunch.feature_names)].reset_index(drop=True)
    malignant = list(bunch.target_names).index("malignant")
    target = (bunch.target.to_numpy() == malignant).astype(np.int64)
    return Table(
        features=features,
        target=target,
        positive_label="malignant",
        negative_label="benign",
        numeric=tuple(features.columns),
        categorical=(),
        source=f"scikit-learn breast cancer ({len(features)} rows)",
        target_name="diagnosis",
    )


# --- a user's CSV -----------------------------------------------------------------------------


def load_csv_table(cfg: TableCsvSource, root: Path) -> Table:
    """The CSV `cfg.path`, checked column by column; see the module docstring."""
    path = _csv_file(cfg, root)
    frame = _read_csv(path, cfg.path)
    where = str(path)
    _require_columns(frame, cfg, where)
    target, positive, negative = _binary_target(frame[cfg.target], cfg, where)
    features = frame.drop(columns=[cfg.target, *cfg.drop]).reset_index(drop=True)
    if features.shape[1] == 0:
        raise TableError(
            f"{where}: no feature columns are left after taking out the target {cfg.target!r} "
            f"and {_PARAM}.drop {list(cfg.drop)}; the file needs at least one more column"
        )
    declared = set(cfg.categorical)
    numeric = tuple(c for c in features.columns if c not in declared)
    for column in numeric:
        _require_numeric(features[column], where)
    return Table(
        features=features,
        target=target,
        positive_label=positive,
        negative_label=negative,
        numeric=numeric,
        categorical=tuple(c for c in features.columns if c in declared),
        source=f"{path} ({len(features)} rows)",
        target_name=cfg.target,
    )


def _csv_file(cfg: TableCsvSource, root: Path) -> Path:
    if not cfg.path.strip():
        raise TableError(
            f"{_PARAM}.path is not set: set it in params.yaml to your CSV file, "
            "or set classifier_data.source to breast_cancer"
        )
    return data_path(root, cfg.path)


def _read_csv(path: Path, given: str) -> pd.DataFrame:
    """The whole file, through the shared reader (truncated rows, repeated names refused)."""
    fix = (
        f"put the CSV file there or correct {_PARAM}.path (now {given!r}; relative paths start "
        "at the repository root) in params.yaml; the file needs a header and data rows"
    )
    return read_csv_frame(path, fix, TableError)


def _require_columns(frame: pd.DataFrame, cfg: TableCsvSource, where: str) -> None:
    present = list(frame.columns)
    if cfg.target not in frame.columns:
        raise TableError(
            f"{where}: target column {cfg.target!r} ({_PARAM}.target) is not in the file; its "
            f"columns are {present}; set {_PARAM}.target to one of them"
        )
    for key, names in (("drop", cfg.drop), ("categorical", cfg.categorical)):
        for name in names:
            if name not in frame.columns:
                raise TableError(
                    f"{where}: column {name!r} listed in {_PARAM}.{key} is not in the file; its "
                    f"columns are {present}; correct the name or remove it from {_PARAM}.{key}"
                )


def _binary_target(
    column: pd.Series, cfg: TableCsvSource, where: str
) -> tuple[np.ndarray, str, str]:
    """0/1 target and the two labels as text; the positive label is matched as stripped text.

    Whole floats are written as ints, so a column saved as 1.0/0.0 still matches label 1.
    """
    name = cfg.target
    text = column.map(_label_text)
    empty = np.flatnonzero((text == "").to_numpy())
    if empty.size:
        raise TableError(
            f"{where}: target column {name!r} is missing in {empty.size} row(s): data rows "
            f"{_rows(empty)} (1-based, the header not counted); fill them in or delete those rows"
        )
    values = sorted(text.unique())
    if len(values) == 1:
        raise TableError(
            f"{where}: target column {name!r} has one class only ({values[0]!r} in all "
            f"{len(text)} rows); a binary target needs rows of both classes"
        )
    if len(values) > 2:
        raise TableError(
            f"{where}: target column {name!r} has {len(values)} distinct values (e.g. "
            f"{values[:_SHOWN]}); a binary target needs exactly two: recode it or choose "
            f"another {_PARAM}.target"
        )
    positive = str(cfg.positive_label).strip()
    if positive not in values:
        raise TableError(
            f"{where}: positive label {positive!r} ({_PARAM}.positive_label) is not a value of "
            f"target column {name!r}, whose values are {values}; set it to one of them"
        )
    negative = next(value for value in values if value != positive)
    return (text == positive).to_numpy().astype(np.int64), positive, negative


def _label_text(value: object) -> str:
    if pd.isna(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _require_numeric(column: pd.Series, where: str) -> None:
    """A column not declared categorical must hold numbers (missing cells are imputed later)."""
    name = column.name
    if not pd.api.types.is_numeric_dtype(column):
        parsed = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero((parsed.isna() & column.notna()).to_numpy())
        row = int(bad[0]) if bad.size else 0
        raise TableError(
            f"{where}: column {name!r} is not numeric (data row {row + 1} holds "
            f"{column.iloc[row]!r}); add it to {_PARAM}.categorical if it is a category, or to "
            f"{_PARAM}.drop if it is not a feature (an id, a name), or correct the cell if "
            "the column is meant to hold numbers"
        )
    if pd.api.types.is_float_dtype(column):
        infinite = np.flatnonzero(np.isinf(column.to_numpy(dtype=float)))
        if infinite.size:
            raise TableError(
                f"{where}: column {name!r} holds infinite values in data rows "
                f"{_rows(infinite)}; replace them with numbers or leave the cells empty"
            )


def _rows(positions: Sequence[int] | np.ndarray) -> str:
    """The first few 0-based positions as 1-based data rows, for messages."""
    shown = ", ".join(str(int(i) + 1) for i in positions[:_SHOWN])
    return shown + (", ..." if len(positions) > _SHOWN else "")
