"""The images pipeline: keep the original bytes, named by their SHA-256, and explain every loss.

The stock ImagesPipeline re-encodes to JPEG and names files by a hash of the URL; a face set
needs the untouched bytes (one file per distinct content) and a manifest row for every URL,
including the ones that failed or were rejected.
"""

from __future__ import annotations

import hashlib
import logging
from io import BytesIO
from os import PathLike
from typing import TYPE_CHECKING, Any, NoReturn

from itemadapter import ItemAdapter
from PIL import Image
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.pipelines import media
from scrapy.pipelines.images import ImagesPipeline
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import ensure_awaitable
from twisted.python.failure import Failure

from dlpipe.crawling.failures import failure_reason, http_reason
from dlpipe.crawling.image_checks import extension_for, inspect_image

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.pipelines.media import FileInfoOrError, MediaPipeline

# MediaPipeline logs a failed download as an ERROR with a full traceback unless the exception is
# its private _MediaRequestFiltered. Here every failure is expected and becomes a manifest row,
# so failures derive from it and get one log line from media_failed instead (falling back to
# the public base class if a later Scrapy renames it).
_QuietMediaError: type[Exception] = getattr(media, "_MediaRequestFiltered", media.FileException)


class DownloadFailed(_QuietMediaError):  # type: ignore[valid-type, misc]
    """No usable response arrived (or none was allowed); str() is the manifest reason."""


class FaceImagesPipeline(ImagesPipeline):
    """Validates each image (type, size, pixels, integrity) and stores it content-addressed.

    Every item carries one URL; `item_completed` puts the outcome (status, reason, sha256,
    store-relative path, format, size) into `item["outcome"]`.
    """

    def __init__(
        self, store_uri: str | PathLike[str], download_func: None = None, *, crawler: Crawler
    ) -> None:
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.max_pixels = settings.getint("IMAGES_MAX_PIXELS")
        self.timeout_s = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.retries = settings.getint("RETRY_TIMES") if settings.getbool("RETRY_ENABLED") else 0
        self._first_seen: dict[str, tuple[str, str]] = {}  # sha256 -> (url, stored path)

    def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> None:
        """Always download: the file name depends on the bytes, so there is nothing to stat."""
        return None

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        reason = failure_reason(failure.value, request, self.timeout_s, self.retries)
        level = logging.INFO if isinstance(failure.value, IgnoreRequest) else logging.WARNING
        logger.log(level, "Image not downloaded: %s: %s", request.url, reason)
        raise DownloadFailed(reason)

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> dict[str, Any]:
        if response.status != 200:
            return {"status": "failed", "reason": http_reason(response)}
        body = response.body
        if not body:
            return {"status": "rejected", "reason": "empty body"}
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").strip()
        if content_type and not content_type.lower().startswith("image/"):
            return {
                "status": "rejected",
                "reason": f"content type {content_type!r} is not an image",
                "bytes": len(body),
            }
        check = await run_in_thread(
            inspect_image, body, max_pixels=self.max_pixels, min_side=self.min_width
        )
        found = {
            "format": check.format,
            "width": check.width,
            "height": check.height,
            "bytes": len(body),
        }
        if not check.ok:
            return {"status": "rejected", "reason": check.reason, **found}
        sha256 = hashlib.sha256(body).hexdigest()
        if sha256 in self._first_seen:
            first_url, first_path = self._first_seen[sha256]
            return {
                "status": "duplicate",
                "reason": f"same bytes as {first_url}",
                "sha256": sha256,
                "path": first_path,
                **found,
            }
        path = self.file_path(request, response=response, info=info, item=item)
        self._first_seen[sha256] = (request.url, path)  # before awaiting: a twin may be in flight
        await ensure_awaitable(self.store.persist_file(path, BytesIO(body), info))
        self.inc_stats("downloaded")
        return {"status": "ok", "reason": "", "sha256": sha256, "path": path, **found}

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """`<person>/<sha256 of the original bytes><extension of the detected format>`."""
        if response is None:
            raise ValueError("file names come from the downloaded bytes: a response is needed")
        with Image.open(BytesIO(response.body)) as header:
            extension = extension_for(header.format or "")
        person = ItemAdapter(item).get("person", "unknown") if item is not None else "unknown"
        return f"{person}/{hashlib.sha256(response.body).hexdigest()}{extension}"

    def item_completed(
        self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo
    ) -> Any:
        """Record the outcome on the item; a failed download becomes a `failed` outcome."""
        outcome: dict[str, Any] = {"status": "failed", "reason": "no image URL on the item"}
        if results:
            ok, value = results[0]
            if ok:
                outcome = dict(value)
                if outcome["status"] in ("rejected", "failed"):
                    url = ItemAdapter(item).get("image_urls", [""])[0]
                    logger.info("Image %s: %s: %s", outcome["status"], url, outcome["reason"])
            else:
                error = value.value if isinstance(value, Failure) else value
                outcome = {"status": "failed", "reason": str(error) or type(error).__name__}
        ItemAdapter(item)["outcome"] = outcome
        return item
