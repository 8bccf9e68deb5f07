"""The tuned retrain: the family's model at its own (full) settings, once with the defaults and
once with the study's best params, each scored on the validation split and once on the test
split. The tuned params are kept only when they beat the defaults on validation; otherwise the
defaults are kept and no gain is claimed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlpipe.config import Params
from dlpipe.tuning import space
from dlpipe.tuning.objectives import OBJECTIVES, Scores
from dlpipe.tuning.study import ONE_DEVICE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrained:
    """Both models' scores; `kept` is "tuned" or "defaults"; `reason` says why in words."""

    family: str
    metric: str
    direction: str
    defaults: Scores
    tuned: Scores
    tuned_params: Mapping[str, Any]
    kept: str
    reason: str

    @property
    def chosen(self) -> Scores:
        return self.tuned if self.kept == "tuned" else self.defaults

    def gain(self, split: str) -> float:
        """The kept model's improvement over the defaults on `split` (0 when defaults kept)."""
        objective = OBJECTIVES[self.family]
        new, old = getattr(self.chosen, split), getattr(self.defaults, split)
        return objective.gain(new, old)


def retrain(
    root: Path, params: Params, family: str, best: Mapping[str, Any], better_on_tuning: bool
) -> Retrained:
    """Train with the defaults and with `best` (dotted keys) at full settings. When the study
    found nothing better than the defaults (`better_on_tuning` false), the tuned model is the
    defaults' model and is not trained twice."""
    objective = OBJECTIVES[family]
    params = space.apply(params, ONE_DEVICE)
    data = objective.load(params, root)
    with tempfile.TemporaryDirectory(prefix=f"dlpipe-{family}-retrain-") as workdir:
        log.info("train_tuned %s: the defaults at full settings", family)
        defaults = objective.score(params, data, None, Path(workdir) / "defaults", True)
        if not better_on_tuning or not best:
            reason = "the study found no params better than the defaults on validation"
            return Retrained(
                family,
                objective.metric,
                objective.direction,
                defaults,
                defaults,
                {},
                "defaults",
                reason,
            )
        log.info("train_tuned %s: the best params at full settings", family)
        tuned_params = space.apply(params, best)
        tuned = objective.score(tuned_params, data, None, Path(workdir) / "tuned", True)
    if objective.better(tuned.val, defaults.val):
        kept, reason = "tuned", "the tuned params beat the defaults on validation at full settings"
    else:
        kept = "defaults"
        reason = (
            "the tuned params did not beat the defaults on validation at full settings "
            f"(val/{objective.metric} {tuned.val:.5g} vs {defaults.val:.5g}): defaults kept"
        )
    return Retrained(
        family, objective.metric, objective.direction, defaults, tuned, dict(best), kept, reason
    )
