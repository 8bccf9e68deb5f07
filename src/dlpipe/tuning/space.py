"""Search spaces: values for a trial from a family's `tuning.families.<family>.space`, and params
with those values applied as dotted overrides (validated like params.yaml itself).

Optuna names each parameter by its dotted params key. A range on an integer key is drawn with
`suggest_int`, on a float key with `suggest_float`; choices with `suggest_categorical`, list
choices (a network's widths) encoded as JSON text, since Optuna's categories are scalars.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import optuna

from dlpipe.config import ConfigError, Params, as_plain, build
from dlpipe.config.sections_tuning import SearchDimension


def current_value(params: Params, dotted: str) -> Any:
    """The value of dotted key `dotted` in `params` (a tuple as a list)."""
    value: Any = params
    for part in dotted.split("."):
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return list(value) if isinstance(value, tuple) else value


def is_integer_key(params: Params, dotted: str) -> bool:
    value = current_value(params, dotted)
    return isinstance(value, int) and not isinstance(value, bool)


def distribution(params: Params, dotted: str, dim: SearchDimension) -> Any:
    """The Optuna distribution of one space entry (its kind follows the key's current value)."""
    if not dim.is_range:
        return optuna.distributions.CategoricalDistribution([_encode(c) for c in dim.choices or ()])
    if is_integer_key(params, dotted):
        return optuna.distributions.IntDistribution(int(dim.low), int(dim.high), log=dim.log)  # type: ignore[arg-type]
    return optuna.distributions.FloatDistribution(float(dim.low), float(dim.high), log=dim.log)  # type: ignore[arg-type]


def suggest(
    trial: optuna.Trial,
    params: Params,
    space: Mapping[str, SearchDimension],
    only: set[str] | None = None,
) -> dict[str, Any]:
    """One value per space key (`only`: just those keys), drawn by the study's sampler (or the
    values the trial was enqueued with), decoded to params values."""
    values = {}
    for dotted, dim in space.items():
        if only is not None and dotted not in only:
            continue
        dist = distribution(params, dotted, dim)
        if isinstance(dist, optuna.distributions.CategoricalDistribution):
            values[dotted] = _decode(trial.suggest_categorical(dotted, dist.choices))
        elif isinstance(dist, optuna.distributions.IntDistribution):
            values[dotted] = trial.suggest_int(dotted, dist.low, dist.high, log=dist.log)
        else:
            values[dotted] = trial.suggest_float(dotted, dist.low, dist.high, log=dist.log)
    return values


def representable(params: Params, space: Mapping[str, SearchDimension]) -> dict[str, Any]:
    """The current values (Optuna's form) of the keys whose range or choices hold them: what
    the defaults trial is enqueued with. A profile may set a default outside the space (a GPU
    profile's wider network); that key then keeps its value without being a trial param."""
    inside = {}
    for dotted, dim in space.items():
        dist = distribution(params, dotted, dim)
        value = current_value(params, dotted)
        encoded = _encode(value) if not dim.is_range else value
        try:
            contained = dist._contains(dist.to_internal_repr(encoded))
        except (ValueError, TypeError):
            contained = False
        if contained:
            inside[dotted] = encoded
    return inside


def decode_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's params (Optuna's form) as params values (list choices decoded)."""
    return {key: _decode(value) for key, value in values.items()}


def apply(params: Params, values: Mapping[str, Any], where: str = "tuning") -> Params:
    """`params` with each dotted key of `values` set, validated as a whole; a combination that
    params.yaml would refuse raises ConfigError naming the key (`where` prefixes it)."""
    if not values:
        return params
    plain = as_plain(params)
    for dotted, value in values.items():
        _set(plain, dotted, value)
    try:
        return build(Params, plain, where)
    except ConfigError as exc:
        raise ConfigError(f"{dict(values)} give invalid params:\n{exc}") from None


def _set(plain: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = plain
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _encode(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        return json.loads(value)
    return value
