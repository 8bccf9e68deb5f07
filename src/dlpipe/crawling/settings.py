"""Scrapy settings built from FaceCrawlConfig: every politeness and safety knob set explicitly.

Nothing is left to Scrapy's defaults where the default is impolite or unsafe for a teaching
crawler (no robots.txt, DEBUG logs, a 5 s AutoThrottle start, 1 GiB downloads, a telnet console).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dlpipe.config import FaceCrawlConfig
from dlpipe.crawling.links import url_hosts

PIPELINE = "dlpipe.crawling.pipelines.FaceImagesPipeline"
WIKIMEDIA_IMAGE_HOST = "upload.wikimedia.org"
# Scrapy 2.19's downloader applies CONCURRENT_REQUESTS_PER_DOMAIN only when the delay is above 0:
# with 0 it hands every queued request of a slot to the network at once (the download task that
# counts a request as in flight starts only after the queue has been drained). A millisecond
# keeps the concurrency limit and costs a local crawl nothing.
MIN_DELAY_S = 0.001


def download_delay(cfg: FaceCrawlConfig) -> float:
    """The configured delay; never 0 (see MIN_DELAY_S), against Wikimedia never below its own
    minimum."""
    if cfg.source == "wikimedia":
        return max(cfg.download_delay_s, cfg.wikimedia.min_delay_s, MIN_DELAY_S)
    return max(cfg.download_delay_s, MIN_DELAY_S)


def build_settings(cfg: FaceCrawlConfig, images_store: Path) -> dict[str, Any]:
    """The complete settings dict for one crawl that stores images under `images_store`."""
    delay = download_delay(cfg)
    return {
        "BOT_NAME": "dlpipe-faces",
        # Politeness.
        "ROBOTSTXT_OBEY": cfg.obey_robots_txt,
        "USER_AGENT": cfg.user_agent,
        "CONCURRENT_REQUESTS": max(8, cfg.concurrent_requests_per_domain),
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50 % (replaces the deprecated RANDOMIZE_DOWNLOAD_DELAY)
        "AUTOTHROTTLE_ENABLED": cfg.autothrottle,
        # Scrapy's default start is 5 s, which would dominate a local crawl of a hundred files.
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(cfg.autothrottle_max_delay_s, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": cfg.autothrottle_target_concurrency,
        "COOKIES_ENABLED": False,
        # Safety: bounded time, retries and sizes; stop after max_pages responses (0 = never).
        "DOWNLOAD_TIMEOUT": cfg.timeout_s,
        "RETRY_ENABLED": cfg.retries > 0,
        "RETRY_TIMES": cfg.retries,
        "DOWNLOAD_MAXSIZE": cfg.max_download_bytes,
        "DOWNLOAD_WARNSIZE": cfg.max_download_bytes // 2,
        "CLOSESPIDER_PAGECOUNT": cfg.max_pages,
        # Redirects are followed only on the allowed domains: the spider's allowed_domains feed
        # the downloader OffsiteMiddleware, which also sees every redirect hop, media included.
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": 5,
        "MEDIA_ALLOW_REDIRECTS": True,
        "METAREFRESH_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        # No consoles: the telnet console and 2.19's remote-control HTTP server both run code.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        # The images pipeline: originals stored by content hash; size limits checked there.
        "ITEM_PIPELINES": {PIPELINE: 300},
        "IMAGES_STORE": str(images_store),
        "IMAGES_MIN_WIDTH": cfg.min_side,
        "IMAGES_MIN_HEIGHT": cfg.min_side,
        "IMAGES_MAX_PIXELS": cfg.max_pixels,
        # Current defaults, pinned so a Scrapy upgrade cannot silently change the engine.
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_CLASS": "scrapy.utils.request.RequestFingerprinter",
    }


def allowed_domains(cfg: FaceCrawlConfig, start_urls: Iterable[str]) -> list[str]:
    """Hosts the crawl may touch: the start URLs' hosts plus `cfg.allowed_domains`.

    Commons serves originals from its own upload host, so the wikimedia source adds it.
    """
    hosts = url_hosts(start_urls)
    extra = [*cfg.allowed_domains]
    if cfg.source == "wikimedia":
        extra.append(WIKIMEDIA_IMAGE_HOST)
    return hosts + [host for host in dict.fromkeys(extra) if host not in hosts]
