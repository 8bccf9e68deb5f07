"""`dlpipe stages`: each DVC stage, the family it belongs to and what it writes.

The stages and their outputs come from dvc.yaml. The family is the `family=` of the stage
script's module-level `SPEC = StageSpec(...)`, read from the script's syntax tree: importing a
stage script would import everything the stage needs (torch, MLflow) just to read one string.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dlpipe.serving.errors import ServingError

UNKNOWN = "-"
_SCRIPT = re.compile(r"(\S+\.py)\b")


@dataclass(frozen=True)
class StageInfo:
    name: str
    family: str  # "-" when the script declares none
    writes: tuple[str, ...]  # outs, metrics and plots, in dvc.yaml's order


def list_stages(root: Path) -> list[StageInfo]:
    """The stages of `root`/dvc.yaml in file order."""
    dvc_yaml = root / "dvc.yaml"
    try:
        spec = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ServingError(f"{dvc_yaml}: not found; run from the project folder") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ServingError(f"{dvc_yaml}: not readable YAML: {exc}") from exc
    stages = spec.get("stages") if isinstance(spec, dict) else None
    if not isinstance(stages, dict):
        raise ServingError(f"{dvc_yaml}: no `stages:` mapping")
    rows = []
    for name, stage in stages.items():
        body = stage.get("do", stage) if isinstance(stage, dict) else {}
        rows.append(
            StageInfo(str(name), stage_family(_script(root, str(name), body)), _writes(body))
        )
    return rows


def _writes(body: dict[str, Any]) -> tuple[str, ...]:
    """Paths of outs, metrics and plots; an entry is a path or `{path: {options}}`."""
    found: list[str] = []
    for key in ("outs", "metrics", "plots"):
        for entry in body.get(key) or []:
            if isinstance(entry, dict):
                found.extend(str(path) for path in entry)
            else:
                found.append(str(entry))
    return tuple(found)


def _script(root: Path, name: str, body: dict[str, Any]) -> Path:
    """The stage's Python script: the first `*.py` of its cmd, else pipeline/<name>.py."""
    cmd = body.get("cmd")
    commands = cmd if isinstance(cmd, list) else [cmd]
    for command in commands:
        match = _SCRIPT.search(str(command or ""))
        if match:
            return root / match.group(1)
    return root / "pipeline" / f"{name}.py"


def stage_family(script: Path) -> str:
    """The string `family=` of a module-level `SPEC = StageSpec(...)` in `script`, else "-"."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    except (OSError, SyntaxError, ValueError):
        return UNKNOWN
    constants = _string_constants(tree)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            named = any(isinstance(t, ast.Name) and t.id == "SPEC" for t in node.targets)
        elif isinstance(node, ast.AnnAssign):
            named = isinstance(node.target, ast.Name) and node.target.id == "SPEC"
        else:
            continue
        value = node.value
        if not (named and isinstance(value, ast.Call) and _is_stage_spec(value.func)):
            continue
        for keyword in value.keywords:
            if keyword.arg != "family":
                continue
            if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                return keyword.value.value
            if isinstance(keyword.value, ast.Name) and keyword.value.id in constants:
                return constants[keyword.value.id]
    return UNKNOWN


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments (for `family=FAMILY`)."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _is_stage_spec(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "StageSpec"
    return isinstance(func, ast.Attribute) and func.attr == "StageSpec"


def stage_table(rows: list[StageInfo]) -> str:
    """An aligned text table: one line per written path, the stage and family on its first."""
    header = ("stage", "family", "writes")
    lines: list[tuple[str, str, str]] = []
    for row in rows:
        writes = row.writes or ("-",)
        lines.append((row.name, row.family, writes[0]))
        lines.extend(("", "", path) for path in writes[1:])
    width_stage = max(len(line[0]) for line in (header, *lines))
    width_family = max(len(line[1]) for line in (header, *lines))
    rule = ("-" * width_stage, "-" * width_family, "-" * len(header[2]))
    return "\n".join(
        f"{a:<{width_stage}}  {b:<{width_family}}  {c}".rstrip()
        for a, b, c in (header, rule, *lines)
    )
