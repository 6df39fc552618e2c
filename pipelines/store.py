"""The one store: page records and captures into SQLite (see DESIGN.md, "The database").

`Store` buffers captures and items and writes them in `flush()`, one transaction
per flush (a savepoint per item inside it, so one bad item cannot sink a batch).
Captures are written first and rows point at them through `warc_record_id`.
Timestamps (`first_seen`, `last_seen`, `seen_at`) are the capture's WARC-Date, so a
database rebuilt from the WARC files gets the same values as the crawl's.

`StorePipeline` is the Scrapy item pipeline around it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import logging
import os
from collections import Counter, deque
from concurrent.futures import Future
from pathlib import Path
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import signals

from pipelines.schema import connect
from pipelines.store_thread import StoreThread

logger = logging.getLogger(__name__)

CAPTURE_COLUMNS = (
    "url", "fetched_at", "status", "content_type", "warc_file", "warc_offset",
    "warc_length", "warc_record_id", "payload_digest", "etag", "last_modified",
    "refers_to", "warc_type",
)
ARTICLE_FIELDS = (
    "url", "title", "subtitle", "section", "body_text", "body_html", "published_at",
    "modified_at", "language", "comment_count", "declared_comment_count",
    "pingback_count", "post_id", "comments_system", "comments_thread_id",
)
COMMENT_COLUMNS = (
    "site", "host", "article_id", "comment_id", "parent_comment_id", "author",
    "author_url", "posted_at", "text", "depth", "position", "first_seen",
    "last_seen", "deleted_at", "capture_id", "by_post_author", "deleted_capture_id",
)
# Columns a newer capture of a comment overwrites (an older one only widens first_seen).
COMMENT_CURRENT = (
    "article_id", "parent_comment_id", "author", "author_url", "posted_at", "text",
    "depth", "position", "deleted_at", "capture_id", "by_post_author", "deleted_capture_id",
)
COUNT_COLUMNS = (
    "article_id", "capture_id", "seen_at", "comment_count", "declared_comment_count",
    "pingback_count", "complete",
)
GENERIC_SITE = "wordpress"
SQL_CHUNK = 500


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(title: str | None, body_text: str | None) -> str:
    """sha256 over title and body text: the identity of an article's content."""
    data = f"{title or ''}\n\n{body_text or ''}".encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


def to_json(value) -> str:
    """JSON for settings and stats: datetimes as ISO 8601, anything else odd as str."""

    def default(obj):
        if isinstance(obj, (dt.datetime, dt.date, dt.time)):
            return obj.isoformat()
        if isinstance(obj, dt.timedelta):
            return obj.total_seconds()
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        return str(obj)

    return json.dumps(value, default=default, sort_keys=True)


def comment_host(record: dict) -> str:
    """The scope of comment ids besides the site: only needed for the generic profile."""
    if record.get("site") != GENERIC_SITE:
        return ""
    url = record.get("canonical_url") or record.get("url") or ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _insert_sql(table: str, columns, conflict: str = "") -> str:
    cols = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT {conflict} INTO {table} ({cols}) VALUES ({marks})"


class RowsInsert:
    """One INSERT for many rows (lists of str, int and None), run as one statement over the
    rows given as a JSON array: SQLite walks the rows itself. executemany binds and steps each
    row from Python and lets go of the GIL for each: on a crawl's comments it took about 1.7
    times the CPU (1.73-1.95 s against 1.04-1.14 s), and cost the reactor's thread a GIL
    handover per row."""

    def __init__(self, table: str, columns, conflict: str = "", tail: str = ""):
        cols = ", ".join(columns)
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        # WHERE true: without it SQLite's parser would take an upsert's ON CONFLICT for a join's.
        self.all_at_once = f"INSERT {conflict} INTO {table} ({cols}) SELECT {values} FROM json_each(?) WHERE true{tail}"
        self.one_by_one = _insert_sql(table, columns, conflict) + tail

    def run(self, conn, rows: list) -> int:
        """Insert the rows; return how many rows changed."""
        data = json.dumps(rows, ensure_ascii=False)
        if "\\u0000" in data:  # json_extract ends a text at its first NUL: those rows go one by one
            return conn.executemany(self.one_by_one, rows).rowcount
        return conn.execute(self.all_at_once, (data,)).rowcount


