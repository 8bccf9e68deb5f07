"""Run one face crawl and return its manifest rows and stats (the DVC stage's entry point).

A Twisted reactor cannot be restarted, so `crawl_faces` runs once per process; callers that
need several crawls in one process (tests) use `crawl_faces_in_subprocess`. `dlpipe crawl`
calls `crawl_with_params`.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess

from dlpipe.config import FaceCrawlConfig, load_params
from dlpipe.crawling.gallery_server import person_folders, serve_gallery
from dlpipe.crawling.manifest import (
    IMAGES_DIR,
    make_row,
    rebase_urls,
    row_from_item,
    sort_rows,
)
from dlpipe.crawling.settings import allowed_domains, build_settings
from dlpipe.crawling.spiders.gallery import GallerySpider
from dlpipe.crawling.spiders.wikimedia import WikimediaSpider, category_url
from dlpipe.crawling.stats import summarise_stats
from dlpipe.paths import data_path, project_root


@dataclass(frozen=True)
class CrawlResult:
    rows: list[dict[str, object]]  # manifest rows (manifest.MANIFEST_COLUMNS), one per image URL
    stats: dict[str, int | float]  # flat and JSON-safe
    skipped: str | None  # "no images: <why>" when no crawl ran; None otherwise


@dataclass(frozen=True)
class CrawlPlan:
    """Which spider to run with which arguments; `gallery` is a folder to serve locally first."""

    spider: type[scrapy.Spider]
    kwargs: dict[str, Any] = field(default_factory=dict)
    gallery: Path | None = None


def plan_crawl(cfg: FaceCrawlConfig, root: Path) -> CrawlPlan | str:
    """The crawl to run, or why there is nothing to crawl (a skip, not an error)."""
    if cfg.source == "gallery":
        gallery = data_path(root, cfg.gallery)
        if not gallery.is_dir():
            return f"gallery folder {gallery} not found"
        if not person_folders(gallery):
            return f"gallery folder {gallery} has no person subfolders"
        return CrawlPlan(GallerySpider, gallery=gallery)
    if cfg.source == "urls":
        pages = {person: urls for person, urls in cfg.start_urls.items() if urls}
        if not pages:
            return "source 'urls' has no start URLs"
        every_url = [url for urls in pages.values() for url in urls]
        return CrawlPlan(
            GallerySpider,
            {"start_pages": pages, "allowed_domains": allowed_domains(cfg, every_url)},
        )
    categories = dict(cfg.wikimedia.categories)
    if not categories:
        return "source 'wikimedia' has no categories"
    starts = [category_url(name) for name in categories.values()]
    return CrawlPlan(
        WikimediaSpider,
        {
            "categories": categories,
            "max_files_per_person": cfg.wikimedia.max_files_per_person,
            "allowed_domains": allowed_domains(cfg, starts),
        },
    )


def crawl_faces(
    cfg: FaceCrawlConfig, out_dir: Path, root: Path, *, log_level: str | None = None
) -> CrawlResult:
    """Crawl per `cfg` into `out_dir/images/<person>/<sha256><ext>`; once per process.

    By default Scrapy logs through a root handler of its own, at the LOG_LEVEL setting. With
    `log_level` (e.g. "WARNING"), that setting is replaced and Scrapy installs no handler: its
    records go wherever the caller's logging configuration sends them (`dlpipe crawl`)."""
    plan = plan_crawl(cfg, root)
    if isinstance(plan, str):
        return CrawlResult(rows=[], stats={}, skipped=f"no images: {plan}")
    return run_plan(cfg, plan, out_dir, log_level=log_level)


def crawl_with_params(
    out_dir: Path,
    root: Path | None = None,
    params_path: Path | None = None,
    *,
    log_level: str | None = None,
) -> CrawlResult:
    """One crawl with the `face_crawl` settings of the project's params.yaml (or
    `params_path`) into `out_dir`, for `dlpipe crawl`; raises ConfigError for bad params.
    `log_level`: as for `crawl_faces`."""
    root = root or project_root()
    cfg = load_params(params_path or root / "params.yaml").face_crawl
    return crawl_faces(cfg, out_dir, root, log_level=log_level)


