"""The face-photo crawler: a small Scrapy project (items, spiders, an images pipeline, settings).

`run.crawl_faces` is the one entry point; it serves a local gallery folder over HTTP or crawls
start pages / Wikimedia Commons, and returns one manifest row per image URL it tried.
"""
