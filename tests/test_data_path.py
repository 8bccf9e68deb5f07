from __future__ import annotations

import subprocess
from pathlib import Path

from dlpipe.paths import cloned_from, data_path


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_absolute_and_present_relative_paths_are_taken_as_given(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "shared").mkdir()
    assert data_path(tmp_path / "repo", str(tmp_path / "x")) == tmp_path / "x"
    assert data_path(tmp_path / "repo", "../shared") == tmp_path / "repo" / "../shared"


def test_a_clone_elsewhere_finds_data_beside_the_checkout_it_came_from(tmp_path: Path) -> None:
    original = tmp_path / "work" / "main"
    original.mkdir(parents=True)
    (tmp_path / "work" / "shared" / "gallery").mkdir(parents=True)
    _git("init", "-q", cwd=original)
    (original / "dvc.yaml").write_text("stages: {}\n")
    _git("add", "dvc.yaml", cwd=original)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x", cwd=original)
    clone = tmp_path / "elsewhere" / "clone"
    _git("clone", "-q", str(original), str(clone), cwd=tmp_path)
    assert cloned_from(clone) == original
    assert data_path(clone, "../shared/gallery") == original / "../shared/gallery"
    # Missing everywhere: the clone's own candidate, for the caller's "not found" message.
    assert data_path(clone, "../shared/nothing") == clone / "../shared/nothing"


def test_no_git_remote_means_no_fallback(tmp_path: Path) -> None:
    assert cloned_from(tmp_path) is None
    assert data_path(tmp_path, "missing") == tmp_path / "missing"
