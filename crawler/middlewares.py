"""Downloader and spider middlewares of our own; each is wired in settings.py."""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from twisted.internet.defer import Deferred

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware (Protego), without letting the first requests through, and with Crawl-delay.

    In Scrapy 2.19 every request that waits for a host's robots.txt awaits one shared
    Deferred; only the first waiter receives the parser and the others get None,
    which Scrapy reads as "allowed". Once robots.txt has been parsed, the parser is
    in `_parsers`, so a waiter that got None looks it up there.

    Scrapy reads `Crawl-delay` but does not apply it. Here it becomes the floor of
    the host's download delay: set before every request, because AutoThrottle
    lowers a slot's delay towards its own minimum (DOWNLOAD_DELAY) after each response.
    """

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            known = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(known, Deferred):
                return known
        return parser

    def process_request_2(self, rp, request):
        super().process_request_2(rp, request)
        if rp is not None:
            self.apply_crawl_delay(rp, request)

    def apply_crawl_delay(self, rp, request) -> None:
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        try:
            delay = rp.crawl_delay(agent)
        except Exception:  # a parser without crawl-delay support
            delay = None
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:  # the slot is made when this request reaches the downloader
            settings = downloader.per_slot_settings.setdefault(key, {})
            settings["delay"] = max(float(settings.get("delay", 0) or 0), delay)
        elif slot.delay < delay:
            slot.delay = delay
        if not self._stats.get_value("robotstxt/crawl_delay"):
            logger.info("robots.txt of %s asks for Crawl-delay: %s s; honoured", key, delay)
        self._stats.max_value("robotstxt/crawl_delay", delay)


def retry_after_seconds(value, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry instead of asking again at once.

    - 429 and 503 with `Retry-After` (seconds or an HTTP-date): the retry waits that
      long, and so does every other request to the host (its download slot is held
      back). A Retry-After longer than DCA_RETRY_AFTER_MAX is not waited out: the
      request is given up (counted) rather than stalling the run.
    - other retryable answers and errors: exponential backoff,
      DCA_RETRY_BACKOFF_BASE * 2**(attempt-1), at most DCA_RETRY_BACKOFF_MAX.
    - at most RETRY_TIMES retries per request (Scrapy's cap); requests that give up
      are counted in `dca/failed/...`.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("DCA_RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("DCA_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("DCA_RETRY_AFTER_MAX", 600.0)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = response_status_message(response.status)
        wait = self.wait_before_retry(request, response)
        if wait is None:
            self.crawler.stats.inc_value("dca/retry_after_too_long")
            logger.warning("%s asks to come back in more than %.0f s (Retry-After: %s); giving up on it this run",
                           request.url, self.retry_after_max, response.headers.get(b"Retry-After", b"").decode("latin-1"))
            return response
        retry = self._retry(request, reason)
        if retry is None:
            return response
        await self.hold_back(request, wait, f"{response.status} {reason}")
        return retry

    async def process_exception(self, request, exception, spider=None):
        if isinstance(exception, IgnoreRequest):
            return None
        retryable = isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False)
        retry = self._retry(request, exception) if retryable else None
        if retry is None:
            self.crawler.stats.inc_value(f"dca/failed/{type(exception).__name__}")
            return None
        await self.hold_back(request, self.backoff(request), type(exception).__name__)
        return retry

    def wait_before_retry(self, request, response) -> float | None:
        """Seconds before the retry; None when the server asks for longer than we wait."""
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > self.retry_after_max:
                    return None
                self.crawler.stats.inc_value("dca/retry_after")
                return max(asked, self.backoff(request))
        return self.backoff(request)

    def backoff(self, request) -> float:
        attempt = request.meta.get("retry_times", 0) + 1
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))

    async def hold_back(self, request, seconds: float, why: str) -> None:
        """Keep the host's slot quiet for `seconds`, and wait that long before handing back the retry."""
        if seconds <= 0:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get("download_slot") or downloader.get_slot_key(request))
        if slot is not None:
            # The downloader waits until lastseen + delay: push lastseen into the future.
            slot.lastseen = max(slot.lastseen, time.monotonic() + seconds - slot.delay)
        logger.info("waiting %.1f s before retrying %s (%s)", seconds, request.url, why)
        self.crawler.stats.inc_value("dca/retry_wait_seconds", seconds)
        await asyncio.sleep(seconds)


class StartUrlsMiddleware:
    """Spider middleware: the site list's further start URLs (DCA_START_URLS after the root) are crawled too."""

    def __init__(self, crawler, urls):
        self.crawler = crawler
        self.urls = list(urls)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getlist("DCA_START_URLS"))

    async def process_start(self, start):
        async for request in start:
            yield request
        spider = self.crawler.spider
        for url in self.urls[1:]:
            yield scrapy.Request(url, callback=spider.parse_page)
