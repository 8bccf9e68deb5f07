"""Every stage in dvc.yaml declares as deps its script and every project file the script imports.

DVC reruns a stage only when a declared dep changes, so an imported module missing from `deps`
means an edit to it leaves stale results that `dvc repro` calls up to date. For each stage the
script is read from `cmd` (`PYTHONPATH=src python pipeline/<name>.py`, or `python -m module`),
and the transitive closure of the project modules it imports is computed from the source (AST,
nothing is imported): `import a.b`, `from a import b` (b a submodule or a name), relative
imports, imports inside functions, and the `__init__.py` of every package along the way. Scrapy-
style dotted strings that name a project module (`"dlpipe.crawling.pipelines.SomePipeline"`, at
least three parts) count as imports too. A file is covered by a dep equal to it or to one of its
folders. Missing deps are suggested as paste-ready dvc.yaml lines: the subpackage folder
(`src/dlpipe/vision`), or the file itself for a top-level module (`src/dlpipe/config.py`).
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = re.compile(r"python(3(\.\d+)?)?$")
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*){2,}")
OPTIONS_WITH_VALUE = {"-W", "-X", "-Q"}


def _module_files(name: str, roots: Sequence[Path]) -> list[Path]:
    """Files Python executes for `import name`: each package's __init__.py down to the module.

    Empty when `name` is not a project module. Like Python, the first root holding the top-level
    package wins; a trailing part that is not a module (a class, a function) is dropped.
    """
    parts = name.split(".")
    for root in roots:
        if not ((root / f"{parts[0]}.py").is_file() or (root / parts[0] / "__init__.py").is_file()):
            continue
        files, folder = [], root
        for part in parts:
            if (folder / part / "__init__.py").is_file():
                folder = folder / part
                files.append(folder / "__init__.py")
            elif (folder / f"{part}.py").is_file():
                files.append(folder / f"{part}.py")
                break
            else:
                break
        return files
    return []


def _module_name(file: Path, roots: Sequence[Path]) -> tuple[str, bool]:
    """The dotted name of a file under one of the roots, and whether it is a package."""
    for root in roots:
        if file.is_relative_to(root):
            parts = list(file.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            return ".".join(parts[:-1] if is_package else parts), is_package
    return file.stem, False


def _imported_names(file: Path, roots: Sequence[Path]) -> Iterator[str]:
    """Every module name the file may import, wherever the import statement sits."""
    module, is_package = _module_name(file, roots)
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), filename=str(file))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and DOTTED.fullmatch(node.value)
        ):
            parts = node.value.split(".")
            for name in (node.value, ".".join(parts[:-1])):
                found = _module_files(name, roots)
                if len(name.split(".")) >= 3 and len(found) == len(name.split(".")):
                    yield name
                    break


def import_closure(entry: Path, roots: Sequence[Path]) -> set[Path]:
    """The entry file plus every project file it imports, directly or not."""
    closure: set[Path] = set()
    todo = [entry]
    while todo:
        file = todo.pop()
        if file in closure:
            continue
        closure.add(file)
        for name in _imported_names(file, roots):
            todo.extend(_module_files(name, roots))
    return closure


def _entry(command: str, wdir: Path) -> tuple[Path, list[Path]]:
    """The file a `[VAR=value ...] python [options] script.py|-m module` command runs, and the
    roots its imports resolve against (the script's folder or wdir, then PYTHONPATH)."""
    tokens = shlex.split(command)
    env: dict[str, str] = {}
    while tokens and ASSIGNMENT.match(tokens[0]):
        key, _, value = tokens.pop(0).partition("=")
        env[key] = value
    if tokens and tokens[0] == "env":
        tokens.pop(0)
        while tokens and ASSIGNMENT.match(tokens[0]):
            key, _, value = tokens.pop(0).partition("=")
            env[key] = value
    if not tokens or not PYTHON.search(tokens[0]):
        raise ValueError(f"not a `python script.py` or `python -m module` command: {command!r}")
    tokens.pop(0)
    path = [wdir / p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    while tokens and tokens[0].startswith("-") and tokens[0] != "-m":
        tokens = tokens[2:] if tokens[0] in OPTIONS_WITH_VALUE else tokens[1:]
    if len(tokens) >= 2 and tokens[0] == "-m":
        roots = [wdir, *path]
        files = _module_files(tokens[1], roots)
        if not files or not files[-1].stem == tokens[1].rpartition(".")[2]:
            raise ValueError(f"module {tokens[1]!r} of {command!r} not found under {roots}")
        return files[-1], roots
    if not tokens or not tokens[0].endswith(".py"):
        raise ValueError(f"no script.py in command {command!r}")
    script = Path(os.path.normpath(wdir / tokens[0]))
    return script, [script.parent, *path]


def _suggestion(file: Path, roots: Sequence[Path]) -> Path:
    """The dep to declare for a file: its subpackage folder (root/pkg/sub), else the file."""
    for root in roots:
        if file.is_relative_to(root):
            parts = file.relative_to(root).parts
            return root / parts[0] / parts[1] if len(parts) >= 3 else file
    return file


INTERPOLATION = re.compile(r"\$\{\s*(key|item)((?:\.\w+|\[\d+\])*)\s*\}")


def expand_foreach(stages: dict[str, Any]) -> dict[str, Any]:
    """`foreach` stages as DVC names and fills them: `name@key`, each `${key}`, `${item}` and
    `${item.field[0]}` replaced (a list's items are their own keys); other stages unchanged."""
    expanded: dict[str, Any] = {}
    for name, spec in stages.items():
        if "foreach" not in spec:
            expanded[name] = spec
            continue
        items = spec["foreach"]
        pairs = items.items() if isinstance(items, dict) else ((item, item) for item in items)
        for key, item in pairs:
            expanded[f"{name}@{key}"] = _fill(spec["do"], str(key), item)
    return expanded


def _fill(value: Any, key: str, item: Any) -> Any:
    if isinstance(value, dict):
        return {_fill(k, key, item): _fill(v, key, item) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, key, item) for v in value]
    if not isinstance(value, str):
        return value

    def resolve(match: re.Match[str]) -> str:
        found: Any = key if match.group(1) == "key" else item
        for part in re.findall(r"\.(\w+)|\[(\d+)\]", match.group(2)):
            found = found[part[0]] if part[0] else found[int(part[1])]
        return str(found)

    return INTERPOLATION.sub(resolve, value)


def missing_deps(dvc_yaml: Path) -> dict[str, dict[str, list[str]]]:
    """Per stage with gaps: {dep to add: the uncovered files it covers}, paths as dvc.yaml writes
    them; a stage that cannot be checked gets {"(why)": []}."""
    project = dvc_yaml.parent
    stages = expand_foreach(yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")).get("stages", {}))
    report: dict[str, dict[str, list[str]]] = {}
    for name, spec in stages.items():
        if "matrix" in spec:
            report[name] = {"(matrix stages are not checked yet: expand them here)": []}
            continue
        wdir = Path(os.path.normpath(project / spec.get("wdir", ".")))
        deps = [Path(os.path.normpath(wdir / str(dep))) for dep in spec.get("deps", [])]
        commands = spec["cmd"] if isinstance(spec["cmd"], list) else [spec["cmd"]]
        missing: dict[str, list[str]] = {}

        def rel(path: Path, wdir: Path = wdir) -> str:
            return os.path.relpath(path, wdir).replace(os.sep, "/")

        try:
            for command in commands:
                script, roots = _entry(command, wdir)
                for file in import_closure(script, roots):  # the script itself included
                    if file.is_relative_to(project) and not any(
                        file.is_relative_to(d) for d in deps
                    ):
                        dep = file if file == script else _suggestion(file, roots)
                        missing.setdefault(rel(dep), []).append(rel(file))
        except (ValueError, OSError, SyntaxError) as exc:
            report[name] = {f"(cannot read the stage's script: {exc})": []}
            continue
        if missing:
            report[name] = {dep: sorted(files) for dep, files in sorted(missing.items())}
    return report


def format_report(report: dict[str, dict[str, list[str]]]) -> str:
    """Paste-ready `deps:` lines per stage; a folder names the files that need it (listing
    those files instead also satisfies the check)."""
    lines = ["dvc.yaml misses deps that its stages import; add under each stage's `deps:`"]
    for stage, deps in report.items():
        lines.append(f"  {stage}:")
        for dep, files in deps.items():
            note = f"  # for {', '.join(files)}" if files and files != [dep] else ""
            lines.append(f"      - {dep}{note}")
    return "\n".join(lines)


def test_every_stage_declares_its_script_and_imports() -> None:
    report = missing_deps(REPO / "dvc.yaml")
    assert not report, format_report(report)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_missing_dep_is_named(tmp_path: Path) -> None:
    _write(
        tmp_path / "dvc.yaml",
        """\
stages:
  complete:
    cmd: PYTHONPATH=src python pipeline/complete.py
    deps: [pipeline/complete.py, src/toy/__init__.py, src/toy/config.py, src/toy/vision]
  file_by_file:
    cmd: PYTHONPATH=src python pipeline/complete.py
    deps:
      - pipeline/complete.py
      - src/toy/__init__.py
      - src/toy/config.py
      - src/toy/vision/__init__.py
      - src/toy/vision/crops.py
  function_level:
    cmd: PYTHONPATH=src python pipeline/function_level.py
    deps: [pipeline, src/toy/__init__.py, src/toy/config.py, data/raw.csv]
  no_script_dep:
    cmd: PYTHONPATH=src python pipeline/other.py
    deps: [src/toy/config.py, src/toy/__init__.py]
  by_string:
    cmd: PYTHONPATH=src python pipeline/by_string.py
    deps: [pipeline/by_string.py, src/toy/__init__.py, src/toy/config.py, src/toy/reporting]
""",
    )
    _write(tmp_path / "src/toy/__init__.py", "")
    _write(tmp_path / "src/toy/config.py", "import json\n\nSIZE = 1\n")
    _write(tmp_path / "src/toy/vision/__init__.py", "")
    _write(tmp_path / "src/toy/vision/crops.py", "from ..config import SIZE\n")
    _write(tmp_path / "src/toy/reporting/__init__.py", "")
    _write(tmp_path / "src/toy/reporting/pages.py", "from . import tables\n")
    _write(tmp_path / "src/toy/reporting/tables.py", "PIPELINE = 'toy.vision.crops.Crop'\n")
    _write(tmp_path / "pipeline/complete.py", "from toy.vision import crops\n")
    _write(
        tmp_path / "pipeline/function_level.py",
        "from toy.config import SIZE\n\n\ndef main():\n    from toy import vision\n",
    )
    _write(tmp_path / "pipeline/other.py", "import toy.config\n")
    _write(tmp_path / "pipeline/by_string.py", "from toy.reporting import pages\n")

    report = missing_deps(tmp_path / "dvc.yaml")

    assert report == {
        "function_level": {"src/toy/vision": ["src/toy/vision/__init__.py"]},
        "no_script_dep": {"pipeline/other.py": ["pipeline/other.py"]},
        "by_string": {"src/toy/vision": ["src/toy/vision/__init__.py", "src/toy/vision/crops.py"]},
    }
    text = format_report(report)
    assert "  function_level:\n      - src/toy/vision  # for src/toy/vision/__init__.py\n" in text
    assert "  no_script_dep:\n      - pipeline/other.py\n" in text