CAPTURE_INSERT = RowsInsert("captures", ("crawl_id",) + CAPTURE_COLUMNS, "OR IGNORE")
COMMENT_UPSERT = RowsInsert("comments", COMMENT_COLUMNS, tail=(
    " ON CONFLICT (site, host, comment_id) DO UPDATE SET "
    + "first_seen = min(comments.first_seen, excluded.first_seen), "
    + ", ".join(
        f"{c} = CASE WHEN excluded.last_seen >= comments.last_seen "
        f"THEN excluded.{c} ELSE comments.{c} END"
        for c in COMMENT_CURRENT
    )
    + ", last_seen = max(comments.last_seen, excluded.last_seen)"
))


class Store:
    """The archive database: `add_capture`/`add_item` buffer, `flush` writes."""

    def __init__(self, db_path: str | os.PathLike):
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = connect(self.path)
        self.crawl_id: int | None = None
        self._captures: dict[str, dict] = {}
        self._items: list[dict] = []

    # -- crawls ---------------------------------------------------------------

    def begin_crawl(self, settings: dict) -> int:
        """A `crawls` row for this run; its clock is DCA_NOW (tests, schedule replays) or the start time."""
        started = utc_now()
        site = settings.get("DCA_SITE_NAME") or settings.get("DCA_SITE") or None
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO crawls (started_at, settings, status, site, clock) VALUES (?, ?, 'running', ?, ?)",
                [started, to_json(settings), site, settings.get("DCA_NOW") or started],
            )
        self.crawl_id = cur.lastrowid
        return self.crawl_id

    def end_crawl(self, stats: dict, status: str = "finished") -> None:
        self.flush()
        if self.crawl_id is None:
            return
        counts = crawl_counts(stats)
        if stats.get("dca/clock"):  # the site's clock at the start of the run (crawler/incremental.py)
            counts["clock"] = stats["dca/clock"]
        sets = ", ".join(f"{column} = ?" for column in counts)
        with self.db.atomic():
            self.db.execute(
                f"UPDATE crawls SET finished_at = ?, stats = ?, status = ?, {sets} WHERE id = ?",
                [utc_now(), to_json(stats), status, *counts.values(), self.crawl_id],
            )

    def ensure_site(self, site_id: str, name: str | None = None,
                    timezone: str | None = None) -> None:
        """Record a site profile's name and time zone (items only know its id)."""
        with self.db.atomic():
            self._upsert_site(site_id, name, timezone)

    def close(self) -> None:
        self.flush()
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- buffering ------------------------------------------------------------

    def add_capture(self, capture: dict) -> None:
        record_id = capture.get("warc_record_id")
        if not record_id:
            logger.warning("capture without warc_record_id ignored: %s", capture.get("url"))
            return
        self._captures.setdefault(record_id, dict(capture))

    def add_item(self, item) -> None:
        # A plain dict item is taken as is (asdict would deep-copy every comment of the record).
        item = item if type(item) is dict else ItemAdapter(item).asdict()
        if item.get("capture"):
            self.add_capture(item["capture"])
        self._items.append(item)

    @property
    def pending_items(self) -> int:
        return len(self._items)

    @property
    def pending_captures(self) -> int:
        return len(self._captures)

    def flush(self) -> Counter:
        """Write everything buffered in one transaction; return row counts."""
        counts: Counter = Counter()
        if not self._captures and not self._items:
            return counts
        captures, items = list(self._captures.values()), self._items
        self._captures, self._items = {}, []
        try:
            with self.db.atomic():
                counts["captures"] = self._write_captures(captures)
                ids = self._capture_ids(items)
                for item in items:
                    counts += self._write_item_safely(item, ids)
        except BaseException:  # rolled back: keep everything for the next flush
            self._captures = {c["warc_record_id"]: c for c in captures} | self._captures
            self._items = items + self._items
            raise
        return counts

    # -- captures -------------------------------------------------------------

    def _write_captures(self, captures: list[dict]) -> int:
        rows = [
            [self.crawl_id] + [c.get(k) for k in CAPTURE_COLUMNS[:-1]]
            + [c.get("warc_type") or "response"]
            for c in captures
        ]
        return max(CAPTURE_INSERT.run(self.db.conn, rows), 0)

    def _capture_ids(self, items: list[dict]) -> dict[str, int]:
        wanted = set()
        for item in items:
            wanted.add((item.get("capture") or {}).get("warc_record_id"))
            wanted.update((item.get("comment_captures") or {}).values())
        wanted = sorted(w for w in wanted if w)
        ids = {}
        for i in range(0, len(wanted), SQL_CHUNK):
            chunk = wanted[i:i + SQL_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT warc_record_id, id FROM captures WHERE warc_record_id IN ({marks})"
            ids.update(self.db.execute(sql, chunk).fetchall())
        return ids

    # -- items ----------------------------------------------------------------

    def _write_item_safely(self, item: dict, ids: dict) -> Counter:
        try:
            with self.db.atomic():
                return self._write_item(item, ids)
        except Exception:
            url = (item.get("record") or {}).get("url")
            logger.exception("store: item not written: %s", url)
            return Counter(errors=1)

    def _write_item(self, item: dict, ids: dict) -> Counter:
        record, capture = item["record"], item.get("capture") or {}
        capture_id = ids.get(capture.get("warc_record_id"))
        seen = capture.get("fetched_at") or utc_now()
        self._upsert_site(record["site"])
        article_id, current = self._upsert_article(record, capture_id, seen)
        if current:
            self._replace_authors(article_id, record.get("authors") or [])
            self._replace_images(article_id, record.get("images") or [], capture_id)
            self._replace_links(article_id, record.get("related_links") or [])
        comment_ids = {
            cid: ids.get(rid) for cid, rid in (item.get("comment_captures") or {}).items()
        }
        n = self._upsert_comments(article_id, record, comment_ids, capture_id, seen)
        complete = is_complete(item)
        if current and complete:
            self._mark_deleted_comments(article_id, seen, capture_id)
        self._add_comment_count(article_id, record, capture_id, seen, complete)
        return Counter(articles=1, comments=n)

    def _upsert_site(self, site_id, name=None, timezone=None) -> None:
        self.db.execute(
            "INSERT INTO sites (id, name, timezone) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = coalesce(excluded.name, name), "
            "timezone = coalesce(excluded.timezone, timezone)",
            [site_id, name, timezone],
        )

    def _article_row(self, record: dict, capture_id, seen: str) -> dict:
        row = {k: record.get(k) for k in ARTICLE_FIELDS}
        row.update(
            site=record["site"],
            canonical_url=record.get("canonical_url") or record["url"],
            tags=json.dumps(record.get("tags") or [], ensure_ascii=False),
            word_count=word_count(record.get("body_text")),
            content_hash=content_hash(record.get("title"), record.get("body_text")),
            last_seen=seen,
            capture_id=capture_id,
        )
        return row

    def _upsert_article(self, record: dict, capture_id, seen: str) -> tuple[int, bool]:
        """Insert or update; return (article id, whether this capture is the newest)."""
        row = self._article_row(record, capture_id, seen)
        old = self.db.execute(
            "SELECT id, content_hash, first_seen, last_seen FROM articles "
            "WHERE site = ? AND canonical_url = ?",
            [row["site"], row["canonical_url"]],
        ).fetchone()
        if old is None:
            row["first_seen"] = seen
            article_id = self.db.execute(_insert_sql("articles", row), list(row.values())).lastrowid
            self._add_version(article_id, row, seen)
            return article_id, True
        article_id, old_hash, first_seen, last_seen = old
        row["first_seen"] = min(first_seen or seen, seen)
        if last_seen and seen < last_seen:  # an older capture (rebuild order)
            self.db.execute("UPDATE articles SET first_seen = ? WHERE id = ?",
                            [row["first_seen"], article_id])
            return article_id, False
        sets = ", ".join(f"{k} = ?" for k in row)
        self.db.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*row.values(), article_id])
        if row["content_hash"] != old_hash:
            self._add_version(article_id, row, seen)
        return article_id, True

    def _add_version(self, article_id: int, row: dict, seen: str) -> None:
        self.db.execute(
            "INSERT INTO article_versions (article_id, capture_id, content_hash, title, "
            "body_text, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            [article_id, row["capture_id"], row["content_hash"], row["title"],
             row["body_text"], seen],
        )

    def _author_id(self, author: dict) -> int:
        name, url, bio = author.get("name"), author.get("url"), author.get("bio")
        found = self.db.execute(
            "SELECT id, bio FROM authors WHERE name = ? AND coalesce(url, '') = coalesce(?, '')",
            [name, url],
        ).fetchone()
        if found is None:
            sql = "INSERT INTO authors (name, url, bio) VALUES (?, ?, ?)"
            return self.db.execute(sql, [name, url, bio or None]).lastrowid
        if bio and bio != found[1]:
            self.db.execute("UPDATE authors SET bio = ? WHERE id = ?", [bio, found[0]])
        return found[0]

    def _replace_authors(self, article_id: int, authors: list[dict]) -> None:
        self.db.execute("DELETE FROM article_authors WHERE article_id = ?", [article_id])
        rows = [
            (article_id, self._author_id(a), pos)
            for pos, a in enumerate(a for a in authors if a.get("name"))
        ]
        sql = _insert_sql("article_authors", ("article_id", "author_id", "position"), "OR IGNORE")
        self.db.conn.executemany(sql, rows)

    def _replace_images(self, article_id: int, images: list[dict], capture_id) -> None:
        self.db.execute("DELETE FROM images WHERE article_id = ?", [article_id])
        columns = ("article_id", "src", "alt", "caption", "credit", "is_lead", "position",
                   "capture_id")
        rows = [
            (article_id, im["src"], im.get("alt"), im.get("caption"), im.get("credit"),
             int(bool(im.get("is_lead"))), pos, capture_id)
            for pos, im in enumerate(im for im in images if im.get("src"))
        ]
        self.db.conn.executemany(_insert_sql("images", columns), rows)

    def _replace_links(self, article_id: int, links: list[dict]) -> None:
        self.db.execute("DELETE FROM links WHERE article_id = ?", [article_id])
        columns = ("article_id", "url", "text", "label", "position")
        rows = [
            (article_id, ln["url"], ln.get("text"), ln.get("label"), pos)
            for pos, ln in enumerate(ln for ln in links if ln.get("url"))
        ]
        self.db.conn.executemany(_insert_sql("links", columns), rows)

    def _upsert_comments(self, article_id, record, comment_capture_ids, capture_id,
                         seen) -> int:
        site, host = record["site"], comment_host(record)
        rows = [
            (site, host, article_id, str(c["id"]),
             None if c.get("parent_id") is None else str(c["parent_id"]),
             c.get("author"), c.get("author_url"), c.get("posted_at"), c.get("text"),
             c.get("depth"), pos, seen, seen, None,
             comment_capture_ids.get(str(c["id"])) or capture_id,
             None if c.get("by_post_author") is None else int(bool(c["by_post_author"])), None)
            for pos, c in enumerate(record.get("comments") or [])
        ]
        COMMENT_UPSERT.run(self.db.conn, rows)
        return len(rows)

    def _mark_deleted_comments(self, article_id: int, seen: str, capture_id) -> None:
        """Comments of this article that the newest complete capture no longer shows."""
        self.db.execute(
            "UPDATE comments SET deleted_at = ?, deleted_capture_id = ? WHERE article_id = ? "
            "AND deleted_at IS NULL AND last_seen < ?",
            [seen, capture_id, article_id, seen],
        )

    def _add_comment_count(self, article_id: int, record: dict, capture_id, seen: str,
                           complete: bool) -> None:
        """The thread's size as this item saw it (one row per article and capture)."""
        values = (article_id, capture_id, seen, record.get("comment_count"),
                  record.get("declared_comment_count"), record.get("pingback_count"), int(complete))
        self.db.execute(_insert_sql("comment_counts", COUNT_COLUMNS, "OR REPLACE"), values)


