"""params.yaml sections of the evaluation chapter: the table, the model comparison, the ANN study.

The same stages take the bundled breast cancer set or any binary-classification CSV; everything
that differs between tables (target, positive label, columns to drop, categorical columns) is
here, so a user's table needs no code.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from dlpipe.config.base import (
    Bool,
    Count,
    Float,
    Int,
    NonEmptyStr,
    NonNegative,
    Positive,
    Probability,
    ReadOnlyMap,
    Section,
    Sha256,
    Str,
    check_rules,
    rules_error,
)

Folds = Annotated[Int, Field(ge=2)]
Share = Annotated[float, Field(gt=0, le=1)]  # a share of the training rows, all of them allowed

# --- the table --------------------------------------------------------------------------------


class TableCsvSource(Section):
    """A user's table: one row per case, one target column with exactly two values."""

    path: Str  # "" until set; the stage says so when `source: csv` needs it
    target: NonEmptyStr
    positive_label: NonEmptyStr | Int  # matched against the target's values as text
    drop: tuple[NonEmptyStr, ...]  # ids and other columns that must not be features
    categorical: tuple[NonEmptyStr, ...]  # one-hot encoded; any other column must be numeric

    @model_validator(mode="after")
    def _no_column_twice(self) -> TableCsvSource:
        named = [("target", self.target)]
        named += [(f"drop[{i}]", c) for i, c in enumerate(self.drop)]
        named += [(f"categorical[{i}]", c) for i, c in enumerate(self.categorical)]
        seen: dict[str, str] = {}
        problems = []
        for key, column in named:
            if column in seen:
                problems.append((key, f"column {column!r} is already named by {seen[column]}"))
            seen.setdefault(column, key)
        check_rules(problems)
        return self


class ClassifierDataConfig(Section):
    """`breast_cancer`: scikit-learn's bundled copy (checked against `breast_cancer_sha256`),
    positive class malignant; `csv`: the table in `csv`."""

    source: Literal["breast_cancer", "csv"]
    breast_cancer_sha256: Sha256
    csv: TableCsvSource


# --- the comparison ---------------------------------------------------------------------------


class AnnSettings(Section):
    """`dlpipe.training.ann_estimator.LightningANNClassifier`'s hyperparameters."""

    hidden_units: Count
    hidden_layers: Count
    dropout: Probability
    lr: Positive
    weight_decay: NonNegative
    batch_size: Count
    max_epochs: Count


class ClassicModels(Section):
    """The scikit-learn models the ANN is compared with, one setting each."""

    logistic_c: Positive
    forest_trees: Count
    boosting_trees: Count
    svm_c: Positive
    knn_neighbors: Count


class ClassifiersConfig(Section):
    """Repeated stratified K-fold for every model; costs of the two errors for the threshold."""

    folds: Folds
    repeats: Count
    n_jobs: Count  # joblib processes for the fits (1 = this process)
    ann: AnnSettings
    classic: ClassicModels
    cost_fn: Positive  # a positive case called negative (a missed cancer)
    cost_fp: Positive  # a negative case called positive (an unneeded biopsy)


# --- the ANN study ----------------------------------------------------------------------------

SearchKey = Literal["hidden_units", "lr", "dropout", "weight_decay"]


class SearchDimension(Section):
    """One hyperparameter: random search and TPE draw from [low, high] (log-uniform when
    `log`); the grid takes the `grid` levels."""

    low: NonNegative
    high: Positive
    log: Bool
    grid: Annotated[tuple[Float, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _levels_in_range(self) -> SearchDimension:
        problems = []
        if self.low >= self.high:
            problems.append(("high", f"must be above low ({self.low:g})"))
        if self.log and self.low <= 0:
            problems.append(("low", "must be above 0 on a log scale"))
        problems += [
            (f"grid[{i}]", f"{level:g} is outside [{self.low:g}, {self.high:g}]")
            for i, level in enumerate(self.grid)
            if not self.low <= level <= self.high
        ]
        check_rules(problems)
        return self


class SearchConfig(Section):
    """Manual, grid, random and TPE search, each allowed exactly `budget` CV evaluations."""

    budget: Count
    folds: Folds
    space: ReadOnlyMap[SearchKey, SearchDimension]
    manual: tuple[ReadOnlyMap[SearchKey, Float], ...]  # the hand-written candidates

    @model_validator(mode="after")
    def _equal_budgets(self) -> SearchConfig:
        problems = []
        grid_size = math.prod(len(dim.grid) for dim in self.space.values())
        if grid_size != self.budget:
            problems.append(
                ("space", f"the grid has {grid_size} points; it must have budget = {self.budget}")
            )
        if len(self.manual) != self.budget:
            problems.append(
                ("manual", f"{len(self.manual)} candidates; it must list budget = {self.budget}")
            )
        for i, candidate in enumerate(self.manual):
            if set(candidate) != set(self.space):
                problems.append(
                    (f"manual[{i}]", f"must set exactly the space's keys {sorted(self.space)}")
                )
        if "hidden_units" in self.space and self.space["hidden_units"].low < 1:
            problems.append(("space.hidden_units.low", "must be at least 1"))
        check_rules(problems)
        return self


class DropoutStudy(Section):
    """A network big enough to overfit, trained long, with and without dropout `rate` (and no
    weight decay, so dropout is the only regulariser that differs)."""

    hidden_units: Count
    hidden_layers: Count
    rate: Annotated[float, Field(gt=0, lt=1)]
    lr: Positive
    max_epochs: Count
    val_fraction: Annotated[float, Field(gt=0, lt=1)]


class AnnStudyConfig(Section):
    """Dropout, bias/variance (learning and capacity curves) and the search strategies."""

    folds: Folds
    dropout: DropoutStudy
    train_sizes: Annotated[tuple[Share, ...], Field(min_length=2)]
    capacity_units: Annotated[tuple[Count, ...], Field(min_length=2)]
    target_score: Annotated[float, Field(gt=0.5, le=1)]  # the validation AUC the task needs
    max_gap: Annotated[float, Field(gt=0, lt=1)]  # train - validation AUC still called small
    search: SearchConfig

    @model_validator(mode="after")
    def _sizes_grow(self) -> AnnStudyConfig:
        for key, values in (
            ("train_sizes", self.train_sizes),
            ("capacity_units", self.capacity_units),
        ):
            if list(values) != sorted(set(values)):
                raise rules_error([(key, "must be increasing, without repeats")])
        return self
