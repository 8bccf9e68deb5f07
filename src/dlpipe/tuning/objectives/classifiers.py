"""The evaluation chapter's ANN: mean ROC AUC over stratified folds of the training rows (the
folds of ann_study's searches), reported to the pruner fold by fold. The family has no test
split of its own, so `tuning.families.classifiers.test_fraction` of the rows (stratified, from
the seed) are held out for the retrain's one test score; tuning never sees them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from dlpipe.config import Params
from dlpipe.datasets.tables import Table, load_table
from dlpipe.training.tabular_cv import positive_proba
from dlpipe.training.tabular_models import ann_estimator, in_pipeline, limit_threads
from dlpipe.tuning.objectives.base import Objective, Scores


@dataclass(frozen=True, eq=False)
class HeldOut:
    table: Table
    train: np.ndarray  # row indices
    test: np.ndarray


def load(params: Params, root: Path) -> HeldOut:
    table = load_table(params.classifier_data, root)
    fraction = params.tuning.families["classifiers"].test_fraction or 0.2
    rows = np.arange(len(table.target))
    train, test = train_test_split(
        rows, test_size=fraction, stratify=table.target, random_state=params.seed
    )
    return HeldOut(table, np.sort(train), np.sort(test))


def score(
    params: Params, data: HeldOut, trial: optuna.Trial | None, workdir: Path, with_test: bool
) -> Scores:
    limit_threads(params.training.cpu_threads, 1)
    table, seed = data.table, params.seed
    ann = ann_estimator(params.classifiers.ann, seed)
    model = in_pipeline(ann, table.numeric, table.categorical)
    x, y = table.features.iloc[data.train], table.target[data.train]
    folds = StratifiedKFold(n_splits=params.ann_study.search.folds, shuffle=True, random_state=seed)
    aucs = []
    for step, (fit_rows, val_rows) in enumerate(folds.split(np.zeros(len(y)), y)):
        fitted = clone(model).fit(x.iloc[fit_rows], y[fit_rows])
        aucs.append(float(roc_auc_score(y[val_rows], positive_proba(fitted, x.iloc[val_rows]))))
        if trial is not None:
            trial.report(float(np.mean(aucs)), step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {step + 1}")
    val = float(np.mean(aucs))
    if not with_test:
        return Scores(val=val)
    fitted = clone(model).fit(x, y)
    test_x, test_y = table.features.iloc[data.test], table.target[data.test]
    return Scores(val=val, test=float(roc_auc_score(test_y, positive_proba(fitted, test_x))))


OBJECTIVE = Objective(
    family="classifiers",
    metric="roc_auc",
    direction="maximize",
    monitor=None,
    fidelity=lambda params, epochs: {"classifiers.ann.max_epochs": epochs},
    reads=("seed", "classifier_data", "classifiers.ann", "ann_study.search.folds"),
    data=(),
    load=load,
    score=score,
)
