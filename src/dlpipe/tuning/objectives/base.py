"""What a family's objective is: its figure, direction, data and one scoring function.

`score(params, data, trial, workdir, with_test)` trains the family's model through the family's
own training function with `params` (a trial's values already applied) and returns its
validation figure; with `with_test` (the tuned retrain only) also the same figure on the test
split, measured once. With a `trial`, the study runner has added Optuna's pruning callback to
every Trainer (`training.trial_hooks`); a family without a Lightning epoch loop (the
classifiers' cross-validation) reports to the trial itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import optuna

from dlpipe.config import Params

Direction = Literal["minimize", "maximize"]


@dataclass(frozen=True)
class Scores:
    """A model's figure on the validation split (or CV), on the test split (retrain only),
    and other figures worth a line (`extra`, such as test accuracy next to a loss)."""

    val: float
    test: float | None = None
    extra: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedDefaults:
    """The defaults' figures as the family's own training stage recorded them (at its full
    settings, on the same splits), so the tuned retrain does not train the defaults again.

    `path`: that stage's JSON output, relative to the repository (a dep of train_tuned@<family>);
    `stage`: its name, for messages; `read(params, data)`: the figures from its parsed contents
    (`Scores` with `val` and `test`), raising ValueError when they are not there.
    """

    path: str
    stage: str
    read: Callable[[Params, Mapping[str, Any]], Scores]


@dataclass(frozen=True)
class Objective:
    """One family's tuning objective.

    `metric` names the figure (`rmse`, `loss`, `acc`, `roc_auc`); `monitor` the Lightning metric
    the pruner watches per epoch (None: `score` reports to the trial itself); `fidelity` gives
    the params overrides that cap a trial at `max_epochs`; `reads` the params keys the objective
    reads besides the space (the study's name hashes them); `data` the input files, relative to
    the repository (dvc.yaml's deps); `load` reads them once per study. `recorded`: where the
    family's training stage already wrote the defaults' figures (None: the retrain trains them).
    """

    family: str
    metric: str
    direction: Direction
    monitor: str | None
    fidelity: Callable[[Params, int], dict[str, Any]]
    reads: tuple[str, ...]
    data: tuple[str, ...]
    load: Callable[[Params, Path], Any]
    score: Callable[[Params, Any, optuna.Trial | None, Path, bool], Scores]
    recorded: RecordedDefaults | None = None

    def better(self, a: float, b: float) -> bool:
        """Whether figure `a` is strictly better than `b` (a NaN is never better)."""
        if not math.isfinite(a):
            return False
        if not math.isfinite(b):
            return True
        return a < b if self.direction == "minimize" else a > b

    def gain(self, new: float, old: float) -> float:
        """How much better `new` is than `old`, positive when better (either direction)."""
        return old - new if self.direction == "minimize" else new - old


def tuned_entry(params: Params, family: str, prefix: str) -> str:
    """The one entry of a mapping section that a family's space tunes: for prefix
    `recommender.autoencoders`, the `autorec` of `recommender.autoencoders.autorec.l2`.

    A space that names no entry, or several, cannot say which model to train.
    """
    space = params.tuning.families[family].space
    depth = prefix.count(".") + 1
    names = {key.split(".")[depth] for key in space if key.startswith(prefix + ".")}
    if len(names) != 1:
        found = ", ".join(sorted(names)) or "none"
        raise ValueError(
            f"tuning.families.{family}.space must name exactly one entry of {prefix} "
            f"(found: {found})"
        )
    return names.pop()
