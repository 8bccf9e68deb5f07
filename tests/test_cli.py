"""The `dlpipe` command: its subcommands, their help, exit statuses, and a light start.

The subcommands' results are tested with the serving functions behind them (tests/serving);
tests/serving/test_console_script.py runs each through the installed console script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlpipe import cli

REPO = Path(__file__).resolve().parents[1]
SUBCOMMANDS = (
    "predict-face",
    "recommend",
    "forecast",
    "classify",
    "sample",
    "crawl",
    "params",
    "stages",
)
HEAVY = ("torch", "lightning", "mlflow", "scrapy", "cv2", "pandas", "sklearn", "matplotlib")


def _python(code: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_subcommand_through_the_console_script() -> None:
    bin_dir = Path(sys.executable).parent
    script = shutil.which("dlpipe", path=os.pathsep.join([str(bin_dir), os.environ["PATH"]]))
    assert script, f"no `dlpipe` beside {sys.executable}: run `pip install -e .` (or make)"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [script, "--help"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("commands:", 1)[1]
    for name in SUBCOMMANDS:
        assert f"    {name}" in listed, name


@pytest.mark.parametrize(
    "argv",
    [[name] for name in SUBCOMMANDS] + [["params", "check"], ["params", "show"]],
    ids=lambda argv: " ".join(argv),
)
def test_every_subcommand_has_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: dlpipe {' '.join(argv)} ")
    assert "-v, --verbose" in out


def test_no_subcommand_prints_usage_and_exits_2(capsys) -> None:
    assert cli.main([]) == 2
    assert "usage: dlpipe" in capsys.readouterr().err
    assert cli.main(["params"]) == 2
    assert "usage: dlpipe params" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["fly"],
        ["recommend"],
        ["recommend", "ten"],
        ["recommend", "1", "-n", "0"],
        ["recommend", "1", "-n", "51"],
        ["predict-face", "a.jpg", "--top", "-1"],
        ["forecast", "--bogus"],
        ["forecast", "--version", "0"],
        ["forecast", "--version", "2", "--model", "m.pt"],
        ["predict-face", "a.jpg", "--version", "1", "--model", "m.pt"],
        ["recommend", "1", "--model", "m.pt"],
        ["classify"],
        ["sample"],
        ["sample", "--model", "ae"],
        ["sample", "--model", "gan", "-n", "0"],
        ["sample", "--model", "gan", "--version", "1", "--checkpoint", "x.ckpt"],
        ["classify", "x.csv", "--version", "1", "--model", "m"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    assert "usage: dlpipe" in capsys.readouterr().err


def test_verbose_counts_before_or_after_the_subcommand() -> None:
    parser = cli.build_parser()
    for argv, level in (
        (["stages"], 0),
        (["-v", "stages"], 1),
        (["stages", "-v"], 1),
        (["-vv", "stages"], 2),
        (["params", "check", "-v"], 1),
    ):
        assert getattr(parser.parse_args(argv), "verbose", 0) == level, argv


def test_expected_failures_are_one_line_on_stderr(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "x.jpg").write_bytes(b"a photo")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for argv, named in (
        (["forecast"], "no registered model dlpipe-stock_lstm yet"),
        (["recommend", "1"], "no registered model dlpipe-recommender yet"),
        (["predict-face", "x.jpg"], "no registered model dlpipe-faces yet"),
        (["predict-face", "x.jpg", "--model", "m.pt"], "m.pt: no such file"),
        (["predict-face", "y.jpg"], "y.jpg: no such file"),  # said before loading a model
        (["forecast", "--model", "m.pt"], "m.pt: no such file"),
        (["classify", "t.csv"], "no registered model dlpipe-classifiers yet"),
        (["sample", "--model", "vae"], "no registered model dlpipe-vae yet"),
        (["sample", "--model", "gan", "--checkpoint", "g.ckpt"], "g.ckpt: no such file"),
        (["classify", "x.jpg"], "x.jpg: has a header but no data rows"),
        (["classify", "rows.csv"], "rows.csv: does not exist"),  # said before loading a model
        (["classify", "x.jpg", "--model", "nothing"], "nothing: no model yet"),
        (["classify", ".", "--model", "nothing"], "nothing: no model yet"),
        (["params", "check"], "params.yaml"),
    ):
        assert cli.main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, argv
        assert captured.err.startswith("error: ") and named in captured.err, argv
    # Asking the registry creates no tracking store.
    assert not (tmp_path / "mlruns").exists()


def test_no_registered_model_says_what_to_run(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    (tmp_path / "x.jpg").write_bytes(b"a photo")
    assert cli.main(["predict-face", "x.jpg"]) == 2
    assert capsys.readouterr().err == (
        "error: no registered model dlpipe-faces yet: run `make repro` first\n"
    )


def test_help_and_light_subcommands_import_no_heavy_library() -> None:
    code = f"""
import contextlib, io, sys
from dlpipe import cli
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main(["--help"])
    except SystemExit:
        pass
    assert cli.main(["params", "check"]) == 0
    assert cli.main(["stages"]) == 0
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_module_runs_as_a_script() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [sys.executable, "-m", "dlpipe.cli", "stages"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stage ")


def test_the_count_limit_is_the_stored_one() -> None:
    from dlpipe.serving.recommendations import STORED_PER_USER

    assert cli.STORED_PER_USER == STORED_PER_USER


def test_a_closed_pipe_is_no_traceback() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    producer = subprocess.Popen(
        [sys.executable, "-m", "dlpipe.cli", "stages"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    producer.stdout.close()  # nobody reads: the first write fails
    _, err = producer.communicate(timeout=120)
    assert producer.returncode == cli.EXIT_BROKEN_PIPE
    assert err == b""
