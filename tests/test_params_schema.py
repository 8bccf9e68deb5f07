"""docs/params.schema.json is current, and params.yaml tells editors to use it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from dlpipe.config import params_json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "params.schema.json"
REGENERATE = (
    '.venv/bin/python -c "from dlpipe.config import write_params_schema; write_params_schema()"'
)


def test_schema_file_is_current() -> None:
    assert SCHEMA.is_file(), f"{SCHEMA} is missing; write it with: {REGENERATE}"
    written = json.loads(SCHEMA.read_text(encoding="utf-8"))
    expected = json.loads(json.dumps(params_json_schema()))  # tuples -> lists, as on disk
    assert written == expected, (
        f"{SCHEMA.relative_to(ROOT)} is stale (the params models changed); run: {REGENERATE}"
    )


def test_params_yaml_names_the_schema_on_its_first_line() -> None:
    first = (ROOT / "params.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=docs/params.schema.json"


def test_schema_accepts_the_project_params_and_refuses_a_typo() -> None:
    validator = jsonschema.Draft202012Validator(params_json_schema())
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(raw)] == []
    raw["recommender"]["autoencoders"]["deep"]["network"]["hiden"] = [512]
    assert any("hiden" in error.message for error in validator.iter_errors(raw))
