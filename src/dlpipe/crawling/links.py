"""Small URL and name helpers the spiders share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
MAX_SLUG = 64  # a person folder's name: far below any filesystem's 255-byte limit


def is_image_url(url: str) -> bool:
    """True when the URL path ends in a usual image extension, as links to photos do."""
    return PurePosixPath(unquote(urlsplit(url).path)).suffix.lower() in IMAGE_EXTENSIONS


def person_slug(text: str) -> str:
    """A folder-safe person name: "Ben Affleck" -> "ben_affleck"; never empty, never "..".

    Names come from web pages, so they must not be able to steer where files are written. A
    name longer than MAX_SLUG keeps its start plus a digest of the whole, so two long names stay
    apart and the folder can always be created.
    """
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
        slug = f"{slug[: MAX_SLUG - 9]}_{digest}"
    return slug or "unknown"


def url_hosts(urls: Iterable[str]) -> list[str]:
    """The distinct host names of `urls`, in first-seen order."""
    hosts: list[str] = []
    for url in urls:
        host = urlsplit(url).hostname
        if host and host not in hosts:
            hosts.append(host)
    return hosts
