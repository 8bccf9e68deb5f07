"""Manual, grid, random and TPE search over one hyperparameter space, at one equal budget.

The comparison is only fair if every strategy gets exactly `budget` evaluations and every
evaluation is scored on the same folds, so one function scores a candidate (`cross_validated_auc`)
and the four strategies differ only in how they propose candidates. The estimator is built by the
caller's `make_estimator(params)`, so this module knows nothing of the network.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import optuna
from scipy.stats import loguniform, uniform
from sklearn.base import BaseEstimator
from sklearn.model_selection import (
    ParameterGrid,
    ParameterSampler,
    StratifiedKFold,
    cross_val_score,
)

from dlpipe.config.sections_classifiers import SearchConfig, SearchDimension

logger = logging.getLogger(__name__)

Strategy = Literal["manual", "grid", "random", "tpe"]
STRATEGIES: tuple[Strategy, ...] = ("manual", "grid", "random", "tpe")
INTEGER_KEYS = frozenset({"hidden_units"})  # counts: the network needs an int

Params = dict[str, int | float]


@dataclass(frozen=True)
class Evaluation:
    """One cross-validated evaluation; `index` is 1-based, `best_so_far` the running max AUC."""

    strategy: Strategy
    index: int
    params: Params
    mean_auc: float
    std_auc: float
    best_so_far: float
    seconds: float


@dataclass(frozen=True)
class SearchResult:
    """All evaluations in order and the best one (the first, on ties)."""

    strategy: Strategy
    evaluations: tuple[Evaluation, ...]
    best_params: Params
    best_auc: float


def as_candidate(values: Mapping[str, Any], space: Mapping[str, SearchDimension]) -> Params:
    """Values keyed and ordered as `space`: counts as ints (rounded, clipped into the range),
    everything else as plain python floats, so params read the same whatever proposed them."""
    candidate: Params = {}
    for key, dim in space.items():
        value = float(values[key])
        if key in INTEGER_KEYS:
            low, high = math.ceil(dim.low), math.floor(dim.high)
            candidate[key] = int(min(max(round(value), low), high))
        else:
            candidate[key] = value
    return candidate


def cross_validated_auc(
    estimator: BaseEstimator, X: Any, y: Any, folds: int, seed: int, n_jobs: int = 1
) -> np.ndarray:
    """ROC AUC per fold on StratifiedKFold(folds, shuffle, seed): the same folds for any
    estimator given the same seed, which is what makes strategies comparable."""
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_score(
        estimator, X, y, cv=cv, scoring="roc_auc", n_jobs=n_jobs, error_score="raise"
    )


def manual_candidates(config: SearchConfig, seed: int) -> list[Params]:
    """The hand-written list, in its order."""
    return [as_candidate(c, config.space) for c in config.manual]


def grid_candidates(config: SearchConfig, seed: int) -> list[Params]:
    """Every combination of the `grid` levels (ParameterGrid order)."""
    grid = ParameterGrid({key: list(dim.grid) for key, dim in config.space.items()})
    return [as_candidate(c, config.space) for c in grid]


def random_candidates(config: SearchConfig, seed: int) -> list[Params]:
    """`budget` draws, log-uniform on `log` dimensions and uniform otherwise. hidden_units is
    drawn from the same continuous distribution and rounded to the nearest integer (clipped
    into the range), so a log scale still favours small networks as TPE's log int does."""
    distributions = {
        key: loguniform(dim.low, dim.high) if dim.log else uniform(dim.low, dim.high - dim.low)
        for key, dim in config.space.items()
    }
    sampler = ParameterSampler(distributions, n_iter=config.budget, random_state=seed)
    return [as_candidate(c, config.space) for c in sampler]


def tpe_startup_trials(budget: int) -> int:
    """Random trials before TPE models the history. Optuna's default (10) exceeds small budgets,
    which would make "tpe" random search under another name; half the budget, at most 10."""
    return min(10, max(1, budget // 2))


class _Recorder:
    """Scores candidates, keeps the running best, logs a line and calls back per evaluation."""

    def __init__(
        self,
        strategy: Strategy,
        score: Callable[[Params], np.ndarray],
        budget: int,
        on_evaluation: Callable[[Evaluation], None] | None,
    ) -> None:
        self.strategy, self.score, self.budget = strategy, score, budget
        self.on_evaluation = on_evaluation
        self.evaluations: list[Evaluation] = []

    def evaluate(self, params: Params) -> float:
        start = time.perf_counter()
        aucs = self.score(params)
        seconds = time.perf_counter() - start
        mean_auc = float(np.mean(aucs))
        best = max([mean_auc] + [e.mean_auc for e in self.evaluations])
        evaluation = Evaluation(
            strategy=self.strategy,
            index=len(self.evaluations) + 1,
            params=dict(params),
            mean_auc=mean_auc,
            std_auc=float(np.std(aucs)),
            best_so_far=best,
            seconds=seconds,
        )
        self.evaluations.append(evaluation)
        logger.info(
            "search %s: %d/%d auc %.4f (best %.4f)",
            self.strategy,
            evaluation.index,
            self.budget,
            mean_auc,
            best,
        )
        if self.on_evaluation is not None:
            self.on_evaluation(evaluation)
        return mean_auc

    def result(self) -> SearchResult:
        best = max(self.evaluations, key=lambda e: e.mean_auc)  # max keeps the first on ties
        return SearchResult(
            strategy=self.strategy,
            evaluations=tuple(self.evaluations),
            best_params=dict(best.params),
            best_auc=best.mean_auc,
        )


def _run_tpe(recorder: _Recorder, config: SearchConfig, seed: int) -> None:
    """An in-memory Optuna study driven by ask/tell, so each trial goes through the recorder."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=tpe_startup_trials(config.budget)
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for _ in range(config.budget):
        trial = study.ask()
        suggested: dict[str, float] = {}
        for key, dim in config.space.items():
            if key in INTEGER_KEYS:
                low, high = math.ceil(dim.low), math.floor(dim.high)
                suggested[key] = trial.suggest_int(key, low, high, log=dim.log)
            else:
                suggested[key] = trial.suggest_float(key, dim.low, dim.high, log=dim.log)
        study.tell(trial, recorder.evaluate(as_candidate(suggested, config.space)))


_LISTED: dict[str, Callable[[SearchConfig, int], list[Params]]] = {
    "manual": manual_candidates,
    "grid": grid_candidates,
    "random": random_candidates,
}


def run_search(
    strategy: Strategy,
    make_estimator: Callable[[Params], BaseEstimator],
    X: Any,
    y: Any,
    config: SearchConfig,
    seed: int,
    on_evaluation: Callable[[Evaluation], None] | None = None,
    n_jobs: int = 1,
) -> SearchResult:
    """Exactly `config.budget` evaluations of `strategy`, each the mean ROC AUC of
    `make_estimator(params)` over the same `config.folds` stratified folds (from `seed`).
    `n_jobs` runs the folds of one evaluation in parallel."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown search strategy {strategy!r}; expected one of {STRATEGIES}")

    def score(params: Params) -> np.ndarray:
        return cross_validated_auc(make_estimator(params), X, y, config.folds, seed, n_jobs)

    recorder = _Recorder(strategy, score, config.budget, on_evaluation)
    if strategy == "tpe":
        _run_tpe(recorder, config, seed)
    else:
        candidates = _LISTED[strategy](config, seed)
        if len(candidates) != config.budget:
            raise ValueError(
                f"{strategy} proposes {len(candidates)} candidates; the budget is {config.budget}"
            )
        for params in candidates:
            recorder.evaluate(params)
    return recorder.result()
