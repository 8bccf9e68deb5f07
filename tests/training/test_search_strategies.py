"""Search strategies at equal budget: counts, order, coverage, seeds, ranges and shared folds."""

from __future__ import annotations

import functools
import logging
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from dlpipe.config.sections_classifiers import SearchConfig, SearchDimension
from dlpipe.training.ann_estimator import LightningANNClassifier
from dlpipe.training.search_strategies import (
    STRATEGIES,
    Evaluation,
    SearchResult,
    cross_validated_auc,
    run_search,
    tpe_startup_trials,
)

SEED = 3
X, Y = make_classification(
    n_samples=90, n_features=6, n_informative=3, flip_y=0.1, random_state=SEED
)
FRAME = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])

CONFIG = SearchConfig(
    budget=4,
    folds=3,
    space={
        "hidden_units": SearchDimension(low=1, high=6, log=False, grid=(1, 5)),
        "lr": SearchDimension(low=0.001, high=10.0, log=True, grid=(0.01, 1.0)),
    },
    manual=(
        {"hidden_units": 5, "lr": 1.0},
        {"hidden_units": 1, "lr": 0.01},
        {"hidden_units": 3, "lr": 0.1},
        {"hidden_units": 6, "lr": 0.002},
    ),
)


def make_estimator(params: dict) -> Pipeline:
    """A deterministic stand-in whose AUC depends on both params: k features, then C."""
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("select", SelectKBest(f_classif, k=params["hidden_units"])),
            ("model", LogisticRegression(C=params["lr"])),
        ]
    )


def search(strategy: str, seed: int = SEED) -> SearchResult:
    return run_search(strategy, make_estimator, FRAME, Y, CONFIG, seed)


@functools.cache
def searched(strategy: str, seed: int = SEED) -> tuple[SearchResult, tuple[Evaluation, ...]]:
    """One run per strategy and seed for the tests that only read it (the suite stays fast),
    with what `on_evaluation` received."""
    seen: list[Evaluation] = []
    result = run_search(strategy, make_estimator, FRAME, Y, CONFIG, seed, seen.append)
    return result, tuple(seen)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_uses_exactly_the_budget(strategy: str) -> None:
    result, seen = searched(strategy)
    assert [e.index for e in result.evaluations] == [1, 2, 3, 4]
    assert result.evaluations == seen
    assert {e.strategy for e in seen} == {strategy}
    aucs = [e.mean_auc for e in seen]
    assert [e.best_so_far for e in seen] == list(np.maximum.accumulate(aucs))
    assert result.best_auc == max(aucs)
    assert result.best_params == seen[aucs.index(max(aucs))].params
    for e in seen:
        assert list(e.params) == ["hidden_units", "lr"]
        assert type(e.params["hidden_units"]) is int and type(e.params["lr"]) is float
        assert 1 <= e.params["hidden_units"] <= 6 and 0.001 <= e.params["lr"] <= 10.0
        assert e.std_auc >= 0.0 and e.seconds > 0


def test_manual_follows_the_list_and_grid_covers_the_grid() -> None:
    manual = [e.params for e in searched("manual")[0].evaluations]
    assert manual == [dict(c) for c in CONFIG.manual]
    grid = {tuple(e.params.values()) for e in searched("grid")[0].evaluations}
    assert grid == {(1, 0.01), (1, 1.0), (5, 0.01), (5, 1.0)}


@pytest.mark.parametrize("strategy", ["random", "tpe"])
def test_random_and_tpe_repeat_with_a_seed_and_change_with_another(strategy: str) -> None:
    def outcome(result: SearchResult) -> list[tuple]:
        return [(e.params, e.mean_auc, e.std_auc) for e in result.evaluations]  # no timings

    first = outcome(searched(strategy)[0])
    assert outcome(search(strategy)) == first  # a fresh run
    assert [p for p, _, _ in outcome(searched(strategy, SEED + 1)[0])] != [p for p, _, _ in first]


def test_the_same_params_score_the_same_in_any_strategy() -> None:
    """manual[0] is a grid point: both strategies must see the same folds, hence the same AUC."""
    by_params = {}
    for strategy in ("grid", "manual"):
        for e in searched(strategy)[0].evaluations:
            key = tuple(e.params.values())
            if key in by_params:
                assert e.mean_auc == by_params[key]
            by_params[key] = e.mean_auc
    direct = cross_validated_auc(make_estimator({"hidden_units": 5, "lr": 1.0}), X, Y, 3, SEED)
    assert by_params[(5, 1.0)] == pytest.approx(direct.mean(), abs=1e-12)


def test_a_log_line_per_evaluation(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dlpipe.training.search_strategies"):
        result = search("tpe")
    last = result.evaluations[-1]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("search tpe")]
    assert len(lines) == 4
    assert lines[-1] == f"search tpe: 4/4 auc {last.mean_auc:.4f} (best {result.best_auc:.4f})"


def test_tpe_models_at_least_half_of_a_small_budget() -> None:
    assert [tpe_startup_trials(b) for b in (1, 2, 8, 20, 64)] == [1, 1, 4, 10, 10]


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown search strategy"):
        search("bayes")


def test_tpe_with_the_real_network() -> None:
    config = SearchConfig(
        budget=2,
        folds=2,
        space={
            "hidden_units": SearchDimension(low=2, high=8, log=True, grid=(4, 8)),
            "lr": SearchDimension(low=0.005, high=0.05, log=True, grid=(0.01,)),
        },
        manual=({"hidden_units": 4, "lr": 0.01}, {"hidden_units": 8, "lr": 0.01}),
    )

    def make_ann(params: dict) -> Pipeline:
        ann = LightningANNClassifier(**params, max_epochs=2, batch_size=32, random_state=SEED)
        return Pipeline([("scale", StandardScaler()), ("ann", ann)])

    result = run_search("tpe", make_ann, FRAME, Y, config, SEED)
    assert len(result.evaluations) == 2
    assert all(not math.isnan(e.mean_auc) for e in result.evaluations)
    assert all(type(e.params["hidden_units"]) is int for e in result.evaluations)