def run_plan(
    cfg: FaceCrawlConfig, plan: CrawlPlan, out_dir: Path, *, log_level: str | None = None
) -> CrawlResult:
    """Run one planned crawl (serving its gallery folder meanwhile, if it has one);
    `log_level`: as for `crawl_faces`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = build_settings(cfg, out_dir / IMAGES_DIR)
    if log_level is not None:
        settings.update(LOG_LEVEL=log_level, LOG_INSTALL_ROOT_HANDLER=False)
    base_url = ""
    with ExitStack() as stack:
        kwargs = dict(plan.kwargs)
        if plan.gallery is not None:
            base_url = stack.enter_context(serve_gallery(plan.gallery))
            kwargs["index_url"] = f"{base_url}/"
            kwargs["allowed_domains"] = allowed_domains(cfg, [base_url])
        rows, raw_stats = _run_spider(plan.spider, settings, kwargs)
    rows = sort_rows(rebase_urls(rows, base_url) if base_url else rows)
    return CrawlResult(rows=rows, stats=summarise_stats(raw_stats, rows), skipped=None)


def _run_spider(
    spider: type[scrapy.Spider], settings: dict[str, Any], kwargs: dict[str, Any]
) -> tuple[list[dict[str, object]], dict[str, Any]]:
    """Run the spider to completion in this process; collect a row per item that finished."""
    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    rows: list[dict[str, object]] = []

    def on_item(item: Any, response: Any, spider: scrapy.Spider) -> None:
        rows.append(row_from_item(ItemAdapter(item).asdict()))

    def on_error(item: Any, response: Any, spider: scrapy.Spider, failure: Any) -> None:
        data = ItemAdapter(item).asdict()
        urls = data.get("image_urls") or [""]
        reason = f"pipeline error: {failure.value!r}"
        rows.append(
            make_row(
                url=str(urls[0]), person=str(data.get("person", "")), status="failed", reason=reason
            )
        )

    crawler.signals.connect(on_item, signal=signals.item_scraped)
    crawler.signals.connect(on_error, signal=signals.item_error)
    process.crawl(crawler, **kwargs)
    # Signal handlers can only be installed from the main thread.
    process.start(install_signal_handlers=threading.current_thread() is threading.main_thread())
    return rows, dict(crawler.stats.get_stats())


# --- one crawl per child process ---------------------------------------------------------------


def crawl_faces_in_subprocess(
    cfg: FaceCrawlConfig,
    out_dir: Path,
    root: Path,
    *,
    plan: CrawlPlan | None = None,
    timeout_s: float | None = None,
) -> CrawlResult:
    """`crawl_faces` in a fresh spawned process (its own reactor), for callers that crawl twice.

    With `plan`, runs that plan instead of the one `cfg` implies (e.g. a GallerySpider pointed
    at any gallery-shaped site via `index_url`). Raises TimeoutError after `timeout_s` (the
    child is killed) and RuntimeError, with the child's traceback, when the crawl fails.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(sender, cfg.model_dump(), str(out_dir), str(root), plan),
        name="dlpipe-face-crawl",
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise TimeoutError(f"face crawl did not finish within {timeout_s} s")
        try:
            kind, payload = receiver.recv()
        except EOFError:
            kind, payload = "error", "the child process exited without a result"
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
    if kind == "error":
        raise RuntimeError(f"face crawl failed in a child process:\n{payload}")
    return payload


def _child_main(
    sender: Any, plain_cfg: dict[str, Any], out_dir: str, root: str, plan: CrawlPlan | None
) -> None:
    # The settings travel as plain data and are validated again on this side.
    try:
        cfg = FaceCrawlConfig.model_validate(plain_cfg)
        if plan is None:
            result = crawl_faces(cfg, Path(out_dir), Path(root))
        else:
            result = run_plan(cfg, plan, Path(out_dir))
        sender.send(("ok", result))
    except BaseException:
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
