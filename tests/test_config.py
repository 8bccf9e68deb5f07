"""params.yaml -> frozen dataclasses; every mistake names its key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from dlpipe.config import ConfigError, Params, as_plain, load_params

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def test_project_params_load_into_frozen_dataclasses() -> None:
    params = load_params(ROOT / "params.yaml")
    assert isinstance(params, Params)
    assert isinstance(params.compare_optimizers.hidden_sizes, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.compare_optimizers.optimizers["sgd"]["lr"] = 1.0  # type: ignore[index]


def test_unknown_key_is_named(tmp_path: Path, raw: dict) -> None:
    raw["compare_optimizers"]["epochz"] = 3
    with pytest.raises(ConfigError, match=r"compare_optimizers\.epochz"):
        load_params(_write(tmp_path, raw))


def test_wrong_type_is_named(tmp_path: Path, raw: dict) -> None:
    raw["compare_optimizers"]["epochs"] = "three"
    with pytest.raises(ConfigError, match=r"compare_optimizers\.epochs: expected int"):
        load_params(_write(tmp_path, raw))


def test_boolean_is_not_a_number(tmp_path: Path, raw: dict) -> None:
    raw["seed"] = True
    with pytest.raises(ConfigError, match="seed"):
        load_params(_write(tmp_path, raw))


def test_missing_key_is_named(tmp_path: Path, raw: dict) -> None:
    del raw["training"]["deterministic"]
    with pytest.raises(ConfigError, match=r"missing key 'training\.deterministic'"):
        load_params(_write(tmp_path, raw))


def test_literal_choice_is_checked(tmp_path: Path, raw: dict) -> None:
    raw["mnist"]["source"] = "ftp"
    with pytest.raises(ConfigError, match=r"mnist\.source: 'ftp' is not one of"):
        load_params(_write(tmp_path, raw))


def test_nested_mapping_value_type_is_checked(tmp_path: Path, raw: dict) -> None:
    raw["compare_optimizers"]["optimizers"]["adam"]["lr"] = "fast"
    with pytest.raises(ConfigError, match=r"compare_optimizers\.optimizers\.adam\.lr"):
        load_params(_write(tmp_path, raw))


def test_fixed_length_tuple_is_checked(tmp_path: Path, raw: dict) -> None:
    raw["trace_optimizers"]["surfaces"]["beale"]["start"] = [1.0]
    with pytest.raises(ConfigError, match=r"beale\.start: expected 2 items"):
        load_params(_write(tmp_path, raw))


def test_int_is_accepted_where_float_is_expected(tmp_path: Path, raw: dict) -> None:
    raw["compare_optimizers"]["optimizers"]["sgd"]["lr"] = 1
    params = load_params(_write(tmp_path, raw))
    assert params.compare_optimizers.optimizers["sgd"]["lr"] == 1.0
    assert isinstance(params.compare_optimizers.optimizers["sgd"]["lr"], float)


def test_missing_and_malformed_files_say_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(bad)


def test_as_plain_round_trips(raw: dict, tmp_path: Path) -> None:
    params = load_params(_write(tmp_path, raw))
    assert load_params(_write(tmp_path, as_plain(params))) == params
