"""Search spaces: one value per key of the right kind, applied as validated overrides."""

from __future__ import annotations

import optuna
import pytest
from tuning_helpers import repo_raw, tiny_raw

from dlpipe.config import ConfigError, Params, build
from dlpipe.config.sections_tuning import SearchDimension
from dlpipe.tuning import space


@pytest.fixture(scope="module")
def params() -> Params:
    return build(Params, tiny_raw(repo_raw()), "params")


SPACE = {
    "stock_lstm.window": SearchDimension(low=10, high=30),
    "stock_lstm.optimizer_hyper.lr": SearchDimension(low=1e-4, high=1e-2, log=True),
    "stock_lstm.head_sizes": SearchDimension(choices=([], [8, 4])),
    "stock_lstm.optimizer": SearchDimension(choices=("adam", "rmsprop")),
}


def test_suggested_values_have_the_keys_kind_and_range(params: Params) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(8):
        values = space.suggest(study.ask(), params, SPACE)
        assert isinstance(values["stock_lstm.window"], int)
        assert 10 <= values["stock_lstm.window"] <= 30
        assert 1e-4 <= values["stock_lstm.optimizer_hyper.lr"] <= 1e-2
        assert values["stock_lstm.head_sizes"] in ([], [8, 4])  # list choices come back as lists
        applied = space.apply(params, values)
        assert applied.stock_lstm.window == values["stock_lstm.window"]
        assert applied.stock_lstm.head_sizes == tuple(values["stock_lstm.head_sizes"])
        assert applied.stock_lstm.optimizer_hyper["lr"] == values["stock_lstm.optimizer_hyper.lr"]
        assert applied.stock_lstm.hidden_size == params.stock_lstm.hidden_size  # the rest kept


def test_the_defaults_trial_gets_the_current_values(params: Params) -> None:
    study = optuna.create_study()
    inside = space.representable(params, SPACE)
    assert inside == {
        "stock_lstm.window": 10,
        "stock_lstm.optimizer_hyper.lr": 0.01,
        "stock_lstm.head_sizes": "[]",
        "stock_lstm.optimizer": "adam",
    }
    study.enqueue_trial(inside)
    values = space.suggest(study.ask(), params, SPACE)
    assert space.apply(params, values) == params


def test_a_default_outside_the_space_is_left_out_of_the_defaults_trial(params: Params) -> None:
    narrow = {**SPACE, "stock_lstm.window": SearchDimension(low=20, high=30)}
    assert "stock_lstm.window" not in space.representable(params, narrow)


def test_values_params_refuse_name_the_key(params: Params) -> None:
    with pytest.raises(ConfigError, match=r"stock_lstm\.dropout: must be < 1"):
        space.apply(params, {"stock_lstm.dropout": 1.5})
