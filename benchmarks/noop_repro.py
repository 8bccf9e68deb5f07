"""The cost of a no-op `dvc repro` on our pipeline vs a one-stage pipeline in a fresh repo.

"No-op" means nothing changed, so DVC only walks the workspace and checks hashes and the lock
file. Ours must stay cheap (target: median at most 1.5x the floor) or people stop running
`dvc repro` just to confirm all is current. The fresh one-stage repo, run by the same dvc
executable, is DVC's own floor (start-up, Git, the lock file). `dvc status` is timed too: the
same checks, no lock write.

A `dvc repro` with something changed would train models instead of measuring a no-op, so ours
is timed only while `dvc status` says it is up to date (checked, untimed, before every run).
While others are changing the project, `--snapshot` times a copy of it instead (the virtual
environment and MLflow store left out, as .dvcignore leaves them out) whose lock file is
re-committed to the copied files with `dvc commit -f`: same stages, deps and outs, no training.
`--clone` times a fresh `git clone` of the project's last commit instead, after one untimed
`dvc repro` there (minutes: the whole pipeline runs once); `--repo PATH` times such a clone
prepared earlier (`git clone . /tmp/c && cd /tmp/c && dvc repro`). Either way the figures go to
this project's docs/benchmarks.md.

Run: .venv/bin/python benchmarks/noop_repro.py [--repeats 5]
     [--snapshot | --clone | --repo PATH | --status-only] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import yaml
from ruamel.yaml import __version__ as ruamel_version
from ruamel.yaml.main import CParser

from dlpipe import paths
from docs_section import write_section

TARGET_RATIO = 1.5  # our median no-op repro may take at most this many times the floor's
MINIMAL_STAGE = """\
stages:
  copy_text:
    cmd: cp in.txt out.txt
    deps:
      - in.txt
    outs:
      - out.txt
