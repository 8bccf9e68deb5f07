"""Commons parsing, fed saved HTML (the real site cannot be reached from tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import scrapy
from scrapy.http import HtmlResponse

from dlpipe.crawling.items import FaceImageItem
from dlpipe.crawling.spiders.wikimedia import (
    WikimediaSpider,
    category_url,
    file_page_links,
    next_category_page,
    parse_file_page,
)

FIXTURES = Path(__file__).parent / "fixtures"
CATEGORY_URL = "https://commons.wikimedia.org/wiki/Category:Ada_Lovelace"
FILE_URL = "https://commons.wikimedia.org/wiki/File:Ada_Lovelace_portrait.jpg"
ORIGINAL = "https://upload.wikimedia.org/wikipedia/commons/a/a4/Ada_Lovelace_portrait.jpg"


def _response(url: str, fixture: str) -> HtmlResponse:
    body = (FIXTURES / fixture).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=scrapy.Request(url))


def _category() -> HtmlResponse:
    return _response(CATEGORY_URL, "commons_category_ada_lovelace.html")


def test_category_url() -> None:
    assert category_url("Ada Lovelace") == CATEGORY_URL
    assert category_url("Category:Ada Lovelace") == CATEGORY_URL


def test_category_page_lists_image_files_only_and_the_next_page() -> None:
    response = _category()

    assert file_page_links(response) == [
        FILE_URL,
        "https://commons.wikimedia.org/wiki/File:Ada_Byron_daguerreotype_by_Antoine_Claudet_1843_or_1850.png",
        "https://commons.wikimedia.org/wiki/File:Ada_Lovelace_in_1852.jpg",
    ]  # no PDF, no video, no subcategory
    assert next_category_page(response) == (
        "https://commons.wikimedia.org/w/index.php?title=Category:Ada_Lovelace"
        "&filefrom=Ada+Lovelace+signature.png#mw-category-media"
    )


def test_file_page_gives_original_licence_and_author() -> None:
    page = parse_file_page(_response(FILE_URL, "commons_file_ada_lovelace_portrait.html"))

    assert page is not None
    assert page.original_url == ORIGINAL
    assert page.licence == "CC BY-SA 4.0"
    assert page.author == "Alfred Edward Chalon ; photograph by Example Photographer"


def test_file_page_without_original_link_is_none() -> None:
    response = HtmlResponse(url=FILE_URL, body=b"<html><body>gone</body></html>", encoding="utf-8")
    assert parse_file_page(response) is None


def test_spider_follows_pagination_until_the_per_person_limit() -> None:
    spider = WikimediaSpider(categories={"Ada Lovelace": "Ada Lovelace"}, max_files_per_person=5)
    first = list(spider.parse_category(_category(), person="ada_lovelace"))

    files = [r for r in first if r.callback == spider.parse_file]
    pages = [r for r in first if r.callback == spider.parse_category]
    assert len(files) == 3 and len(pages) == 1
    assert all(r.cb_kwargs == {"person": "ada_lovelace"} for r in first)

    # The next page repeats the same files in this fixture; only 2 more fit the limit of 5.
    second = list(spider.parse_category(_category(), person="ada_lovelace"))
    assert [r.callback for r in second] == [spider.parse_file] * 2


def test_spider_stops_at_the_limit_without_paginating() -> None:
    spider = WikimediaSpider(categories={"Ada": "Ada Lovelace"}, max_files_per_person=2)
    requests = list(spider.parse_category(_category(), person="ada"))

    assert [r.url for r in requests] == file_page_links(_category())[:2]


def test_spider_file_callback_yields_an_item_with_credits() -> None:
    spider = WikimediaSpider(categories={"Ada": "Ada Lovelace"}, max_files_per_person=2)
    response = _response(FILE_URL, "commons_file_ada_lovelace_portrait.html")

    [item] = list(spider.parse_file(response, person="ada"))

    assert isinstance(item, FaceImageItem)
    assert dict(item) == {
        "person": "ada",
        "image_urls": [ORIGINAL],
        "page_url": FILE_URL,
        "licence": "CC BY-SA 4.0",
        "author": "Alfred Edward Chalon ; photograph by Example Photographer",
    }


async def _first_requests(spider: WikimediaSpider) -> list[scrapy.Request]:
    return [request async for request in spider.start()]


def test_spider_starts_at_each_category() -> None:
    spider = WikimediaSpider(
        categories={"Ada Lovelace": "Ada Lovelace", "Alan Turing": "Alan Turing"},
        max_files_per_person=1,
    )
    requests = asyncio.run(_first_requests(spider))

    assert [r.url for r in requests] == [
        CATEGORY_URL,
        "https://commons.wikimedia.org/wiki/Category:Alan_Turing",
    ]
    assert [r.cb_kwargs["person"] for r in requests] == ["ada_lovelace", "alan_turing"]
