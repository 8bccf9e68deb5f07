"""params.yaml's `tuning` section: where the Optuna studies live, the pruner, and per family the
budget and the search space (dotted params keys -> a range or a list of choices).

A space names params keys exactly as `-S` does (`stock_lstm.hidden_size`); the rule that each
one exists, and holds the kind of value its range or choices give, spans sections, so it is
checked by `Params` (see `space_problems`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, Strict, model_validator

from dlpipe.config.base import (
    Bool,
    Count,
    Count0,
    Fraction,
    NonEmptyStr,
    Positive,
    ReadOnlyMap,
    Section,
    Str,
    rules_error,
)

TunedFamily = Literal[
    "stock_lstm", "faces", "recommender", "optimizers", "classifiers", "vae", "gan"
]
"""The families with an objective (dlpipe.tuning.objectives; a test keeps the two equal)."""

Number = Annotated[int, Strict()] | Annotated[float, Strict()]
Scalar = bool | int | float | str
Choice = Scalar | list[Scalar]


class SearchDimension(Section):
    """One params key's search range: `{low, high, log}` or `{choices: [...]}`.

    A range on an integer key draws integers; on a float key, floats (log-uniform with `log`).
    Choices may be lists (a network's widths); they are drawn as one categorical.
    """

    low: Number | None = None
    high: Number | None = None
    log: Bool = False
    choices: tuple[Choice, ...] | None = None

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchDimension:
        bounds = (self.low, self.high)
        if self.choices is not None:
            if any(b is not None for b in bounds) or self.log:
                raise rules_error([("choices", "give either choices or low/high (and log)")])
            if not self.choices:
                raise rules_error([("choices", "needs at least one choice")])
            return self
        if self.low is None or self.high is None:
            raise rules_error([("", "needs low and high, or choices")])
        if not self.low < self.high:
            raise rules_error([("high", f"must be > low ({self.low}) (got {self.high})")])
        if self.log and self.low <= 0:
            raise rules_error([("low", f"must be > 0 with log: true (got {self.low})")])
        return self

    @property
    def is_range(self) -> bool:
        return self.choices is None


class PrunerConfig(Section):
    """Optuna's MedianPruner: no pruning in the first `startup_trials` trials, nor before a
    trial has reported `warmup_epochs` epochs."""

    startup_trials: Count0
    warmup_epochs: Count0


class FamilyTuning(Section):
    """One family's study: `trials` in all (a rerun adds only the missing ones), no new trial
    after `timeout_s`, each trial trained for at most `max_epochs` (short trials; the tuned
    retrain uses the family's own settings). `fixed`: other params every trial uses (such as
    a smaller training subset), so the defaults and the candidates meet at the same fidelity.
    `test_fraction`: for a family without a test split (classifiers), the share of rows held
    out for the one test score of the retrain. `warmup_epochs`: this family's own pruner warmup
    (a noisy validation figure needs more epochs before it is compared; a 3-epoch trial less).
    `retrain_epochs`: the tuned retrain's length when the family's own (full) one does not fit
    the time budget; both models it compares are trained that long, except defaults whose
    figures the family's own stage recorded at full length (vae, gan): those are compared as
    recorded, so a shorter tuned model has to beat the full-length defaults to be kept."""

    trials: Count
    timeout_s: Positive
    max_epochs: Count
    space: Annotated[ReadOnlyMap[NonEmptyStr, SearchDimension], Field(min_length=1)]
    fixed: ReadOnlyMap[NonEmptyStr, Any] = Field(default_factory=dict)
    test_fraction: Fraction | None = None
    warmup_epochs: Count0 | None = None
    retrain_epochs: Count | None = None


class TuningConfig(Section):
    """`storage` "" is the journal file `journal` (under the repository root, shared by `dvc exp
    run --temp` copies; safe for several processes on one machine); otherwise an RDB URL
    (`postgresql://...` for workers on several machines, `sqlite:///...` for one)."""

    storage: Str
    journal: NonEmptyStr
    pruner: PrunerConfig
    families: ReadOnlyMap[TunedFamily, FamilyTuning]


def space_problems(params: BaseModel, tuning: TuningConfig) -> list[tuple[str, str]]:
    """(key, message) for each space or fixed key that params lack, or whose range or choices
    cannot hold that key's kind of value. Keys are relative to `tuning`."""
    problems = []
    for family, spec in tuning.families.items():
        where = f"families.{family}"
        for dotted, dim in spec.space.items():
            found, value, why = _find(params, dotted)
            if not found:
                problems.append((f"{where}.space", f"{dotted!r}: {why}"))
                continue
            message = _kind_problem(value, dim)
            if message:
                problems.append((f"{where}.space", f"{dotted!r}: {message}"))
        for dotted in spec.fixed:
            found, _, why = _find(params, dotted)
            if not found:
                problems.append((f"{where}.fixed", f"{dotted!r}: {why}"))
            elif dotted in spec.space:
                problems.append((f"{where}.fixed", f"{dotted!r}: also in the space"))
    return problems


_MISSING = object()


def _find(params: BaseModel, dotted: str) -> tuple[bool, Any, str]:
    """(whether params have key `dotted`, its value, why not). A section field that is unset
    (None) exists; so does a key of a mapping section (optimizer hyperparameters)."""
    value: Any = params
    walked: list[str] = []
    for part in dotted.split("."):
        if isinstance(value, BaseModel):
            if part not in type(value).model_fields:
                known = ", ".join(type(value).model_fields)
                return (
                    False,
                    None,
                    f"no such params key (under {'.'.join(walked) or 'params'}: {known})",
                )
            value = getattr(value, part)
        elif isinstance(value, Mapping):
            if part not in value:
                known = ", ".join(map(str, value))
                return False, None, f"no such params key (under {'.'.join(walked)}: {known})"
            value = value[part]
        else:
            return False, None, f"no such params key ({'.'.join(walked)} is a single value)"
        walked.append(part)
    if isinstance(value, BaseModel | Mapping):
        return False, None, "is a whole section: tune its keys one by one"
    return True, value, ""


def _kind_problem(value: Any, dim: SearchDimension) -> str:
    """Why `dim` cannot give values like `value` (the key's current value), or ""."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if dim.is_range:
        if value is not None and not numeric:
            return f"a range needs a numeric key (its value is {value!r}): use choices"
        integer_key = isinstance(value, int) and not isinstance(value, bool)
        if integer_key and not (isinstance(dim.low, int) and isinstance(dim.high, int)):
            return "an integer key: low and high must be integers"
        return ""
    listed = isinstance(value, tuple | list)
    for choice in dim.choices or ():
        if isinstance(choice, list) != listed:
            kind = "a list" if listed else "a single value"
            return f"every choice must be {kind}, like the key's value {_shown(value)}"
    return ""


def _shown(value: Any) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)
