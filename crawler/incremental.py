"""Incremental crawling: article pages the archive already holds are not fetched again unless they changed.

`IncrementalMiddleware` (spider middleware, wired in settings.py) looks at every
request the spider yields for a page (callback `parse_page`). When the output
database already holds an article at that URL, the request is dropped unless

(a) the sitemap `<lastmod>` (request.meta["dca_lastmod"], put there by
    `parse_sitemap`) or the feed item's `pubDate` (request.meta["dca_feed_date"],
    put there by `parse_feed`) is newer than the article's last capture; or
(b) the article was published less than `DCA_REFETCH_DAYS` days ago (young
    articles gather comments: they are fetched on every run); or
(c) the article is not known (not in the database: a new article, or one a
    crashed run captured but never stored).

Dates are compared on the site's own clock. "Now" is the newest `Date` header
the site has sent in this run, and "the article's last capture" is the clock of
the crawl that made the article's newest capture (`crawls.clock`: the first
`Date` the site sent in that run). Comparing the site's lastmod with the site's
Date keeps a skewed local clock from refetching everything or missing changes.
`DCA_NOW` overrides both (tests and replays of a schedule run a crawl "on" a
given date, e.g. the sample site's `day_clock(N)`); the WARC records keep the
real time either way. A response without a Date falls back to the local clock.
Sitemap dates without a zone are read in the site's zone (`DCA_SITE_TIMEZONE`, else the profile's).

A page fetched again still goes through conditional GET (stored validators) and
payload deduplication (a revisit record when nothing changed).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dateparser
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.dedup import open_readonly

logger = logging.getLogger(__name__)

LASTMOD_META = "dca_lastmod"
FEED_DATE_META = "dca_feed_date"
DEFAULT_REFETCH_DAYS = 7


def parse_when(value, tz=timezone.utc) -> datetime | None:
    """An aware datetime from an ISO 8601 / W3C / RFC 822 date; naive ones are in `tz`."""
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        parsed = _iso_or_http_date(text) or dateparser.parse(
            text, languages=["en"], settings={"RETURN_AS_TIMEZONE_AWARE": False})
        if parsed is None:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _iso_or_http_date(text: str) -> datetime | None:
    """The two forms nearly every date here takes, parsed without dateparser, which
    costs about a millisecond a call: too much for every response's Date header."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def fixed_now(settings) -> datetime | None:
    """DCA_NOW (for tests and replays of a schedule), or None: the site's clock then."""
    value = settings.get("DCA_NOW")
    if not value:
        return None
    when = parse_when(value)
    if when is None:
        raise ValueError(f"DCA_NOW={value!r} is not a date (ISO 8601 expected)")
    return when


class KnownArticle:
    __slots__ = ("published", "captured")

    def __init__(self, published: datetime | None, captured: datetime | None):
        self.published = published
        self.captured = captured


def known_articles(db_path: Path) -> dict[str, KnownArticle]:
    """url and canonical url -> when published and when last captured (crawl clock), from the database."""
    conn = open_readonly(db_path)
    if conn is None:
        return {}
    try:
        crawl_columns = {r[1] for r in conn.execute("PRAGMA table_info(crawls)")}
        clock = "coalesce(cr.clock, c.fetched_at)" if "clock" in crawl_columns else "c.fetched_at"
        rows = conn.execute(
            f"SELECT a.url, a.canonical_url, a.published_at, {clock} AS captured FROM articles a"
            " LEFT JOIN captures c ON c.id = a.capture_id LEFT JOIN crawls cr ON cr.id = c.crawl_id").fetchall()
    except sqlite3.Error:
        logger.exception("incremental: the articles of %s are not readable; every article is fetched", db_path)
        return {}
    finally:
        conn.close()
    known = {}
    for row in rows:
        article = KnownArticle(parse_when(row["published_at"]), parse_when(row["captured"]))
        for url in (row["url"], row["canonical_url"]):
            if url:
                known[url] = article
    return known


