"""The one item the spiders yield: a single image URL plus who it shows and where it came from.

One URL per item keeps the pipeline's result one-to-one with a manifest row.
"""

from __future__ import annotations

import scrapy


class FaceImageItem(scrapy.Item):
    person = scrapy.Field()  # slug from the site (link attribute/text or config key)
    image_urls = scrapy.Field()  # exactly one absolute URL
    page_url = scrapy.Field()  # the page the image was found on (or its Commons file page)
    licence = scrapy.Field()  # "" when the site does not say
    author = scrapy.Field()
    outcome = scrapy.Field()  # set by FaceImagesPipeline: the manifest fields of the download
