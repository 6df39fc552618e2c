"""What becomes of one captured response: the decisions shared by the crawl and `dca rebuild`.

The spider (crawler/spiders/wordpress.py) and the rebuild (archive/rebuild.py)
both use these, so a database rebuilt from the WARC files is made the way the
crawl made it. There is no second code path:

- `reaches_parser(status)`: only 2xx responses reach the spider's callbacks
  (Scrapy's HttpErrorMiddleware drops the rest; a 304 answered from the archive
  arrives as the original 200);
- `is_html(content_type, body)`: only HTML is extracted;
- `is_plain_listing(profile, url)`: home, category, tag, author and paged listings
  are followed for links, never extracted;
- `extract_record(pool, ...)`: the page record through the extraction pool, or None
  when extraction raised (counted and logged; the WARC has the page);
- `is_article(record)`: only article records start an item;
- `ArticleThread`: an article and its comment pages (/comment-page-N/), fetched one
  after another, merged into one item with `comment_captures`.

`CommentPageTracker` replays the threads in capture order for the rebuild: the
spider knows which comment page a response answers from its request; the rebuild
knows it from the URL the thread asked for next.
"""

from __future__ import annotations

import logging

from crawler.extract import merge_comment_pages
from crawler.extract.comments import comment_page_number

logger = logging.getLogger(__name__)


def reaches_parser(status: int | None) -> bool:
    """Whether a response of this status reaches a spider callback (HttpErrorMiddleware's rule)."""
    return status is not None and 200 <= int(status) < 300


def is_retried(status: int | None) -> bool:
    """Whether Scrapy's RetryMiddleware asks again after this status (so another response may follow)."""
    from crawler import settings

    return status is not None and int(status) in settings.RETRY_HTTP_CODES


def is_html(content_type: str | None, body: bytes | None) -> bool:
    content_type = (content_type or "").lower()
    return "html" in content_type or (not content_type and (body or b"").lstrip()[:1] == b"<")


def is_plain_listing(profile, url: str) -> bool:
    """Home, category, tag, author and paged listings: followed for links, never stored."""
    return profile.is_listing_url(url) and not profile.is_article_url(url)


def may_be_comment_page(url: str) -> bool:
    return comment_page_number(url) > 1


def is_article(record: dict | None) -> bool:
    return record is not None and record.get("page_type") == "article"


async def extract_record(pool, url: str, body: bytes, content_type: str | None, site_id: str,
                         stats=None, log=None) -> dict | None:
    """The page record, or None when extraction raised (counted in stats and logged)."""
    try:
        return await pool.extract(url, body, content_type, site_id)
    except Exception:
        if stats is not None:
            stats.inc_value("extract/errors")
        (log or logger).exception("extraction failed for %s; the response is archived, the crawl goes on", url)
        return None


class ArticleThread:
    """Collects the comment pages of one article until none is left, then merges them."""

    def __init__(self, first_record, capture):
        self.records = [first_record]
        self.capture = capture
        self.comment_captures = comment_captures(first_record, capture)
        self.visited = {first_record["url"], first_record.get("canonical_url")}
        self.pending = []
        self.awaited = None  # the comment page asked for last (rebuild bookkeeping)

    def add(self, record, capture):
        self.records.append(record)
        self.comment_captures.update(comment_captures(record, capture))

    def next_page(self, record):
        for url in record.get("comment_pages", []) if record else ():
            if url not in self.visited and url not in self.pending:
                self.pending.append(url)
        if not self.pending:
            self.awaited = None
            return None
        url = self.pending.pop(0)
        self.visited.add(url)
        self.awaited = url
        return url

    def skip_to(self, url) -> None:
        """The pages asked for before `url` failed without a response (e.g. refused): go on at `url`."""
        while self.pending and self.pending[0] != url:
            self.visited.add(self.pending.pop(0))
        if self.pending:
            self.pending.pop(0)
        self.visited.add(url)
        self.awaited = url

    def item(self):
        record = merge_comment_pages(self.records) if len(self.records) > 1 else self.records[0]
        return {"record": record, "capture": self.capture, "comment_captures": self.comment_captures}


def comment_captures(record, capture):
    if not capture:
        return {}
    return {comment["id"]: capture["warc_record_id"] for comment in record.get("comments", [])}


class CommentPageTracker:
    """The spider's comment-page threads, replayed over responses in capture order.

    `claim(url)` returns the thread that asked for this URL (then `deliver` the
    page's record, or None when it failed); otherwise the response is a page of
    its own and an article record `start`s a thread. Each call returns the
    finished item or None. `finish()` returns the threads still waiting when the
    archive ends (their missing pages were never captured).
    """

    def __init__(self):
        self.awaiting: dict[str, list[ArticleThread]] = {}
        self.open: list[ArticleThread] = []

    def start(self, record, capture):
        thread = ArticleThread(record, capture)
        self.open.append(thread)
        return self._advance(thread, record)

    def claim(self, url: str) -> ArticleThread | None:
        threads = self.awaiting.get(url)
        if threads:
            thread = threads.pop(0)
            if not threads:
                del self.awaiting[url]
            return thread
        if may_be_comment_page(url):
            # A page asked for after one that failed without any response.
            for thread in self.open:
                if url in thread.pending:
                    self._forget(thread)
                    thread.skip_to(url)
                    return thread
        return None

    def redirected(self, url: str, location: str) -> None:
        """A comment page answered with a redirect: the thread waits for its target."""
        threads = self.awaiting.pop(url, None)
        if threads:
            for thread in threads:
                thread.awaited = location
            self.awaiting.setdefault(location, []).extend(threads)

    def deliver(self, thread: ArticleThread, record, capture):
        if record is not None:
            thread.add(record, capture)
        return self._advance(thread, record)

    def finish(self) -> list[dict]:
        items = [thread.item() for thread in self.open]
        self.open, self.awaiting = [], {}
        return items

    def _advance(self, thread, record):
        url = thread.next_page(record)
        if url is None:
            self.open.remove(thread)
            return thread.item()
        self.awaiting.setdefault(url, []).append(thread)
        return None

    def _forget(self, thread) -> None:
        threads = self.awaiting.get(thread.awaited)
        if threads and thread in threads:
            threads.remove(thread)
            if not threads:
                del self.awaiting[thread.awaited]
