"""Reading params.yaml: every mistake at once, one line each, named by its dotted key."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dlpipe.atomic import write_json
from dlpipe.config.base import RULES_ERROR, SHA256_PATTERN
from dlpipe.config.params import Params
from dlpipe.paths import project_root

SCHEMA_FILE = Path("docs") / "params.schema.json"
M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """params.yaml is missing or malformed, or has unknown, wrongly typed or out-of-range keys."""


def load_params(path: Path | None = None) -> Params:
    """Read and validate params.yaml (the project's by default); ConfigError lists every error."""
    params, problems = _validate(path or project_root() / "params.yaml")
    if params is None:
        raise ConfigError("\n".join(problems))
    return params


def check_params_file(path: Path) -> list[str]:
    """Every problem of a params file as `PATH: dotted.key: message` lines; [] when it is valid."""
    return _validate(path)[1]


def _validate(path: Path) -> tuple[Params | None, list[str]]:
    try:
        raw = _read_yaml(path)
    except ConfigError as exc:
        return None, [str(exc)]
    try:
        return Params.model_validate(raw), []
    except ValidationError as exc:
        return None, [f"{path}: {line}" for line in error_lines(exc, Params)]


def build(kind: type[M], value: Any, where: str) -> M:
    """Validate plain data (e.g. settings saved with a model) into section `kind`.

    `where` names the data in errors: each line reads `where.key: message`.
    """
    try:
        return kind.model_validate(value)
    except ValidationError as exc:
        raise ConfigError("\n".join(error_lines(exc, kind, where))) from None


def as_plain(value: Any) -> Any:
    """A config object back to plain dicts/lists (for MLflow params and hashes).

    A section gives the keys set in its YAML (an autoencoder's `network` lists only overrides).
    """
    if isinstance(value, BaseModel):
        set_keys = value.model_fields_set
        return {k: as_plain(getattr(value, k)) for k in type(value).model_fields if k in set_keys}
    if isinstance(value, Mapping):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    return value


def params_json_schema() -> dict[str, Any]:
    """JSON Schema of params.yaml, for editors (yaml-language-server reads its first line)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **Params.model_json_schema()}


def write_params_schema(path: Path | None = None) -> Path:
    """Write `params_json_schema()` to docs/params.schema.json (tests fail while it is stale)."""
    path = path or project_root() / SCHEMA_FILE
    write_json(path, params_json_schema())
    return path


class ParamsLoader(yaml.SafeLoader):
    """PyYAML's safe loader, plus YAML 1.2's exponent floats without a dot (`1e-07`), and
    refusing a key written twice in one mapping.

    DVC writes `-S eps=1e-7` back into params.yaml as `1e-07`, which YAML 1.1 reads as a string.
    PyYAML keeps the last of two equal keys without a word, so an edit lower in the file would
    silently undo one above it. A key that overrides a merged anchor (`<<: *base`) is not a
    repeat: that is what merge keys are for.
    """

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # The first call sees the mapping as written: flattening rewrites node.value in place,
        # and an anchored mapping may be flattened again when another mapping merges it.
        checked = self.__dict__.setdefault("_checked_mappings", set())
        if id(node) not in checked:
            checked.add(id(node))
            _refuse_repeated_keys(node)
        super().flatten_mapping(node)


def _refuse_repeated_keys(node: yaml.MappingNode) -> None:
    first: dict[str, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        if key_node.value in first:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"key {key_node.value!r} appears twice in one mapping (lines "
                f"{first[key_node.value]} and {line}); delete one of them",
                key_node.start_mark,
            )
        first[key_node.value] = line


ParamsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; run from the project root") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=ParamsLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        what = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ConfigError(f"{path}: not valid YAML{where}: {what}") from None


# --- error lines ------------------------------------------------------------------------------

_EXPECTED = {
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "mapping_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
}
_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_PATTERNS = {SHA256_PATTERN: "a sha256 (64 lowercase hex digits)"}


def error_lines(exc: ValidationError, root: type[BaseModel], where: str = "") -> list[str]:
    """`dotted.key: message` per error; `root` is the model validated (to suggest known keys)."""
    errors = exc.errors(include_url=False)
    locs = [tuple(p for p in e["loc"] if p != "[key]") for e in errors]
    lines = []
    for error, loc in zip(errors, locs, strict=True):
        if error["type"] in ("too_short", "too_long") and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue  # an item failed, so the count after validation is off: already said
        key = _dotted(where, loc)
        if error["type"] == RULES_ERROR:
            lines += [f"{_join(key, k)}: {m}" for k, m in error["ctx"]["problems"]]
        else:
            lines.append(f"{key or '<top level>'}: {_message(error, root, loc)}")
    return lines


def _message(error: Any, root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(root, loc)
    if kind == "missing":
        return "missing key"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_describe(value)}"
    if kind in _BOUNDS:
        op, name = _BOUNDS[kind]
        return f"must be {op} {_number(ctx[name])} (got {value!r})"
    if kind == "literal_error":
        choices = ctx["expected"].replace(" or ", ", ")
        return f"must be one of {choices} (got {value!r})"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s) (got {ctx['actual_length']})"
    if kind == "too_long":
        return f"takes at most {ctx['max_length']} item(s) (got {ctx['actual_length']})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        pattern = ctx["pattern"]
        return f"must be {_PATTERNS.get(pattern, f'like {pattern}')} (got {value!r})"
    if kind == "finite_number":
        return f"must be a finite number (got {value!r})"
    return str(error["msg"])


def _unknown_key(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    known = _keys_at(root, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})" if known else "unknown key"


def _keys_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the section at `loc` under `root` ([] if it is not a section)."""
    kind: Any = root
    for part in loc:
        kind = _bare(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            if field is None:
                return []
            kind = field.annotation
        elif typing.get_origin(kind) in (Mapping, dict):
            kind = typing.get_args(kind)[1]
        else:
            return []
    kind = _bare(kind)
    return list(kind.model_fields) if isinstance(kind, type) and issubclass(kind, BaseModel) else []


def _bare(kind: Any) -> Any:
    """`kind` without Annotated metadata and without `| None`."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (types.UnionType, typing.Union):
            options = [a for a in typing.get_args(kind) if a is not type(None)]
            if len(options) != 1:
                return kind
            kind = options[0]
        else:
            return kind


def _dotted(where: str, loc: tuple[Any, ...]) -> str:
    key = where
    for part in loc:
        key = _join(key, f"[{part}]" if isinstance(part, int) else str(part))
    return key


def _join(key: str, part: str) -> str:
    if not key or not part:
        return key or part
    return key + part if part.startswith("[") else f"{key}.{part}"


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _describe(value: Any) -> str:
    """A YAML-flavoured description of a wrong value: `string 'three'`, `a mapping`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    names = {str: "string", int: "integer", float: "number"}
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {text}"
