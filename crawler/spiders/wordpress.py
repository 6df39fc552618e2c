"""The one spider: archives a WordPress site from its sitemaps, feed and listings.

Every response is already in the WARC when a callback runs (the capture
middleware writes it first). Callbacks only decide what to fetch next and turn
article pages into page records through the configured extractor.
"""

import logging
from urllib.parse import urljoin

import scrapy
from scrapy import Selector
from scrapy import signals
from scrapy.utils.sitemap import Sitemap

from crawler import pages
from crawler.extraction_pool import ExtractionPool
from crawler.sites import get_profile, profile_for_url
from crawler.spiders.links import SeenUrls, clean_link, css_links

SITEMAP_PATHS = ("wp-sitemap.xml", "sitemap_index.xml")
FEED_PATH = "feed/"


class WordPressSpider(scrapy.Spider):
    name = "wordpress"

    def __init__(self, url: str = "", site: str = "", **kwargs):
        super().__init__(**kwargs)
        if not url:
            raise ValueError("WordPressSpider needs url=ROOT, e.g. -a url=https://example.org/")
        self.root = url if url.endswith("/") else url + "/"
        self.site_id = site
        self.seen = SeenUrls()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        site_id = spider.site_id or crawler.settings.get("DCA_SITE")
        profile = get_profile(site_id) if site_id else profile_for_url(spider.root)
        spider.profile = site_profile(profile, crawler.settings.get("DCA_SITE_TIMEZONE"), spider.logger)
        spider.pool = ExtractionPool(crawler.settings.get("DCA_EXTRACTOR"), crawler.settings.getint("DCA_EXTRACT_WORKERS"))
        spider.fetch_requisites = crawler.settings.getbool("DCA_FETCH_REQUISITES", True)
        spider.rest_api = crawler.settings.getbool("DCA_REST_API", True)
        crawler.signals.connect(spider.pool.start, signal=signals.spider_opened)
        crawler.signals.connect(spider.pool.close, signal=signals.spider_closed)
        return spider

    async def start(self):
        for path in getattr(self.profile, "sitemap_paths", SITEMAP_PATHS):
            yield scrapy.Request(urljoin(self.root, path), callback=self.parse_sitemap)
        yield scrapy.Request(urljoin(self.root, FEED_PATH), callback=self.parse_feed)
        yield scrapy.Request(self.root, callback=self.parse_page)

    # Discovery -----------------------------------------------------------

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            url = clean_link(entry.get("loc", ""), response.url)
            if not url:
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(url, callback=self.parse_sitemap)
            else:
                # lastmod lets crawler/incremental.py skip articles that did not change.
                yield scrapy.Request(url, callback=self.parse_page, meta={"dca_lastmod": entry.get("lastmod")})

    def parse_feed(self, response):
        for entry in Selector(response=response, type="xml").xpath("//item"):
            url = clean_link(entry.xpath("link/text()").get(""), response.url)
            if url:
                # The item's date lets crawler/incremental.py skip articles that did not change.
                yield scrapy.Request(url, callback=self.parse_page,
                                     meta={"dca_feed_date": entry.xpath("pubDate/text()").get()})

    async def parse_page(self, response):
        if not _is_html(response):
            return
        listing = self.is_plain_listing(response.url)
        page = await self.read_page(response, extract=not listing)
        for url in self.seen.new(page.links):
            yield scrapy.Request(url, callback=self.parse_page)
        if pages.is_article(page.record):
            for request in self.requisite_requests(page.requisites):
                yield request
            for request in self.start_article(response, page.record, page.outlinks):
                yield request

    def is_plain_listing(self, url: str) -> bool:
        """Home, category, tag, author and paged listings: followed for links, never stored."""
        return pages.is_plain_listing(self.profile, url)

    # Articles, their comment pages and REST answers (crawler/pages.py) -----

    def start_article(self, response, record, outlinks=None):
        thread = pages.ArticleThread(record, response.meta.get("capture"), rest_api=self.rest_api,
                                     timezone=getattr(self.profile, "timezone", None), outlinks=outlinks)
        yield from self.next_thread_request(thread)

    async def parse_comment_page(self, response):
        thread = response.meta["thread"]
        page = await self.read_page(response, extract=True) if _is_html(response) else None
        record = page.record if page is not None else None
        thread.add(record, response.meta.get("capture"))
        if record is not None:
            for request in self.requisite_requests(page.requisites):
                yield request
        for request in self.next_thread_request(thread):
            yield request

    def comment_page_failed(self, failure):
        thread = failure.request.meta["thread"]
        thread.failed()
        self.crawler.stats.inc_value("comments/page_failed")
        self.logger.warning("comment page failed: %s (%s)", failure.request.url, failure.value)
        yield from self.next_thread_request(thread)

    async def parse_rest(self, response):
        thread = response.meta["thread"]
        # Read in a worker: a thread's JSON can be hundreds of comments, too much for the reactor.
        parsed = await self.pool.parse_rest(thread.awaited_kind, response.body, _header_values(response),
                                            thread.timezone)
        reason = thread.add_parsed_rest(parsed, response.meta.get("capture"))
        if reason:
            self.rest_failed(response.url, reason)
        else:
            self.crawler.stats.inc_value("comments/rest_responses")
        for request in self.next_thread_request(thread):
            yield request

    def rest_request_failed(self, failure):
        """A REST answer that is no 2xx (401, 404, ...) or none at all: the item is made from the HTML.
        (A 400 past the last comments page, where no X-WP-TotalPages said how many, ends the thread.)"""
        thread = failure.request.meta["thread"]
        response = getattr(failure.value, "response", None)
        if response is None:
            thread.failed()
            self.rest_failed(failure.request.url, repr(failure.value))
        else:
            thread.failed(response.status, response.body)
            if not thread.rest_complete:
                self.rest_failed(failure.request.url, f"HTTP {response.status}")
        yield from self.next_thread_request(thread)

    def rest_failed(self, url, reason):
        self.crawler.stats.inc_value("comments/rest_failed")
        self.logger.warning("REST API not used for this thread: %s (%s); comments come from the HTML", url, reason)

    def next_thread_request(self, thread):
        url = thread.next_url()
        if url is None:
            item = thread.item()
            self.crawler.stats.inc_value(f"comments/threads/{'complete' if item['complete'] else 'incomplete'}")
            yield item
        elif thread.awaited_kind == pages.HTML:
            yield scrapy.Request(url, callback=self.parse_comment_page, errback=self.comment_page_failed,
                                 meta={"thread": thread}, dont_filter=True)
        else:
            yield scrapy.Request(url, callback=self.parse_rest, errback=self.rest_request_failed,
                                 meta={"thread": thread}, dont_filter=True)

    # Requisites -------------------------------------------------------------

    def requisite_requests(self, urls):
        if not self.fetch_requisites:
            return
        for url in self.seen.new(urls):
            yield scrapy.Request(url, callback=self.parse_requisite)

    def parse_requisite(self, response):
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if "text/css" in content_type:
            for url in self.seen.new(css_links(response.text, response.url, self.root)):
                yield scrapy.Request(url, callback=self.parse_requisite)

    # Extraction ---------------------------------------------------------------

    async def read_page(self, response, extract: bool):
        """Links, requisites and page record, read in a worker (record None when extraction raised:
        counted and logged; the WARC has the page)."""
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        return await pages.read_page(self.pool, response.url, response.body, content_type, self.profile,
                                     self.root, extract, stats=self.crawler.stats, log=self.logger)


def site_profile(profile, zone: str | None, log):
    """The profile in the site's own zone (DCA_SITE_TIMEZONE, from the site list); logged once when it differs."""
    from crawler.sites import DEFAULT_PROFILE_ID

    zoned = profile.with_timezone(zone)
    if zoned is not profile:
        # A named profile knows its site's zone, so a different one in the list is worth a second look.
        level = logging.INFO if profile.id == DEFAULT_PROFILE_ID else logging.WARNING
        log.log(level, "site time zone %s replaces profile %r's %s for dates shown without a zone",
                zone, profile.id, profile.timezone)
    return zoned


def _is_html(response) -> bool:
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    return pages.is_html(content_type, response.body)


def _header_values(response) -> dict[str, str]:
    return pages.header_values((name.decode("latin-1"), values[-1].decode("latin-1"))
                               for name, values in response.headers.items() if values)
