"""`dlpipe stages`: stages and outputs from dvc.yaml, families from each script's syntax tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dlpipe.serving import ServingError
from dlpipe.serving.stages import list_stages, stage_family, stage_table

REPO = Path(__file__).resolve().parents[2]

DVC_YAML = """\
stages:
  fetch_things:
    cmd: PYTHONPATH=src python pipeline/fetch_things.py
    outs:
      - data/raw/things.npz
    metrics:
      - reports/things.json:
          cache: false
  train_things:
    cmd: PYTHONPATH=src python pipeline/train_things.py
    outs:
      - models/things
    plots:
      - reports/curves.png
      - reports/loss.csv:
          x: epoch
  old_style:
    cmd: python pipeline/old_style.py
    outs:
      - reports/old.md
"""

SCRIPTS = {
    "fetch_things": """\
from dlpipe.stage import StageSpec, run_stage
import heavy_module_that_does_not_exist  # never imported: the script is only parsed

SPEC = StageSpec(name="fetch_things", family="things", params=(), outputs=())
""",
    "train_things": """\
from dlpipe import stage

FAMILY = "things"
SPEC: stage.StageSpec = stage.StageSpec(
    name="train_things", family=FAMILY, params=("seed",), outputs=("models/things/",)
)
""",
    "old_style": """\
FAMILY = "legacy"  # no SPEC: the family is unknown
def main():
    SPEC = StageSpec(name="x", family="inside a function")
""",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "dvc.yaml").write_text(DVC_YAML, encoding="utf-8")
    (tmp_path / "pipeline").mkdir()
    for name, text in SCRIPTS.items():
        (tmp_path / "pipeline" / f"{name}.py").write_text(text, encoding="utf-8")
    return tmp_path


def test_families_come_from_the_spec_and_writes_from_dvc_yaml(project: Path) -> None:
    rows = list_stages(project)
    assert [(r.name, r.family) for r in rows] == [
        ("fetch_things", "things"),
        ("train_things", "things"),
        ("old_style", "-"),
    ]
    assert rows[0].writes == ("data/raw/things.npz", "reports/things.json")
    assert rows[1].writes == ("models/things", "reports/curves.png", "reports/loss.csv")


def test_unparsable_or_missing_scripts_have_no_family(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("SPEC = StageSpec(family='x'\n", encoding="utf-8")
    assert stage_family(broken) == "-"
    assert stage_family(tmp_path / "missing.py") == "-"


def test_the_table_is_aligned(project: Path) -> None:
    lines = stage_table(list_stages(project)).splitlines()
    assert lines[0].split() == ["stage", "family", "writes"]
    assert lines[2].split() == ["fetch_things", "things", "data/raw/things.npz"]
    assert lines[3].split() == ["reports/things.json"]
    column = lines[0].index("writes")
    assert all(line[column:].strip() and not line[column - 1].strip() for line in lines[2:])
    assert lines[0].index("family") == lines[2].index(" things ") + 1


def test_no_dvc_yaml_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServingError, match=r"dvc\.yaml: not found; run from the project folder"):
        list_stages(tmp_path)
    (tmp_path / "dvc.yaml").write_text("stages: [a, b]\n", encoding="utf-8")
    with pytest.raises(ServingError, match="no `stages:` mapping"):
        list_stages(tmp_path)


def test_every_stage_of_this_project_is_listed_with_its_family() -> None:
    rows = list_stages(REPO)
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert [r.name for r in rows] == list(spec)
    assert all(r.writes for r in rows)
    scripts_with_spec = [
        name
        for name in spec
        if "SPEC = StageSpec(" in (REPO / "pipeline" / f"{name}.py").read_text(encoding="utf-8")
    ]
    assert all(r.family != "-" for r in rows if r.name in scripts_with_spec)