"""
NOT_COPIED = (".venv", "mlruns", ".cache", ".pytest_cache", ".ruff_cache")


class NotUpToDate(RuntimeError):
    """Our pipeline has changes, so `dvc repro` would run stages rather than do nothing."""


def dvc_env() -> dict[str, str]:
    """The environment for every dvc call: no analytics ping, the venv's tools first on PATH."""
    env = dict(os.environ, DVC_NO_ANALYTICS="true")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def dvc(args: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the venv's dvc; a failure raises with DVC's own message."""
    exe = Path(sys.executable).parent / "dvc"
    done = subprocess.run(
        [str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} in {cwd} failed:\n{done.stdout}{done.stderr}")
    return done


def require_up_to_date(repo: Path, env: Mapping[str, str]) -> None:
    """Raise NotUpToDate naming what changed, if anything has."""
    changed = json.loads(dvc(["status", "--json"], repo, env).stdout or "{}")
    if changed:
        raise NotUpToDate(
            f"`dvc status` in {repo} is not clean, so a `dvc repro` would run stages: "
            f"{json.dumps(changed)}. Run the pipeline first, or time a copy with --snapshot."
        )


def timed(command: str, repo: Path, env: Mapping[str, str]) -> float:
    """Seconds for one dvc call; a `repro` that ran a stage was no no-op and raises."""
    started = time.perf_counter()
    done = dvc([command], repo, env)
    seconds = time.perf_counter() - started
    if "Running stage" in done.stdout:
        raise NotUpToDate(f"`dvc repro` in {repo} ran a stage, not a no-op:\n{done.stdout}")
    return seconds


def minimal_repo(folder: Path, env: Mapping[str, str]) -> Path:
    """A fresh git+dvc repo holding one stage, already reproduced once."""
    folder.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=folder, env=env, check=True)
    dvc(["init", "-q"], folder, env)
    (folder / "in.txt").write_text("hello\n", encoding="utf-8")
    (folder / "dvc.yaml").write_text(MINIMAL_STAGE, encoding="utf-8")
    dvc(["repro"], folder, env)
    return folder


def snapshot_repo(root: Path, folder: Path, env: Mapping[str, str]) -> Path:
    """A copy of the project whose dvc.lock matches its files, so a repro there is a no-op."""
    shutil.copytree(root, folder, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    dvc(["commit", "-f", "-q"], folder, env)
    return folder


def clone_repo(root: Path, folder: Path, env: Mapping[str, str]) -> Path:
    """A fresh clone of the project's last commit, its pipeline run once so a repro is a no-op."""
    subprocess.run(["git", "clone", "-q", str(root), str(folder)], env=env, check=True)
    print(f"running the whole pipeline once in {folder} (untimed, minutes)...", file=sys.stderr)
    dvc(["repro"], folder, env)
    return folder


def describe(repo: Path) -> tuple[int, str]:
    """Stage count of a repo's dvc.yaml and its commit (short hash, `+changes` when dirty)."""
    stages = len(yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8"))["stages"])
    git = ["git", "-C", str(repo)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    return stages, head.stdout.strip() + (" +changes" if dirty else "")


def measure(
    root: Path, repeats: int, mode: str, repo: Path | None = None
) -> tuple[dict[str, list[float]], tuple[int, str]]:
    """Alternate the pipelines after one warm-up each; seconds per run, keyed `repo command`,
    and what was timed as ours (stage count, commit)."""
    env = dvc_env()
    commands = ["status"] if mode == "status-only" else ["status", "repro"]
    times: dict[str, list[float]] = {f"{r} {c}": [] for r in ("ours", "minimal") for c in commands}
    with tempfile.TemporaryDirectory(prefix="noop_repro_") as tmp:
        if mode == "snapshot":
            ours = snapshot_repo(root, Path(tmp) / "ours", env)
        elif mode == "clone":
            ours = clone_repo(root, Path(tmp) / "ours", env)
        else:
            ours = repo or root
        what = describe(ours)
        repos = {"ours": ours, "minimal": minimal_repo(Path(tmp) / "minimal", env)}
        if "repro" in commands:
            require_up_to_date(ours, env)
        for repo in repos.values():  # warm-up: file-system caches, DVC's state database
            for command in commands:
                timed(command, repo, env)
        for i in range(repeats):
            for name in ("ours", "minimal") if i % 2 == 0 else ("minimal", "ours"):
                for command in commands:
                    if name == "ours" and command == "repro":
                        require_up_to_date(ours, env)  # untimed; others may be editing it
                    times[f"{name} {command}"].append(timed(command, repos[name], env))
    return times, what


def report(
    times: dict[str, list[float]], what: tuple[int, str], mode: str, command: str, repo: str
) -> str:
    """A markdown table plus the conditions it was measured under."""
    stages, commit = what
    where = {
        "live": "",
        "snapshot": ", snapshot copy",
        "clone": ", fresh clone",
        "status-only": "",
    }[mode]
    labels = {"ours": f"ours ({stages} stages{where})", "minimal": "fresh repo, 1 stage"}
    rows = ["| pipeline | command | median s | min s | max s |", "|---|---|---|---|---|"]
    for key, values in times.items():
        name, dvc_command = key.split()
        rows.append(
            f"| {labels[name]} | `dvc {dvc_command}` | {statistics.median(values):.2f} "
            f"| {min(values):.2f} | {max(values):.2f} |"
        )
    headline = "status" if mode == "status-only" else "repro"
    ours = statistics.median(times[f"ours {headline}"])
    minimal = statistics.median(times[f"minimal {headline}"])
    if headline == "repro":
        verdict = "within" if ours <= TARGET_RATIO * minimal else "over"
        summary = (
            f"ours is {verdict} the {TARGET_RATIO:g}x target for a no-op `dvc repro` "
            f"(at most {TARGET_RATIO * minimal:.2f} s here)."
        )
    else:
        summary = "`dvc repro` not timed: our pipeline was not up to date."
    how = {
        "live": f"on {repo} at {commit}, `dvc status` clean before each repro (untimed)",
        "clone": (
            f"on a fresh `git clone` of {commit} whose pipeline was run once (untimed), "
            "`dvc status` clean before each repro (untimed)"
        ),
        "snapshot": (
            "on a copy of the project (without " + ", ".join(NOT_COPIED) + ") whose lock was "
            "re-committed with `dvc commit -f`, because the project itself was not up to date"
        ),
        "status-only": "`dvc status` only, because the project was not up to date",
    }[mode]
    dvc_version = dvc(["--version"], Path(__file__).resolve().parent, dvc_env()).stdout.strip()
    return "\n".join(
        [
            *rows,
            "",
            f"Ours / minimal (`dvc {headline}`): **{ours / minimal:.2f}x** "
            f"({ours - minimal:+.2f} s); {summary}",
            "",
            f"Setup: {len(times[f'ours {headline}'])} timed runs per pipeline and command, "
            f"alternated, after one warm-up each; {how}. dvc {dvc_version}, "
            f"ruamel.yaml {ruamel_version} (C loader {'on' if CParser else 'off'}), "
            f"DVC_NO_ANALYTICS=true.",
            f"Measured {datetime.date.today().isoformat()} on {platform.machine()}, "
            f"nproc={os.cpu_count()}; command: `{command}`.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per pipeline")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--snapshot", action="store_true", help="time a re-committed copy")
    modes.add_argument("--clone", action="store_true", help="time a fresh clone, run once")
    modes.add_argument("--repo", type=Path, help="time this (up to date) clone instead")
    modes.add_argument("--status-only", action="store_true", help="time `dvc status` only")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    chosen = {"snapshot": args.snapshot, "clone": args.clone, "status-only": args.status_only}
    mode = next((name for name, on in chosen.items() if on), "live")
    root = paths.project_root(Path(__file__).resolve().parent)
    repo = args.repo.resolve() if args.repo else None
    try:
        times, what = measure(root, args.repeats, mode, repo)
    except NotUpToDate as exc:
        sys.exit(str(exc))
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(
        ["python benchmarks/noop_repro.py", *(a for a in given if a != "--write-docs")]
    )
    shown = "the project itself" if repo is None else f"`{repo}`"
    body = report(times, what, mode, command, shown)
    print(body)
    if args.write_docs:
        write_section(root / "docs" / "benchmarks.md", "noop_repro", "No-op `dvc repro`", body)


if __name__ == "__main__":
    main()