def crawl_counts(stats: dict) -> dict:
    """A run's page counts for its `crawls` row, from the crawl's stats.

    new / changed / unchanged classify each 2xx/3xx capture against the URL's
    previous capture (crawler/extensions.py CrawlCounts); unchanged also counts
    the article pages not fetched at all because they had not changed
    (crawler/incremental.py), which are pages_skipped. failed: error answers
    (4xx/5xx captures, each attempt) and requests given up on a download error.
    """
    def total(prefix: str) -> int:
        return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

    skipped = stats.get("incremental/skipped", 0)
    return {
        "pages_new": stats.get("pages/new", 0),
        "pages_changed": stats.get("pages/changed", 0),
        "pages_unchanged": stats.get("pages/unchanged", 0) + skipped,
        "pages_skipped": skipped,
        "pages_failed": stats.get("pages/failed", 0) + total("dca/failed/"),
        "pages_robots": stats.get("robotstxt/forbidden", 0),
        "articles_stored": stats.get("store/articles", 0),
        "comments_stored": stats.get("store/comments", 0),
    }


def is_complete(item: dict) -> bool:
    """Whether every page of the item's thread arrived (items that do not say are taken as complete).

    The spider and rebuild always say (crawler/pages.py ArticleThread); only a
    complete thread can show that a comment is gone.
    """
    return bool(item.get("complete", True))


