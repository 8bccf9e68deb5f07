"""The Scrapy settings mirror the config, explicitly, and stay polite and safe."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import Settings

from dlpipe.config import load_params
from dlpipe.crawling.run import CrawlPlan, plan_crawl
from dlpipe.crawling.settings import allowed_domains, build_settings
from dlpipe.crawling.spiders.wikimedia import WikimediaSpider


def test_politeness_settings_equal_the_config(tmp_path: Path) -> None:
    cfg = load_params().face_crawl
    settings = build_settings(cfg, tmp_path / "images")

    expected = {
        "ROBOTSTXT_OBEY": cfg.obey_robots_txt,
        "USER_AGENT": cfg.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg.concurrent_requests_per_domain,
        "DOWNLOAD_DELAY": cfg.download_delay_s,
        "AUTOTHROTTLE_ENABLED": cfg.autothrottle,
        "AUTOTHROTTLE_START_DELAY": cfg.download_delay_s,
        "AUTOTHROTTLE_MAX_DELAY": cfg.autothrottle_max_delay_s,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": cfg.autothrottle_target_concurrency,
        "DOWNLOAD_TIMEOUT": cfg.timeout_s,
        "RETRY_ENABLED": cfg.retries > 0,
        "RETRY_TIMES": cfg.retries,
        "DOWNLOAD_MAXSIZE": cfg.max_download_bytes,
        "CLOSESPIDER_PAGECOUNT": cfg.max_pages,
        "IMAGES_MIN_WIDTH": cfg.min_side,
        "IMAGES_MIN_HEIGHT": cfg.min_side,
        "IMAGES_MAX_PIXELS": cfg.max_pixels,
        "IMAGES_STORE": str(tmp_path / "images"),
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "MEDIA_ALLOW_REDIRECTS": True,
        "LOG_LEVEL": "INFO",
    }
    assert {key: settings[key] for key in expected} == expected
    assert 0 < settings["DOWNLOAD_WARNSIZE"] <= settings["DOWNLOAD_MAXSIZE"]
    assert "RANDOMIZE_DOWNLOAD_DELAY" not in settings  # deprecated in 2.19
    assert Settings(settings).getdict("ITEM_PIPELINES") == {
        "dlpipe.crawling.pipelines.FaceImagesPipeline": 300
    }


def test_settings_follow_a_changed_config(tmp_path: Path) -> None:
    cfg = load_params().face_crawl.replace(
        obey_robots_txt=False,
        user_agent="other-agent/2",
        concurrent_requests_per_domain=1,
        download_delay_s=0.5,
        retries=0,
        max_pages=7,
    )
    settings = build_settings(cfg, tmp_path)

    assert settings["ROBOTSTXT_OBEY"] is False and settings["USER_AGENT"] == "other-agent/2"
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] == settings["AUTOTHROTTLE_START_DELAY"] == 0.5
    assert settings["RETRY_ENABLED"] is False and settings["CLOSESPIDER_PAGECOUNT"] == 7


def test_wikimedia_is_never_faster_than_its_minimum_delay(tmp_path: Path) -> None:
    base = load_params().face_crawl
    cfg = base.replace(
        source="wikimedia",
        download_delay_s=0.05,
        wikimedia=base.wikimedia.replace(
            categories={"Ada Lovelace": "Ada Lovelace"}, min_delay_s=1.5
        ),
    )
    assert build_settings(cfg, tmp_path)["DOWNLOAD_DELAY"] == 1.5

    plan = plan_crawl(cfg, tmp_path)
    assert isinstance(plan, CrawlPlan) and plan.spider is WikimediaSpider
    assert plan.kwargs["allowed_domains"] == ["commons.wikimedia.org", "upload.wikimedia.org"]
    assert plan.kwargs["max_files_per_person"] == base.wikimedia.max_files_per_person


def test_allowed_domains_are_start_hosts_plus_config() -> None:
    cfg = load_params().face_crawl.replace(allowed_domains=("cdn.example.org",))
    urls = ["https://example.org/a.html", "http://127.0.0.1:8000/", "https://example.org/b"]

    assert allowed_domains(cfg, urls) == ["example.org", "127.0.0.1", "cdn.example.org"]
