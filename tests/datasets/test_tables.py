"""Binary-classification tables: the bundled breast cancer set, a bank-churn CSV with a 0/1 or
text target, and one test per bad input checking that the message names the file and the column
or row (the CSVs are written to tmp_path from `bank_churn_frame`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlpipe.config import load_params
from dlpipe.config.sections_classifiers import ClassifierDataConfig, TableCsvSource
from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import sha256_file
from dlpipe.datasets.tables import Table, TableError, breast_cancer_file, load_table
from synthetic_data import bank_churn_frame

PROJECT = Path(__file__).resolve().parents[2]
PINNED = load_params(PROJECT / "params.yaml").classifier_data.breast_cancer_sha256
IDS = ("RowNumber", "CustomerId", "Surname")
CATEGORICAL = ("Geography", "Gender")
NUMERIC = (
    "CreditScore",
    "Age",
    "Tenure",
    "Balance",
    "NumOfProducts",
    "HasCrCard",
    "IsActiveMember",
    "EstimatedSalary",
)


def csv_config(path: Path | str, **changes: object) -> ClassifierDataConfig:
    """The bank-churn settings of params.yaml pointed at `path`, with `changes` to the csv part."""
    csv = {
        "path": str(path),
        "target": "Exited",
        "positive_label": 1,
        "drop": IDS,
        "categorical": CATEGORICAL,
        **changes,
    }
    return ClassifierDataConfig(
        source="csv", breast_cancer_sha256=PINNED, csv=TableCsvSource(**csv)
    )


def write_csv(folder: Path, frame: pd.DataFrame, name: str = "churn.csv") -> Path:
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def load_error(config: ClassifierDataConfig, root: Path) -> str:
    with pytest.raises(TableError) as caught:
        load_table(config, root)
    return str(caught.value)


# --- breast cancer ----------------------------------------------------------------------------


def test_breast_cancer_is_569_patients_with_212_malignant() -> None:
    cfg = ClassifierDataConfig(
        source="breast_cancer", breast_cancer_sha256=PINNED, csv=csv_config("").csv
    )
    table = load_table(cfg, PROJECT)
    assert isinstance(table, Table)
    assert table.features.shape == (569, 30)
    assert table.numeric == tuple(table.features.columns) and table.categorical == ()
    assert table.target.dtype == np.int64 and set(np.unique(table.target)) == {0, 1}
    assert int(table.target.sum()) == 212
    assert (table.positive_label, table.negative_label) == ("malignant", "benign")
    assert table.target_name == "diagnosis"
    assert table.source == "scikit-learn breast cancer (569 rows)"
    # The file's first patient: mean radius 17.99, malignant (scikit-learn's class 0).
    assert table.features["mean radius"].iloc[0] == pytest.approx(17.99)
    assert table.target[0] == 1


def test_breast_cancer_with_another_digest_names_file_and_both_digests() -> None:
    wrong = "0" * 64
    cfg = ClassifierDataConfig(
        source="breast_cancer", breast_cancer_sha256=wrong, csv=csv_config("").csv
    )
    message = load_error(cfg, PROJECT)
    path = breast_cancer_file()
    assert str(path) in message and wrong in message and sha256_file(path) in message
    assert "breast_cancer_sha256" in message


# --- a bank-churn CSV -------------------------------------------------------------------------


def test_bank_churn_csv_with_a_01_target(tmp_path: Path) -> None:
    frame = bank_churn_frame(40, seed=1)
    path = write_csv(tmp_path, frame)
    table = load_table(csv_config(path), tmp_path)
    assert list(table.features.columns) == [c for c in frame.columns if c not in (*IDS, "Exited")]
    assert table.numeric == NUMERIC and table.categorical == CATEGORICAL
    np.testing.assert_array_equal(table.target, frame["Exited"].to_numpy())
    assert (table.positive_label, table.negative_label) == ("1", "0")
    assert table.target_name == "Exited" and table.source == f"{path} (40 rows)"
    assert table.features["Age"].dtype == np.int64
    assert not pd.api.types.is_numeric_dtype(table.features["Geography"])


@pytest.mark.parametrize(
    ("codes", "positive", "negative"),
    [
        ({1: "yes", 0: "no"}, "yes", "no"),
        ({1: " Yes ", 0: "No"}, "Yes", "No"),  # matched as stripped text
        ({1: "1", 0: "0"}, 1, "0"),  # a quoted "1" is the int 1 of params
        ({1: 1.0, 0: 0.0}, 1, "0"),  # a column saved as floats too
    ],
)
def test_a_text_target_is_matched_as_text(
    tmp_path: Path, codes: dict[int, str | float], positive: str | int, negative: str
) -> None:
    frame = bank_churn_frame(30, seed=2)
    exited = frame["Exited"].to_numpy()
    frame["Exited"] = frame["Exited"].map(codes)
    table = load_table(csv_config(write_csv(tmp_path, frame), positive_label=positive), tmp_path)
    np.testing.assert_array_equal(table.target, exited)
    assert (table.positive_label, table.negative_label) == (str(positive), negative)


def test_the_positive_label_picks_which_class_is_1(tmp_path: Path) -> None:
    frame = bank_churn_frame(30, seed=3)
    table = load_table(csv_config(write_csv(tmp_path, frame), positive_label=0), tmp_path)
    np.testing.assert_array_equal(table.target, 1 - frame["Exited"].to_numpy())


def test_a_relative_path_starts_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write_csv(tmp_path / "data", bank_churn_frame(20, seed=4))
    table = load_table(csv_config("data/churn.csv"), tmp_path)
    assert table.source == f"{tmp_path / 'data' / 'churn.csv'} (20 rows)"


def test_missing_feature_values_are_kept_for_the_imputer(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=5)
    frame["Age"] = frame["Age"].astype(float)
    frame.loc[3, "Age"] = np.nan
    frame.loc[4, "Geography"] = np.nan
    table = load_table(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert np.isnan(table.features["Age"].iloc[3]) and pd.isna(table.features["Geography"][4])


# --- bad inputs: every message names the file and the column or row ---------------------------


def test_an_unset_path_names_the_parameter(tmp_path: Path) -> None:
    message = load_error(csv_config(""), tmp_path)
    assert "classifier_data.csv.path is not set" in message


def test_a_missing_file(tmp_path: Path) -> None:
    message = load_error(csv_config("data/nowhere.csv"), tmp_path)
    assert f"{tmp_path / 'data' / 'nowhere.csv'}: does not exist" in message


def test_a_directory(tmp_path: Path) -> None:
    message = load_error(csv_config(tmp_path), tmp_path)
    assert f"{tmp_path}: is a directory" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty (0 bytes)"),
        ("\n\n", "no header and no rows"),
        ("Age,Geography,Exited\n", "no data rows"),
    ],
)
def test_an_empty_file_or_a_header_only(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "churn.csv"
    path.write_text(text, encoding="utf-8")
    message = load_error(csv_config(path, drop=(), categorical=()), tmp_path)
    assert message.startswith(f"{path}: ") and problem in message


def test_an_unreadable_csv_says_the_line(tmp_path: Path) -> None:
    path = tmp_path / "churn.csv"
    path.write_text("Age,Exited\n40,1\n30,0\n50,1,extra\n", encoding="utf-8")
    message = load_error(csv_config(path, drop=(), categorical=()), tmp_path)
    assert message.startswith(f"{path}, line 4: ") and "as many fields" in message


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "churn.csv"
    path.write_bytes("Age,City,Exited\n40,Zürich,1\n".encode("latin-1"))
    message = load_error(csv_config(path, drop=(), categorical=("City",)), tmp_path)
    assert message.startswith(f"{path}, line 2: not UTF-8")


def test_a_missing_target_column_lists_the_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path, bank_churn_frame(20, seed=6).rename(columns={"Exited": "Churned"}))
    message = load_error(csv_config(path), tmp_path)
    assert message.startswith(f"{path}: target column 'Exited'")
    assert "'Churned'" in message and "'Age'" in message


@pytest.mark.parametrize("key", ["drop", "categorical"])
def test_a_declared_column_that_is_missing(tmp_path: Path, key: str) -> None:
    path = write_csv(tmp_path, bank_churn_frame(20, seed=7))
    declared = {"drop": IDS, "categorical": CATEGORICAL}[key]
    message = load_error(csv_config(path, **{key: (*declared, "Region")}), tmp_path)
    assert message.startswith(f"{path}: column 'Region' listed in classifier_data.csv.{key}")


def test_a_target_with_one_class(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=8).assign(Exited=0)
    message = load_error(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: target column 'Exited' has one class")
    assert "'0' in all 20 rows" in message


def test_a_target_with_three_classes_lists_them(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=9)
    frame.loc[5, "Exited"] = 2
    message = load_error(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: target column 'Exited' has 3 distinct")
    assert "['0', '1', '2']" in message


def test_a_positive_label_that_is_not_a_value_lists_the_values(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=10)
    frame["Exited"] = frame["Exited"].map({1: "yes", 0: "no"})
    message = load_error(csv_config(write_csv(tmp_path, frame), positive_label="Yes"), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: positive label 'Yes'")
    assert "target column 'Exited'" in message and "['no', 'yes']" in message


def test_missing_target_values_name_the_data_rows(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=11).astype({"Exited": float})
    frame.loc[[2, 4], "Exited"] = np.nan
    message = load_error(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: target column 'Exited' is missing")
    assert "data rows 3, 5 (1-based, the header not counted)" in message


def test_a_text_column_not_declared_categorical(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=12)
    path = write_csv(tmp_path, frame)
    message = load_error(csv_config(path, categorical=("Gender",)), tmp_path)
    assert message.startswith(f"{path}: column 'Geography' is not numeric")
    assert f"data row 1 holds {frame['Geography'][0]!r}" in message
    assert "classifier_data.csv.categorical" in message and "classifier_data.csv.drop" in message


def test_one_bad_cell_in_a_numeric_column_is_named(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=13).astype({"Balance": object})
    frame.loc[6, "Balance"] = "n.a."
    message = load_error(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert "column 'Balance' is not numeric (data row 7 holds 'n.a.')" in message


def test_an_infinite_value_is_named(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=14)
    frame.loc[1, "Balance"] = np.inf
    message = load_error(csv_config(write_csv(tmp_path, frame)), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: column 'Balance' holds infinite")
    assert "data rows 2;" in message


def test_duplicate_column_names(tmp_path: Path) -> None:
    path = tmp_path / "churn.csv"
    path.write_text("Age,Age,Exited\n40,41,1\n30,31,0\n", encoding="utf-8")
    message = load_error(csv_config(path, drop=(), categorical=()), tmp_path)
    assert message.startswith(f"{path}, line 1: the header names column(s) ['Age'] more than once")


def test_no_feature_columns_left(tmp_path: Path) -> None:
    frame = bank_churn_frame(20, seed=15)[["RowNumber", "CustomerId", "Surname", "Exited"]]
    message = load_error(csv_config(write_csv(tmp_path, frame), categorical=()), tmp_path)
    assert message.startswith(f"{tmp_path / 'churn.csv'}: no feature columns are left")
    assert "'Exited'" in message


def test_a_table_error_is_a_value_error_and_a_dataset_error() -> None:
    assert issubclass(TableError, ValueError) and issubclass(TableError, DatasetError)
