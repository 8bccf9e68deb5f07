"""Crawl a gallery-shaped site: an index page linking one page per person, each with photos.

Also serves the `urls` source: start pages given per person, images taken one level deep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from dlpipe.crawling.items import FaceImageItem
from dlpipe.crawling.links import is_image_url, person_slug


def image_links(response: TextResponse) -> list[str]:
    """Absolute URLs of every `<img src>` plus every `<a href>` that points at an image file."""
    candidates = response.css("img::attr(src)").getall() + [
        href for href in response.css("a::attr(href)").getall() if is_image_url(href)
    ]
    urls = (response.urljoin(url.strip()) for url in candidates if not url.startswith("data:"))
    return list(dict.fromkeys(url for url in urls if url.startswith(("http://", "https://"))))


class GallerySpider(scrapy.Spider):
    """index page -> person pages (-> their rel="next" pages) -> one item per image URL.

    The person comes from the index link (`data-person`, else its text), never from the URL,
    so the crawl works the same on any site laid out this way.
    """

    name = "gallery"

    def __init__(
        self,
        *,
        index_url: str = "",
        start_pages: Mapping[str, Sequence[str]] | None = None,
        allowed_domains: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.index_url = index_url
        self.start_pages = {person: tuple(urls) for person, urls in (start_pages or {}).items()}
        self.allowed_domains = list(allowed_domains)
        self._seen_images: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.index_url:
            yield scrapy.Request(self.index_url, callback=self.parse_index)
        for person, urls in self.start_pages.items():
            for url in urls:
                yield scrapy.Request(
                    url,
                    callback=self.parse_person_page,
                    cb_kwargs={"person": person_slug(person), "follow_next": False},
                )

    def parse_index(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for link in response.css("a[data-person], a.person"):
            href = link.attrib.get("href")
            name = link.attrib.get("data-person") or " ".join(link.css("::text").getall())
            if href:
                yield response.follow(
                    href,
                    callback=self.parse_person_page,
                    cb_kwargs={"person": person_slug(name), "follow_next": True},
                )

    def parse_person_page(
        self, response: Response, person: str, follow_next: bool
    ) -> Iterator[FaceImageItem | scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for url in image_links(response):
            if url not in self._seen_images:
                self._seen_images.add(url)
                yield FaceImageItem(
                    person=person, image_urls=[url], page_url=response.url, licence="", author=""
                )
        if follow_next:  # a person's photos may span pages; the dupefilter breaks link loops
            for href in response.css('a[rel~="next"]::attr(href)').getall():
                yield response.follow(
                    href,
                    callback=self.parse_person_page,
                    cb_kwargs={"person": person, "follow_next": True},
                )