class IncrementalMiddleware:
    def __init__(self, crawler, db_path: Path, now: datetime | None, refetch_days: float, site_tz):
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = db_path
        self.fixed = now is not None
        self.refetch = timedelta(days=refetch_days)
        self.now = now
        self.site_tz = site_tz
        self._known: dict[str, KnownArticle] | None = None
        self.skipped: set[str] = set()
        self.passed: set[str] = set()
        self._last_date_header = None

    @classmethod
    def from_crawler(cls, crawler):
        from archive.capture import db_path

        settings = crawler.settings
        if not settings.getbool("DCA_INCREMENTAL", True) or not settings.get("DCA_OUT_DIR"):
            raise NotConfigured
        zone = settings.get("DCA_SITE_TIMEZONE")
        site_tz = ZoneInfo(zone) if zone else None  # None: the spider's profile's zone (see `zone`)
        days = settings.getfloat("DCA_REFETCH_DAYS", DEFAULT_REFETCH_DAYS)
        middleware = cls(crawler, db_path(settings), fixed_now(settings), days, site_tz)
        crawler.dca_incremental = middleware  # for IncrementalRedirectFilter
        return middleware

    @property
    def known(self) -> dict[str, KnownArticle]:
        if self._known is None:  # read once, at the first page request: only earlier runs count
            self._known = known_articles(self.db_path)
            logger.info("incremental: %d article URL(s) already archived; now is %s, re-fetch window %s days",
                        len(self._known), self.current_now().isoformat(), self.refetch.days)
        return self._known

    def process_spider_output(self, response, result, spider=None):
        self.tick(response)
        for item_or_request in result:
            if self.wanted(item_or_request):
                yield item_or_request

    async def process_spider_output_async(self, response, result, spider=None):
        self.tick(response)
        async for item_or_request in result:
            if self.wanted(item_or_request):
                yield item_or_request

    def tick(self, response) -> None:
        """Follow the site's clock (its Date header), unless DCA_NOW fixes it."""
        if self.fixed or response is None:
            return
        header = response.headers.get(b"Date", b"")
        if header == self._last_date_header:  # a busy crawl sees the same second many times
            return
        self._last_date_header = header
        date = parse_when(header.decode("latin-1") or None)
        if date is None:
            return
        if self.stats.get_value("dca/clock") is None:  # the run's clock: the first Date (crawls.clock)
            self.stats.set_value("dca/clock", date.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if self.now is None or date > self.now:
            self.now = date

    def current_now(self) -> datetime:
        return self.now or datetime.now(timezone.utc)

    def wanted(self, request) -> bool:
        if not isinstance(request, Request) or getattr(request.callback, "__name__", "") != "parse_page":
            return True
        reason = self.reason_to_fetch(request)
        if reason is None:
            if request.url not in self.passed and request.url not in self.skipped:
                self.skipped.add(request.url)
                logger.debug("incremental: %s unchanged since its last capture; not fetched", request.url)
            self._count()
            return False
        if reason != "unknown" and request.url not in self.passed:
            self.stats.inc_value(f"incremental/refetch/{reason}")
        self.passed.add(request.url)
        self.skipped.discard(request.url)
        self._count()
        return True

    @property
    def zone(self):
        """The site's zone: the site list's, else the one of the profile the spider reads the site with."""
        if self.site_tz is None:
            profile = getattr(getattr(self.crawler, "spider", None), "profile", None)
            self.site_tz = ZoneInfo(profile.timezone) if profile is not None else timezone.utc
        return self.site_tz

    def reason_to_fetch(self, request) -> str | None:
        """Why this page request goes out ("unknown", "lastmod", "feed", "young"), or None to drop it."""
        article = self.known.get(request.url)
        if article is None or article.captured is None:
            return "unknown"
        for key, reason in ((LASTMOD_META, "lastmod"), (FEED_DATE_META, "feed")):
            changed = parse_when(request.meta.get(key), self.zone)
            if changed is not None and changed > article.captured:
                return reason
        if article.published is None or article.published >= self.current_now() - self.refetch:
            return "young"
        return None

    def _count(self) -> None:
        self.stats.set_value("incremental/skipped", len(self.skipped))


class IncrementalRedirectFilter:
    """Downloader middleware: the same rule for a page reached through a redirect (e.g. /go/SLUG/ -> article).

    RedirectMiddleware sends the new request straight to the scheduler, past the
    spider middleware, so the target of a redirect is checked here instead.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DCA_INCREMENTAL", True):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request, spider=None):
        incremental = getattr(self.crawler, "dca_incremental", None)
        if incremental is None or not request.meta.get("redirect_urls"):
            return None
        if not incremental.wanted(request):
            raise IgnoreRequest(f"unchanged since its last capture (reached by redirect): {request.url}")
        return None
