"""params' `tuning` section: every space key exists, ranges and choices make sense, and each
mistake is named by its dotted key."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from tuning_helpers import repo_raw

from dlpipe.config import check_params_file, load_params
from dlpipe.config.sections_tuning import TunedFamily
from dlpipe.tuning.objectives import OBJECTIVES
from dlpipe.tuning.storage import recorded_location

REPO = Path(__file__).resolve().parents[2]


def _errors(tmp_path: Path, space: dict[str, Any], fixed: dict[str, Any] | None = None) -> list:
    raw = repo_raw()
    spec = raw["tuning"]["families"]["stock_lstm"]
    spec["space"] = space
    if fixed is not None:
        spec["fixed"] = fixed
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return [line.removeprefix(f"{path}: ") for line in check_params_file(path)]


def test_the_project_tunes_every_family_with_an_objective() -> None:
    params = load_params(REPO / "params.yaml")
    assert set(params.tuning.families) == set(OBJECTIVES)
    assert set(typing.get_args(TunedFamily)) == set(OBJECTIVES)


def test_a_key_params_lack_is_named(tmp_path: Path) -> None:
    errors = _errors(tmp_path, {"stock_lstm.hiden_size": {"low": 4, "high": 8}})
    assert len(errors) == 1
    assert errors[0].startswith("tuning.families.stock_lstm.space: 'stock_lstm.hiden_size': no")
    assert "hidden_size" in errors[0]  # the keys that do exist are listed


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ({"low": 0.01, "high": 0.001}, ".high: must be > low (0.01) (got 0.001)"),
        ({"low": 0.0, "high": 0.1, "log": True}, ".low: must be > 0 with log: true (got 0.0)"),
        ({"choices": []}, ".choices: needs at least one choice"),
        ({"low": 0.1}, ": needs low and high, or choices"),
        ({"low": 0.1, "high": 0.2, "choices": [0.1]}, ".choices: give either choices or"),
    ],
)
def test_a_bad_range_is_named(tmp_path: Path, dimension: dict, expected: str) -> None:
    errors = _errors(tmp_path, {"stock_lstm.dropout": dimension})
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"tuning.families.stock_lstm.space.stock_lstm.dropout{expected}")


@pytest.mark.parametrize(
    ("key", "dimension", "expected"),
    [
        ("stock_lstm.window", {"low": 10.5, "high": 20}, "an integer key: low and high"),
        ("stock_lstm.target", {"low": 1, "high": 2}, "a range needs a numeric key"),
        ("stock_lstm.head_sizes", {"choices": [8, 16]}, "every choice must be a list"),
        ("stock_lstm.window", {"choices": [[10], [20]]}, "every choice must be a single value"),
        ("stock_lstm.optimizer_hyper", {"choices": [1]}, "is a whole section"),
        ("stocks.pypi.sp500.nope", {"choices": [1]}, "no such params key"),
    ],
)
def test_a_range_or_choice_that_cannot_hold_the_key_is_named(
    tmp_path: Path, key: str, dimension: dict, expected: str
) -> None:
    errors = _errors(tmp_path, {key: dimension})
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"tuning.families.stock_lstm.space: {key!r}: {expected}"), errors


def test_fixed_keys_are_checked_too(tmp_path: Path) -> None:
    space = {"stock_lstm.dropout": {"low": 0.0, "high": 0.5}}
    errors = _errors(tmp_path, space, {"stock_lstm.nope": 1, "stock_lstm.dropout": 0.1})
    assert errors == [
        "tuning.families.stock_lstm.fixed: 'stock_lstm.nope': no such params key "
        "(under stock_lstm: target, features, window, val_fraction, test_fraction, residual, "
        "hidden_size, num_layers, dropout, head_sizes, batch_size, max_epochs, patience, "
        "optimizer, optimizer_hyper, moving_average_days, walk_forward_windows)",
        "tuning.families.stock_lstm.fixed: 'stock_lstm.dropout': also in the space",
    ]


def test_good_spaces_of_every_kind_are_accepted(tmp_path: Path) -> None:
    space = {
        "stock_lstm.window": {"low": 10, "high": 90},
        "stock_lstm.optimizer_hyper.lr": {"low": 0.0001, "high": 0.1, "log": True},
        "stock_lstm.head_sizes": {"choices": [[], [16]]},
        "stock_lstm.optimizer": {"choices": ["adam", "rmsprop"]},
        "stock_lstm.residual": {"choices": [True, False]},
    }
    assert _errors(tmp_path, space) == []


def test_reports_record_the_storage_without_machine_paths_or_passwords(tmp_path: Path) -> None:
    tuning = load_params(REPO / "params.yaml").tuning
    assert tuning.journal == "tuning/optuna.journal" and not tuning.storage
    assert recorded_location(tmp_path, tuning) == "tuning/optuna.journal"
    outside = str(tmp_path.parent / "elsewhere" / "studies.journal")
    assert recorded_location(tmp_path, tuning.model_copy(update={"journal": outside})) == (
        "studies.journal"
    )
    rdb = tuning.model_copy(update={"storage": "postgresql://lab:hunter22@db.example/optuna"})
    assert recorded_location(tmp_path, rdb) == "postgresql://lab:***@db.example/optuna"