# Captures handed to the store thread in one queue operation (each one costs the reactor a lock
# and a wake-up of that thread).
HANDOVER = 64


def _capture_signal():
    from archive.signals import capture_written  # another module's; imported late

    return capture_written


class StorePipeline:
    """Scrapy item pipeline: captures (via the signal) and items into the Store.

    The Store lives on its own thread (pipelines/store_thread.py): the reactor only
    queues captures (HANDOVER at a time, and always before the item that needs them)
    and items, and SQLite writes run beside it. Items queued faster
    than they are written make process_item wait (bounded memory). When the spider
    closes, everything queued is written and the crawl row finished before the
    thread stops; a write that failed during the crawl is raised there.
    """

    SETTINGS_KEYS = (
        "BOT_NAME", "USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY",
        "RANDOMIZE_DOWNLOAD_DELAY", "CONCURRENT_REQUESTS",
        "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_ENABLED",
        "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
        "AUTOTHROTTLE_TARGET_CONCURRENCY", "RETRY_ENABLED", "RETRY_TIMES",
        "RETRY_HTTP_CODES", "DEPTH_LIMIT", "CLOSESPIDER_ITEMCOUNT",
        "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_TIMEOUT",
    )

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch = crawler.settings.getint("DCA_STORE_BATCH", 200)
        self.thread: StoreThread | None = None
        self._queued: deque[Future] = deque()
        self._captures: list[dict] = []  # not yet handed to the store thread
        self._early_captures: list[dict] = []
        crawler.signals.connect(self.capture_written, signal=_capture_signal())
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def store(self) -> Store | None:
        return self.thread.store if self.thread is not None else None

    def db_path(self) -> Path:
        settings = self.crawler.settings
        if settings.get("DCA_DB_PATH"):
            return Path(settings["DCA_DB_PATH"])
        return Path(settings.get("DCA_OUT_DIR") or ".") / "archive.sqlite"

    def crawl_settings(self) -> dict:
        settings = self.crawler.settings
        keys = set(self.SETTINGS_KEYS) | {k for k in settings if str(k).startswith("DCA_")}
        out = {k: settings.get(k) for k in sorted(keys)}
        spider = getattr(self.crawler, "spider", None)
        out["spider"] = getattr(spider, "name", None)
        return json.loads(to_json(out))

    def open_spider(self, spider=None):
        self.thread = StoreThread(functools.partial(Store, self.db_path()))
        profile = getattr(getattr(self.crawler, "spider", None), "profile", None)
        site = None if profile is None else (
            profile.id, getattr(profile, "name", None), getattr(profile, "timezone", None))
        self.thread.call(self._begin, self.store, self.crawl_settings(), site, self._early_captures)
        self._early_captures = []

    def capture_written(self, capture, **kwargs):
        if self.thread is None:
            self._early_captures.append(capture)
            return
        self._captures.append(capture)
        if len(self._captures) >= HANDOVER:
            self._queue(self._add, self._take_captures(), None)

    def process_item(self, item, spider=None):
        # The captures written so far go first: the item's flush must find their rows.
        self._queue(self._add, self._take_captures(), item)
        if len(self._queued) > 2 * self.batch:
            return self._wait_for_store(item)
        return item

    def close_spider(self, spider=None):
        if self.thread is not None:
            self._queue(self._add, self._take_captures(), None)
            self._queue(self._flush)

    def spider_closed(self, spider=None, reason="finished"):
        if self.thread is None:
            return
        thread, self.thread = self.thread, None
        try:
            thread.call(self._finish, thread.store, reason, self._take_captures())
        finally:
            thread.close()
        thread.raise_errors()

    # -- the reactor's side -----------------------------------------------------

    def _queue(self, fn, *args) -> None:
        self._queued.append(self.thread.submit(fn, *args))
        while self._queued and self._queued[0].done():
            self._queued.popleft()

    def _take_captures(self) -> list[dict]:
        captures, self._captures = self._captures, []
        return captures

    async def _wait_for_store(self, item):
        """Backpressure: let the store thread catch up before taking more items."""
        await asyncio.wait([asyncio.wrap_future(f) for f in list(self._queued)[:self.batch]])
        return item

    # -- the store thread's side (stats take plain increments from any thread) ---

    def _begin(self, store: Store, settings: dict, site, early_captures: list[dict]) -> None:
        store.begin_crawl(settings)
        if site is not None:
            store.ensure_site(*site)
        for capture in early_captures:
            store.add_capture(capture)

    def _add(self, store: Store, captures: list[dict], item) -> None:
        for capture in captures:
            store.add_capture(capture)
        if item is not None:
            store.add_item(item)
        if store.pending_captures >= self.batch or store.pending_items >= self.batch:
            self._flush(store)

    def _flush(self, store: Store) -> None:
        for key, n in store.flush().items():
            self.stats.inc_value(f"store/{key}", n)

    def _finish(self, store: Store, reason: str, captures: list[dict]) -> None:
        self._add(store, captures, None)
        self._flush(store)
        store.end_crawl(self.stats.get_stats(), status=reason)
        store.close()
