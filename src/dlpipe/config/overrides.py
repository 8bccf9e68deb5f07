"""A params override (such as params.gpu.yaml): only the keys that differ from params.yaml.

DVC reads one params file per stage, so an override is applied one of two ways: merged into a
complete params file (`apply_override`), or as `dvc exp run -S key=value` arguments, one per
leaf (`override_set_args`; `make repro-gpu` uses them). Either way the merged result is
validated like params.yaml first: an unknown or wrong key fails, every mistake at once.

    python -m dlpipe.config.overrides check params.gpu.yaml
    python -m dlpipe.config.overrides set-args params.gpu.yaml   # shell-quoted -S arguments
    python -m dlpipe.config.overrides merge params.gpu.yaml      # the merged params, as YAML
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dlpipe.config.loading import ConfigError, _read_yaml, check_params_file, error_lines
from dlpipe.config.params import Params
from dlpipe.paths import project_root

SCHEMA_LINE = "# yaml-language-server: $schema=docs/params.schema.json\n"
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")  # a key `-S a.b.c=...` can name
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")  # a string that needs no quotes
_KEYWORDS = {"true", "false", "yes", "no", "on", "off", "null", "none", "inf", "nan", "y", "n"}


def merge(base: Any, override: Any) -> Any:
    """`override` on top of `base`: mappings merge key by key; anything else (lists) replaces."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


def apply_override(base: Path, override: Path) -> str:
    """The params file `base` with `override` merged in, as YAML text (first line: the schema).

    Raises ConfigError listing every problem, each as `OVERRIDE: dotted.key: message` (or the
    base file's own problems first, if it has any).
    """
    merged = merged_params(base, override)
    return SCHEMA_LINE + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, width=100)


def merged_params(base: Path, override: Path) -> dict[str, Any]:
    """`apply_override`'s result as plain data (validated)."""
    problems = check_params_file(base)
    if problems:
        raise ConfigError("\n".join(problems))
    changes = _read_override(override)
    merged = merge(_read_yaml(base), changes)
    try:
        Params.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(
            "\n".join(f"{override}: {line}" for line in error_lines(exc, Params))
        ) from None
    return merged


def override_set_args(override: Path, base: Path | None = None) -> list[str]:
    """`dvc exp run` arguments for `override`: `["-S", "key=value", ...]`, one pair per leaf.

    Values are YAML flow syntax that Hydra (DVC's `-S` parser) reads the same way: lists as
    `[1000, 1000]`, strings quoted where YAML or Hydra would read them otherwise. With `base`,
    the override is validated against it first, and a key that `base` lacks is added (`+key=`,
    its whole value at once). A mapping in the override is followed down to its leaves, so
    `-S` changes only the keys the override names.
    """
    existing = None
    if base is not None:
        merged_params(base, override)
        existing = _read_yaml(base)
    args: list[str] = []
    for key, value, new in _leaves(_read_override(override), existing, ()):
        args += ["-S", f"{'+' if new else ''}{key}={flow(value)}"]
    return args


def flow(value: Any) -> str:
    """`value` in YAML flow syntax that Hydra's override grammar reads as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be a params value")
        # DVC writes 1e-07 back as `1e-07`; params.yaml's reader takes it as a float (YAML 1.2).
        return repr(value)
    if isinstance(value, str):
        return _flow_str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow_key(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    raise ValueError(f"{value!r} ({type(value).__name__}) is not a params value")


def _flow_str(text: str) -> str:
    if _PLAIN.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    if any(bad in text for bad in ('"', "\\", "${", "\n")):
        raise ValueError(f"{text!r} cannot be passed with -S: set it in params.yaml instead")
    return f'"{text}"'


def _flow_key(key: Any) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"key {key!r} cannot be passed with -S: set it in params.yaml instead")
    return key


def _leaves(
    changes: Mapping[str, Any], existing: Mapping[str, Any] | None, path: tuple[str, ...]
) -> list[tuple[str, Any, bool]]:
    """(dotted key, value, whether `existing` lacks the key) for each leaf of `changes`.

    A key `existing` lacks is one leaf with its whole value; `existing` None: nothing is new.
    """
    leaves = []
    for key, value in changes.items():
        dotted = (*path, _flow_key(key))
        below = None if existing is None else existing.get(key)
        if existing is not None and key not in existing:
            leaves.append((".".join(dotted), value, True))
        elif (
            isinstance(value, Mapping)
            and value
            and (existing is None or isinstance(below, Mapping))
        ):
            leaves += _leaves(value, below, dotted)
        else:
            leaves.append((".".join(dotted), value, False))
    return leaves


def _read_override(path: Path) -> Mapping[str, Any]:
    raw = _read_yaml(path)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: <top level>: expected a mapping of params to change")
    return raw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlpipe.config.overrides",
        description="Check, merge or turn into `dvc exp run -S` arguments a params override.",
    )
    parser.add_argument("action", choices=("check", "merge", "set-args"))
    parser.add_argument("override", type=Path, help="e.g. params.gpu.yaml")
    parser.add_argument(
        "--base", type=Path, default=None, help="the full params file (default: params.yaml)"
    )
    args = parser.parse_args(argv)
    base = args.base or project_root() / "params.yaml"
    try:
        if args.action == "check":
            merged_params(base, args.override)
            print(f"{args.override}: OK on top of {base}")
        elif args.action == "merge":
            sys.stdout.write(apply_override(base, args.override))
        else:
            print(shlex.join(override_set_args(args.override, base)))
    except (ConfigError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
