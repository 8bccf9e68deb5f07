"""`dlpipe params check` / `show`: every error of a params file at once, by dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dlpipe import cli
from dlpipe.serving import ServingError
from dlpipe.serving.params import check_params, resolved_params

REPO = Path(__file__).resolve().parents[2]


def params_with(tmp_path: Path, **changes: tuple[str, object]) -> Path:
    """A copy of the project's params.yaml with `section=(key, value)` changes."""
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    for section, (key, value) in changes.items():
        params[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def test_the_project_params_are_valid(monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    assert check_params(REPO / "params.yaml") == []
    assert cli.main(["params", "check"]) == 0
    assert capsys.readouterr().out == "params.yaml: OK\n"


def test_every_error_is_listed_with_its_dotted_key(tmp_path, monkeypatch, capsys) -> None:
    path = params_with(
        tmp_path,
        stock_lstm=("window", "sixty"),
        training=("progress_bar", "maybe"),
        face_crawl=("retrys", 3),
    )
    monkeypatch.chdir(tmp_path)
    errors = check_params(path)
    assert len(errors) == 3
    for key in ("stock_lstm.window", "training.progress_bar", "face_crawl.retrys"):
        assert sum(f"params.yaml: {key}: " in error for error in errors) == 1, (key, errors)
    assert cli.main(["params", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == errors
    assert captured.err == "params.yaml: 3 errors; fix them in the file\n"


def test_a_missing_file_is_exit_2(tmp_path, capsys) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(
        ServingError, match=r"nope\.yaml: no such file; give the path of a params file"
    ):
        check_params(missing)
    assert cli.main(["params", "check", str(missing)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {missing}: no such file; give")


def test_show_prints_the_resolved_params(tmp_path, capsys) -> None:
    shown = yaml.safe_load(resolved_params(REPO / "params.yaml"))
    raw = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert shown["seed"] == raw["seed"]
    assert shown["stock_lstm"]["window"] == raw["stock_lstm"]["window"]
    # YAML anchors and merge keys come out resolved: nasdaq inherits sp500's package.
    assert shown["stocks"]["pypi"]["nasdaq"]["package"] == raw["stocks"]["pypi"]["sp500"]["package"]
    assert cli.main(["params", "show", str(REPO / "params.yaml")]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == shown
    bad = params_with(tmp_path, stock_lstm=("window", "sixty"))
    assert cli.main(["params", "show", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "stock_lstm.window" in err and "dlpipe params check" in err
