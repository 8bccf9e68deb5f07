"""The tuned retrain: the family's model at its own (full) settings, once with the defaults and
once with the study's best params, each scored on the validation split and once on the test
split. The tuned params are kept only when they beat the defaults on validation; otherwise the
defaults are kept and no gain is claimed.

Two budget rules: a family whose own training stage already recorded the defaults' figures at
full settings (the objective's `recorded`: vae, gan) has them read from that stage's output, not
trained again; and `tuning.families.<family>.retrain_epochs` shortens the retrain where the
full length does not fit the time budget (tuned.json says so). The tuned params are trained
only when the study found them better than the defaults at trial fidelity.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlpipe.config import Params
from dlpipe.tuning import space
from dlpipe.tuning.objectives import OBJECTIVES, Objective, Scores
from dlpipe.tuning.study import ONE_DEVICE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrained:
    """Both models' scores; `kept` is "tuned" or "defaults"; `reason` says why in words.

    `defaults_from`: "retrained here", or the file its own stage recorded the defaults'
    figures in; `epochs`: the retrain's length when `retrain_epochs` shortened it (None: the
    family's own length); `tuned_trained`: whether the tuned params were trained at all."""

    family: str
    metric: str
    direction: str
    defaults: Scores
    tuned: Scores
    tuned_params: Mapping[str, Any]
    kept: str
    reason: str
    defaults_from: str = "retrained here"
    epochs: int | None = None
    tuned_trained: bool = True

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
    """Train with `best` (dotted keys) and, unless their own stage recorded them, with the
    defaults, at full settings (or `retrain_epochs`). When the study found nothing better than
    the defaults (`better_on_tuning` false), the tuned model is the defaults' model and is not
    trained twice."""
    objective = OBJECTIVES[family]
    epochs = params.tuning.families[family].retrain_epochs
    shorter = objective.fidelity(params, epochs) if epochs else {}
    params = space.apply(params, {**ONE_DEVICE, **shorter})
    found = bool(better_on_tuning and best)
    if objective.recorded is not None:
        defaults, source = recorded_defaults(root, params, objective), objective.recorded.path
        if not found:
            return _defaults_kept(objective, defaults, source, epochs)
        data = objective.load(params, root)
        with tempfile.TemporaryDirectory(prefix=f"dlpipe-{family}-retrain-") as workdir:
            log.info("train_tuned %s: the best params%s", family, _length(epochs))
            tuned = objective.score(space.apply(params, best), data, None, Path(workdir), True)
        return _compared(objective, defaults, tuned, best, source, epochs)
    data = objective.load(params, root)
    with tempfile.TemporaryDirectory(prefix=f"dlpipe-{family}-retrain-") as workdir:
        log.info("train_tuned %s: the defaults%s", family, _length(epochs))
        defaults = objective.score(params, data, None, Path(workdir) / "defaults", True)
        if not found:
            return _defaults_kept(objective, defaults, "retrained here", epochs)
        log.info("train_tuned %s: the best params%s", family, _length(epochs))
        tuned_params = space.apply(params, best)
        tuned = objective.score(tuned_params, data, None, Path(workdir) / "tuned", True)
    return _compared(objective, defaults, tuned, best, "retrained here", epochs)


def recorded_defaults(root: Path, params: Params, objective: Objective) -> Scores:
    """The defaults' figures from the file their own stage wrote (ValueError naming the file
    and the stage to rerun when they are not there)."""
    recorded = objective.recorded
    assert recorded is not None
    path = root / recorded.path
    try:
        return recorded.read(params, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{recorded.path}: the defaults' figures cannot be read: {exc}. To fix: rerun "
            f"`dvc repro {recorded.stage}`"
        ) from None


def _length(epochs: int | None) -> str:
    return f" ({epochs} epochs: retrain_epochs)" if epochs else " at full settings"


def _defaults_kept(
    objective: Objective, defaults: Scores, source: str, epochs: int | None
) -> Retrained:
    reason = "the study found no params better than the defaults on validation: defaults kept"
    return Retrained(
        objective.family,
        objective.metric,
        objective.direction,
        defaults,
        defaults,
        {},
        "defaults",
        reason,
        defaults_from=source,
        epochs=epochs,
        tuned_trained=False,
    )


def _compared(
    objective: Objective,
    defaults: Scores,
    tuned: Scores,
    best: Mapping[str, Any],
    source: str,
    epochs: int | None,
) -> Retrained:
    metric = objective.metric
    where = "at full settings" if not epochs else f"(tuned trained {epochs} epochs)"
    if objective.better(tuned.val, defaults.val):
        kept, reason = "tuned", f"the tuned params beat the defaults on validation {where}"
    else:
        kept = "defaults"
        reason = (
            f"the tuned params did not beat the defaults on validation {where} "
            f"(val/{metric} {tuned.val:.5g} vs {defaults.val:.5g}): defaults kept"
        )
    return Retrained(
        objective.family,
        metric,
        objective.direction,
        defaults,
        tuned,
        dict(best),
        kept,
        reason,
        defaults_from=source,
        epochs=epochs,
    )
