"""dvc.yaml's tuning stages: one per family of params' `tuning.families`, each with the inputs
and params its objective reads (DVC cannot splice lists, so the entries fill fixed slots)."""

from __future__ import annotations

from pathlib import Path

import yaml

from dlpipe.config import load_params
from dlpipe.tuning.objectives import OBJECTIVES

REPO = Path(__file__).resolve().parents[2]
CODE_SLOT = "src/dlpipe/datasets"  # the slot filler of a family whose data ships in a package


def _stages() -> dict:
    return yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def test_the_foreach_lists_are_the_tuned_families() -> None:
    families = list(load_params(REPO / "params.yaml").tuning.families)
    stages = _stages()
    assert list(stages["tune"]["foreach"]) == families
    assert list(stages["train_tuned"]["foreach"]) == families
    assert set(families) == set(OBJECTIVES)


def test_each_familys_slots_are_its_objectives_inputs_and_params() -> None:
    stages = _stages()
    assert stages["tune"]["foreach"] == stages["train_tuned"]["foreach"]
    for family, item in stages["tune"]["foreach"].items():
        objective = OBJECTIVES[family]
        assert set(item["params"]) == set(objective.reads) - {"seed"}, family
        assert set(item["data"]) == (set(objective.data) or {CODE_SLOT}), family
        recorded = objective.recorded.path if objective.recorded else item["data"][0]
        assert item["recorded"] == recorded, family
    do = stages["train_tuned"]["do"]
    assert "reports/tuning/${key}/best_params.yaml" in do["deps"]
    assert "${item.recorded}" in do["deps"] and "tuning.families.${key}" in do["params"]
