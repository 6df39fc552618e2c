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
  when extraction raised (counted and logged; the WARC has the page); the spider's
  `read_page(pool, ...)` gets the same record with the page's links in one trip;
- `is_article(record)`: only article records start an item;
- `ArticleThread`: an article, its comment pages (/comment-page-N/ or ?cpage=N) and
  then, when the WordPress REST API is used, its REST post and comments pages,
  fetched one after another and merged into one item with `comment_captures` and
  `complete`.

`CommentPageTracker` replays the threads in capture order for the rebuild: the
spider knows which comment page a response answers from its request; the rebuild
knows it from the URL the thread asked for next.
"""

from __future__ import annotations

import logging

from crawler.extract import merge_comment_pages, rest
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


def is_rest_url(url: str) -> bool:
    return rest.is_rest_url(url)


def header_values(pairs) -> dict[str, str]:
    """Response headers as the REST parser reads them: name -> last value (Scrapy's Headers.get)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out[name.lower()] = value
    return out


def uses_rest(record: dict | None) -> bool:
    """Whether this article's thread can be read from the WordPress REST API (when it is enabled)."""
    return bool(record and record.get("api_root") and record.get("post_id")
                and record.get("comments_system") == "wordpress")


def is_article(record: dict | None) -> bool:
    return record is not None and record.get("page_type") == "article"


async def extract_record(pool, url: str, body: bytes, content_type: str | None, profile,
                         stats=None, log=None) -> dict | None:
    """The page record (read with `profile`, in its time zone), or None when extraction raised (counted and logged)."""
    try:
        return await pool.extract(url, body, content_type, profile.id, profile.timezone)
    except Exception:
        _extraction_failed(url, stats, log, exc_info=True)
        return None


async def read_page(pool, url: str, body: bytes, content_type: str | None, profile, root: str,
                    extract: bool, stats=None, log=None):
    """The page's links, and its record when `extract` (None when extraction raised: counted and
    logged). A worker that died costs the record, not the links: they are read here instead."""
    from crawler.extraction_pool import read_links

    try:
        reading = await pool.read_page(url, body, content_type, profile.id, profile.timezone, root, extract)
    except Exception:
        _extraction_failed(url, stats, log, exc_info=True)
        return read_links(url, body, content_type, root, profile, requisites=extract)
    if reading.error:
        _extraction_failed(url, stats, log, detail=reading.error)
    return reading


def _extraction_failed(url, stats, log, exc_info=False, detail=""):
    if stats is not None:
        stats.inc_value("extract/errors")
    (log or logger).error("extraction failed for %s; the response is archived, the crawl goes on%s",
                          url, "\n" + detail if detail else "", exc_info=exc_info)


# A thread asks for at most this many REST comment pages (100 comments each).
MAX_REST_PAGES = 1000

HTML, REST_POST, REST_COMMENTS = "html", "rest-post", "rest-comments"


class ArticleThread:
    """One article's thread: its comment pages, then its REST answers, then one item.

    The thread asks for one URL at a time (`next_url`); each answer comes back
    through `add` (an HTML comment page's record), `add_rest` (a REST response)
    or `failed` (no usable answer). HTML comment pages are told apart by their
    number, so `/comment-page-N/` and `?cpage=N` of one page are fetched once
    and merged into one thread, in whatever order the pages link them.

    After the HTML pages, when `rest_api` is on and the first record names the
    API root and post id of a native WordPress thread, the REST post and every
    page of `wp/v2/comments` are asked for (X-WP-TotalPages says how many; without
    it, pages are asked until one is empty or WordPress answers 400 "invalid page
    number"); a failure there ends the REST part and the item is made from the HTML alone.

    The item's `complete` says the stored thread shows every comment: every HTML
    comment page arrived, or every REST comments page did. Only a complete item
    can mark comments deleted (pipelines/store.py).
    """

    def __init__(self, first_record, capture, *, rest_api: bool = False, timezone: str | None = None,
                 outlinks: list | None = None):
        self.records = [first_record]
        self.capture = capture
        self.outlinks = outlinks  # the first page's links, read by the worker (archive/metadata.py)
        self.comment_captures = comment_captures(first_record, capture)
        self.canonical_url = first_record.get("canonical_url") or first_record.get("url")
        self.timezone = timezone
        self.pages_seen = {first_record.get("comment_page") or comment_page_number(first_record["url"])}
        self.pending: list[str] = []
        self.awaited = None        # the URL asked for last (the rebuild matches responses to it)
        self.awaited_kind = None   # HTML, REST_POST or REST_COMMENTS
        self.html_complete = True
        self.rest_state = "wanted" if rest_api and uses_rest(first_record) else "off"
        self.rest_post = None
        self.rest_pages: list[dict] = []
        self.rest_captures: dict[str, str] = {}
        self.rest_total_pages = None
        self._queue_pages(first_record)

    # -- what to ask for ---------------------------------------------------------
    def next_url(self) -> str | None:
        """The next URL to fetch for this thread, or None when the item is ready."""
        url, kind = self._next()
        self.awaited, self.awaited_kind = url, kind
        return url

    def _next(self):
        if self.pending:
            url = self.pending.pop(0)
            self.pages_seen.add(comment_page_number(url))
            return url, HTML
        record = self.records[0]
        if self.rest_state == "wanted":
            self.rest_state = "asking"
            return rest.post_url(record["api_root"], record["post_id"]), REST_POST
        if self.rest_state == "asking":
            page = len(self.rest_pages) + 1
            if self.rest_pages and not self._more_rest_pages():
                self.rest_state = "done"
                return None, None
            return rest.comments_url(record["api_root"], record["post_id"], page), REST_COMMENTS
        return None, None

    def _more_rest_pages(self) -> bool:
        have = len(self.rest_pages)
        if have >= MAX_REST_PAGES:
            return False
        if self.rest_total_pages is not None:
            return have < self.rest_total_pages
        # No X-WP-TotalPages (a proxy or plugin dropped it), and a site may cap per_page below
        # what was asked: only an empty page, or WordPress's "invalid page number", ends the thread.
        return bool(self.rest_pages[-1]["comments"])

    def could_ask(self, url: str) -> bool:
        """Whether the thread would ask for `url` once what it awaits now is given up."""
        if url in self.pending:
            return True
        record = self.records[0]
        return (self.rest_state == "wanted" and self.awaited_kind == HTML
                and url == rest.post_url(record["api_root"], record["post_id"]))

    def skip_to(self, url: str) -> None:
        """What the thread awaited, and what it would have asked before `url`, failed without a response."""
        self.failed()
        skipped = self.pending[:self.pending.index(url)] if url in self.pending else list(self.pending)
        if skipped:
            self.html_complete = False
        del self.pending[:len(skipped) + (url in self.pending)]
        if comment_page_number(url) > 1 and not is_rest_url(url):
            self.pages_seen.add(comment_page_number(url))
            self.awaited, self.awaited_kind = url, HTML
        else:
            self.rest_state = "asking"
            self.awaited, self.awaited_kind = url, REST_POST

    # -- answers ------------------------------------------------------------------
    def add(self, record, capture) -> None:
        """The awaited HTML comment page's record (None: the page failed or was no HTML)."""
        if record is None:
            self.html_complete = False
            return
        self.records.append(record)
        self.comment_captures.update(comment_captures(record, capture))
        self._queue_pages(record)

    def add_rest(self, body: bytes, headers: dict, capture) -> str | None:
        """The awaited REST response (2xx). Returns why it ends the REST part, or None when it was good."""
        return self.add_parsed_rest(parse_rest_answer(self.awaited_kind, body, headers, self.timezone), capture)

    def add_parsed_rest(self, parsed: dict | None, capture) -> str | None:
        """`add_rest` for an answer already read by parse_rest_answer (in an extraction worker)."""
        if self.awaited_kind == REST_POST:
            if parsed is None:
                return self._rest_failed("not a WordPress post object")
            self.rest_post = parsed
            return None
        page = parsed  # a comments page
        if page is None:
            return self._rest_failed("not a JSON list of comments")
        self.rest_pages.append(page)
        if len(self.rest_pages) == 1:
            self.rest_total_pages = page.get("total_pages")
        if capture:
            for comment in page["comments"]:
                self.rest_captures.setdefault(comment["id"], capture["warc_record_id"])
        return None

    def failed(self, status: int | None = None, body: bytes | None = None) -> None:
        """What the thread awaited brought no usable answer (an error `status` and its `body`, or
        no response at all)."""
        if self.awaited_kind == HTML:
            self.html_complete = False
        elif self._past_the_last_rest_page(status, body):
            self.rest_state = "done"
        elif self.awaited_kind in (REST_POST, REST_COMMENTS):
            self._rest_failed("no answer")

    def _past_the_last_rest_page(self, status, body) -> bool:
        """WordPress answers a comments page past the last one with 400 and
        `rest_comment_invalid_page_number`: with no X-WP-TotalPages, that is the thread's end."""
        return (self.awaited_kind == REST_COMMENTS and status == 400 and bool(self.rest_pages)
                and self.rest_total_pages is None and b"_invalid_page_number" in (body or b""))

    def _rest_failed(self, reason: str) -> str:
        self.rest_state = "failed"
        return reason

    def _queue_pages(self, record) -> None:
        for url in record.get("comment_pages", []) if record else ():
            number = comment_page_number(url)
            if number not in self.pages_seen and all(comment_page_number(u) != number for u in self.pending):
                self.pending.append(url)

    # -- the item -------------------------------------------------------------------
    @property
    def rest_complete(self) -> bool:
        return self.rest_state == "done"

    def abandon(self) -> None:
        """The archive ended (or the article was fetched again) while the thread waited: give up the rest."""
        if self.awaited is not None:
            self.failed()
        if self.pending:
            self.html_complete = False
            self.pending = []
        if self.rest_state in ("wanted", "asking"):
            self.rest_state = "failed"
        self.awaited = self.awaited_kind = None

    def item(self):
        record = merge_comment_pages(self.records) if len(self.records) > 1 else self.records[0]
        captures = dict(self.comment_captures)
        if self.rest_complete:
            record = rest.apply_rest(record, self.rest_post, self.rest_pages, complete=True)
            captures.update(self.rest_captures)
        item = {"record": record, "capture": self.capture, "comment_captures": captures,
                "complete": self.html_complete or self.rest_complete}
        if self.outlinks is not None:
            item["outlinks"] = self.outlinks
        return item


def parse_rest_answer(kind: str, body: bytes, headers: dict, timezone: str | None) -> dict | None:
    """A REST answer read as the thread awaits it (`kind`): the post, a comments page, or None."""
    if kind == REST_POST:
        return rest.parse_post(body, timezone)
    return rest.parse_comments_page(body, headers, timezone)


def comment_captures(record, capture):
    if not capture:
        return {}
    return {comment["id"]: capture["warc_record_id"] for comment in record.get("comments", [])}


class CommentPageTracker:
    """The spider's threads, replayed over responses in capture order.

    `claim(url)` returns the thread that asked for this URL (then `deliver` the
    page's record, or None when it failed, or `deliver_rest` a REST response);
    otherwise the response is a page of its own and an article record `start`s a
    thread. Each call returns the items finished by it. `finish()` returns the
    threads still waiting when the archive ends (their missing pages were never
    captured).
    """

    def __init__(self, rest_api: bool = True):
        self.rest_api = rest_api
        self.awaiting: dict[str, list[ArticleThread]] = {}
        self.open: list[ArticleThread] = []

    def start(self, record, capture, timezone: str | None = None) -> list[dict]:
        # A thread of the same article still waiting for a response that never
        # came (a request that failed without one) is over: the crawl moved on.
        stale = [t for t in self.open if t.canonical_url == record.get("canonical_url")]
        items = [self._close(thread) for thread in stale]
        thread = ArticleThread(record, capture, rest_api=self.rest_api, timezone=timezone)
        self.open.append(thread)
        return items + self._advance(thread)

    def claim(self, url: str) -> ArticleThread | None:
        threads = self.awaiting.get(url)
        if threads:
            thread = threads.pop(0)
            if not threads:
                del self.awaiting[url]
            return thread
        if may_be_comment_page(url) or is_rest_url(url):
            # Asked for after a request that failed without any response.
            for thread in self.open:
                if thread.could_ask(url):
                    self._forget(thread)
                    thread.skip_to(url)
                    return thread
        return None

    def redirected(self, url: str, location: str) -> None:
        """A thread's URL answered with a redirect: the thread waits for its target."""
        threads = self.awaiting.pop(url, None)
        if threads:
            for thread in threads:
                thread.awaited = location
            self.awaiting.setdefault(location, []).extend(threads)

    def deliver(self, thread: ArticleThread, record, capture) -> list[dict]:
        """An HTML comment page's record (None: it failed)."""
        if thread.awaited_kind == HTML:
            thread.add(record, capture)
        else:
            thread.failed()
        return self._advance(thread)

    def deliver_rest(self, thread: ArticleThread, status, body, headers, capture) -> list[dict]:
        """A REST response: a 2xx body is parsed; anything else ends the REST part."""
        if thread.awaited_kind in (REST_POST, REST_COMMENTS) and reaches_parser(status) and body is not None:
            thread.add_rest(body, headers, capture)
        else:
            thread.failed(status, body)
        return self._advance(thread)

    def finish(self) -> list[dict]:
        items = [self._close(thread) for thread in list(self.open)]
        self.open, self.awaiting = [], {}
        return items

    def _close(self, thread) -> dict:
        self._forget(thread)
        self.open.remove(thread)
        thread.abandon()
        return thread.item()

    def _advance(self, thread) -> list[dict]:
        url = thread.next_url()
        if url is None:
            self.open.remove(thread)
            return [thread.item()]
        self.awaiting.setdefault(url, []).append(thread)
        return []

    def _forget(self, thread) -> None:
        threads = self.awaiting.get(thread.awaited)
        if threads and thread in threads:
            threads.remove(thread)
            if not threads:
                del self.awaiting[thread.awaited]
