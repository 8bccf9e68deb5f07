"""Crawl Wikimedia Commons: category page(s) -> file pages -> the original image.

Each file page says who made the file and under which licence; both go into the manifest,
because a face set built from Commons must be able to credit its photos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import scrapy
from scrapy.http import Response, TextResponse

from dlpipe.crawling.items import FaceImageItem
from dlpipe.crawling.links import is_image_url, person_slug

COMMONS = "https://commons.wikimedia.org"


@dataclass(frozen=True)
class FilePage:
    original_url: str
    licence: str
    author: str


def category_url(name: str) -> str:
    """`Ada Lovelace` -> https://commons.wikimedia.org/wiki/Category:Ada_Lovelace"""
    title = name.removeprefix("Category:").strip().replace(" ", "_")
    return f"{COMMONS}/wiki/Category:{quote(title)}"


def file_page_links(response: TextResponse) -> list[str]:
    """Absolute file-page URLs in the category's media section, images only, in page order."""
    hrefs = response.xpath(
        '//div[@id="mw-category-media"]//a[starts-with(@href, "/wiki/File:")]/@href'
    ).getall()
    urls = (response.urljoin(h) for h in hrefs if is_image_url(unquote(h)))
    return list(dict.fromkeys(urls))


def next_category_page(response: TextResponse) -> str | None:
    href = response.xpath(
        '//div[@id="mw-category-media"]//a[normalize-space(.)="next page"]/@href'
    ).get()
    return response.urljoin(href) if href else None


def _text(nodes: scrapy.selector.SelectorList) -> str:
    return " ".join(" ".join(nodes.getall()).split())


def parse_file_page(response: TextResponse) -> FilePage | None:
    """The "Original file" link plus the licence and author from the file's information table."""
    original = (
        response.xpath(
            '//div[contains(@class, "fullMedia")]//a[normalize-space(.)="Original file"]/@href'
        ).get()
        or response.css("div.fullMedia a.internal::attr(href)").get()
        or response.css("div.fullImageLink a::attr(href)").get()
    )
    if not original:
        return None
    licence = _text(response.css("span.licensetpl_short")[:1].xpath(".//text()"))
    author = _text(response.xpath('//td[@id="fileinfotpl_aut"]/following-sibling::td[1]//text()'))
    return FilePage(response.urljoin(original), licence, author)


class WikimediaSpider(scrapy.Spider):
    """One Commons category per person, at most `max_files_per_person` files each (0 = all)."""

    name = "wikimedia"

    def __init__(
        self,
        *,
        categories: Mapping[str, str],
        max_files_per_person: int,
        allowed_domains: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.categories = dict(categories)
        self.max_files_per_person = max_files_per_person
        self.allowed_domains = list(allowed_domains)
        self._files_requested: Counter[str] = Counter()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for person, category in self.categories.items():
            yield scrapy.Request(
                category_url(category),
                callback=self.parse_category,
                cb_kwargs={"person": person_slug(person)},
            )

    def _room_for(self, person: str) -> bool:
        limit = self.max_files_per_person
        return limit <= 0 or self._files_requested[person] < limit

    def parse_category(self, response: Response, person: str) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for url in file_page_links(response):
            if not self._room_for(person):
                return
            self._files_requested[person] += 1
            yield scrapy.Request(url, callback=self.parse_file, cb_kwargs={"person": person})
        if (next_page := next_category_page(response)) and self._room_for(person):
            yield scrapy.Request(
                next_page, callback=self.parse_category, cb_kwargs={"person": person}
            )

    def parse_file(self, response: Response, person: str) -> Iterator[FaceImageItem]:
        if not isinstance(response, TextResponse):
            return
        page = parse_file_page(response)
        if page is None:
            self.logger.warning("no original-file link on %s", response.url)
            return
        yield FaceImageItem(
            person=person,
            image_urls=[page.original_url],
            page_url=response.url,
            licence=page.licence,
            author=page.author,
        )
