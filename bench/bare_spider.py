"""Bare Scrapy for the throughput baseline: the same discovery, nothing archived or extracted."""

import re
from urllib.parse import urljoin

import scrapy
from scrapy import Selector
from scrapy.utils.sitemap import Sitemap

from crawler.spiders.links import SeenUrls, clean_link, css_links, page_links, requisite_links

ARTICLE_PATH = re.compile(r"/\d{4}/\d{2}/\d{2}/[^/]+/$")
COMMENT_PAGES = re.compile(r"/comment-page-\d+/")


class BareSpider(scrapy.Spider):
    """Follows what the archival spider follows (sitemaps, feed, listings, comment pages,
    requisites of articles), so both crawls fetch the same pages."""

    name = "bare"

    def __init__(self, url: str = "", site: str = "", **kwargs):
        super().__init__(**kwargs)
        self.root = url if url.endswith("/") else url + "/"
        self.seen = SeenUrls()

    async def start(self):
        yield scrapy.Request(urljoin(self.root, "wp-sitemap.xml"), callback=self.parse_sitemap)
        yield scrapy.Request(urljoin(self.root, "feed/"), callback=self.parse_feed)
        yield scrapy.Request(self.root, callback=self.parse_page)

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        callback = self.parse_sitemap if sitemap.type == "sitemapindex" else self.parse_page
        for entry in sitemap:
            yield scrapy.Request(entry["loc"], callback=callback)

    def parse_feed(self, response):
        for link in Selector(response=response, type="xml").xpath("//item/link/text()").getall():
            yield scrapy.Request(link, callback=self.parse_page)

    def parse_page(self, response):
        if not isinstance(response, scrapy.http.HtmlResponse):
            return
        selector = Selector(response=response)
        for url in self.seen.new(page_links(selector.root, response.url, self.root)):
            yield scrapy.Request(url, callback=self.parse_page)
        if ARTICLE_PATH.search(response.url):
            for href in selector.css("a::attr(href)").getall():
                url = clean_link(href, response.url)
                if url and COMMENT_PAGES.search(url):
                    yield scrapy.Request(url, callback=self.parse_page)
            for url in self.seen.new(requisite_links(selector.root, response.url, self.root)):
                yield scrapy.Request(url, callback=self.parse_requisite)

    def parse_requisite(self, response):
        if b"text/css" in response.headers.get("Content-Type", b""):
            for url in self.seen.new(css_links(response.text, response.url, self.root)):
                yield scrapy.Request(url, callback=self.parse_requisite)
