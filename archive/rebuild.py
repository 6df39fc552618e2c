"""`dca rebuild`: the database made again from the WARC files alone.

The WARC files are the source of truth. Rebuild streams their records in
capture order (files by the WARC-Date of their first record; records in file
order) and treats each one as the crawl treated the response:

- every `response` and `revisit` record becomes a `captures` row (file, offset,
  length, record id, digests, validators) through the same `Store`;
- the decisions the spider took for the response (crawler/pages.py: does it reach
  a callback, is it HTML, is it a plain listing, is it an article, which comment
  pages belong to which article) are taken by the same functions;
- the decoded payload goes through the same extractor (crawler.extract, in the
  same ExtractionPool of worker processes), then the same NormalizePipeline,
  ValidatePipeline and Store.

A revisit's payload is read from the record it refers to (WARC-Refers-To).
The site profile of each file comes from its warcinfo record (`dca-site`),
unless `site` overrides it, read in the zone the crawl used (`dca-timezone`:
the site list's zone; files without it get the profile's own).

The new database is written to PATH.rebuilding and moved over PATH at the end,
so a rebuild is idempotent and a parser fix reaches every old capture. The crawl
bookkeeping of an existing database at PATH (the `crawls` rows and
`captures.crawl_id`) is carried over: the WARC files do not hold it.

A damaged record (bad gzip, truncated file, unparsable headers) is counted,
reported with its file and offset, and skipped: reading goes on at the next
gzip member that starts a WARC record. A file whose records are all whole up
to a last one cut short is what a crawl killed while writing leaves: reported
as an interrupted write, not as damage (`dca verify` says the same).
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sqlite3
import time
import zlib
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from scrapy.exceptions import DropItem
from warcio.archiveiterator import ArchiveIterator

from archive.records import Record, decoded_payload, read_record
from archive.warc import scan_members
from crawler import pages
from crawler.extraction_pool import ExtractionPool
from crawler.sites import get_profile, profile_for_url

logger = logging.getLogger(__name__)

DEFAULT_EXTRACTOR = "crawler.extract.extract_page"
CAPTURE_TYPES = ("response", "revisit")
GZIP_MAGIC = b"\x1f\x8b\x08"
WINDOW = 64          # responses read ahead of the one being settled (extraction in flight)
BATCH = 500          # items and captures per Store flush
RECENT = 50_000      # locations of recent responses remembered for revisits


class RebuildError(Exception):
    """Bad input: a message that names the file."""


@dataclass
class RebuildReport:
    files: int = 0
    records: int = 0
    captures: int = 0
    pages: int = 0              # HTML responses that reached the parser (as in the crawl)
    extracted: int = 0
    items: int = 0
    stored: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    damaged: list[str] = field(default_factory=list)      # "file: offset N: reason"
    interrupted: list[str] = field(default_factory=list)  # files a crash cut in their last record (not damage)
    missing_originals: int = 0
    extract_errors: int = 0
    crawls_carried: int = 0
    seconds: float = 0.0
    bytes: int = 0

    @property
    def damaged_records(self) -> int:
        return len(self.damaged)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


class _Stats:
    """The inc_value() the pipelines and the spider's helpers count with."""

    def __init__(self):
        self.values = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count


class _Entry:
    """One response/revisit record on its way through the decisions, in capture order."""

    __slots__ = ("capture", "profile", "status", "content_type", "body", "html", "location", "future", "headers")

    def __init__(self, capture, profile, status, content_type, body, html, location, headers=None):
        self.capture, self.profile, self.status = capture, profile, status
        self.content_type, self.body, self.html, self.location = content_type, body, html, location
        self.headers = headers  # REST responses only: what the thread reads (X-WP-TotalPages)
        self.future = None


# -- files and records ------------------------------------------------------------

def warc_files(warc_dir: Path) -> list[Path]:
    warc_dir = Path(warc_dir)
    if not warc_dir.is_dir():
        raise RebuildError(f"{warc_dir}: no such WARC directory")
    files = [p for p in warc_dir.rglob("*") if p.is_file() and p.name.endswith((".warc.gz", ".warc"))]
    if not files:
        raise RebuildError(f"{warc_dir}: no WARC files (*.warc.gz) in it")
    return sorted(files, key=lambda p: (_first_date(p), p.name))


def _first_date(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            record = next(iter(ArchiveIterator(fh)), None)
            return record.rec_headers.get_header("WARC-Date") or "" if record else ""
    except Exception:
        return ""


def warcinfo_fields(record) -> dict:
    """The application/warc-fields of a warcinfo record."""
    text = record.raw_stream.read().decode("utf-8", "replace")
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), value.strip())
    return fields


def _last_header(http_headers, name: str) -> str | None:
    """The last value of a header, as Scrapy's Headers.get() gives it."""
    if http_headers is None:
        return None
    values = [v for k, v in http_headers.headers if k.lower() == name.lower()]
    return values[-1] if values and values[-1] != "" else None


def _body_wanted(rest: bool, status, content_type) -> bool:
    """HTML that reached the spider, and every REST answer: an error's body says why (a page past
    the last one ends a thread, crawler/pages.py)."""
    return rest or (pages.reaches_parser(status) and _maybe_html(content_type))


def capture_of(record, name: str, offset: int, length: int) -> dict:
    """The capture dict (docs/contracts.md) of a response or revisit record, as the crawl made it."""
    h, http = record.rec_headers, record.http_headers
    status = http.get_statuscode() if http is not None else None
    capture = {
        "url": h.get_header("WARC-Target-URI"),
        "fetched_at": h.get_header("WARC-Date"),
        "status": int(status) if status and str(status).isdigit() else None,
        "content_type": http.get_header("Content-Type") if http is not None else None,
        "warc_file": name,
        "warc_offset": offset,
        "warc_length": length,
        "warc_record_id": h.get_header("WARC-Record-ID"),
        "payload_digest": h.get_header("WARC-Payload-Digest"),
        "warc_type": record.rec_type,
        "etag": _last_header(http, "ETag"),
        "last_modified": _last_header(http, "Last-Modified"),
    }
    if record.rec_type == "revisit":
        capture["refers_to"] = h.get_header("WARC-Refers-To")
        profile = h.get_header("WARC-Profile") or ""
        capture["revisit_profile"] = profile.rstrip("/").rsplit("/", 1)[-1] or None
    return capture


def next_member(fh, after: int) -> int | None:
    """Offset of the first gzip member after `after` that holds a WARC record, or None."""
    pos = after
    while True:
        fh.seek(pos)
        chunk = fh.read(1 << 20)
        if not chunk:
            return None
        at = chunk.find(GZIP_MAGIC)
        while at != -1:
            candidate = pos + at
            fh.seek(candidate)
            try:
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                head = d.decompress(fh.read(4096), 16)
            except zlib.error:
                head = b""
            if head.startswith(b"WARC/"):
                return candidate
            at = chunk.find(GZIP_MAGIC, at + 1)
        if len(chunk) < (1 << 20):
            return None
        pos += len(chunk) - len(GZIP_MAGIC) + 1


# -- the rebuild --------------------------------------------------------------------

class Rebuilder:
    def __init__(self, warc_dir, db_path, *, site: str | None = None, workers: int | None = None,
                 extractor: str = DEFAULT_EXTRACTOR, progress=None, window: int = WINDOW):
        self.warc_dir = Path(warc_dir)
        self.db_path = Path(db_path)
        self.site = site or None
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.extractor = extractor
        self.progress = progress          # callable(done_bytes, total_bytes, report) or None
        self.window = max(1, window)
        self.report = RebuildReport()
        self.stats = _Stats()
        self.tracker = pages.CommentPageTracker()
        self.recent: OrderedDict[str, tuple] = OrderedDict()
        self._profiles: dict[str, object] = {}
        self._sites_seen: dict[str, str | None] = {}
        self._last_progress = 0.0
        self._done_bytes = 0
        self._total_bytes = 0

    # -- entry point -------------------------------------------------------------
    def run(self) -> RebuildReport:
        from pipelines.normalize import NormalizePipeline
        from pipelines.store import Store
        from pipelines.validate import ValidatePipeline

        started = time.monotonic()
        files = warc_files(self.warc_dir)
        old_crawls = read_bookkeeping(self.db_path) if self.db_path.exists() else None
        self._total_bytes = sum(p.stat().st_size for p in files)
        tmp = self.db_path.with_name(self.db_path.name + ".rebuilding")
        _remove_db(tmp)
        self.store = Store(tmp)
        self.normalize = NormalizePipeline()
        self.validate = ValidatePipeline(self.stats)
        self.pool = ExtractionPool(self.extractor, self.workers)
        try:
            asyncio.run(self._run(files))
            self._flush()
            if old_crawls is not None:
                self.report.crawls_carried = carry_over(self.store.db.conn, old_crawls)
            self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            self.pool.close()
            self.store.close()
            _remove_db(tmp)
            raise
        self.pool.close()
        self.store.close()
        _replace_db(tmp, self.db_path)
        self.report.extract_errors = self.stats.values.get("extract/errors", 0)
        self.report.dropped = Counter({k.rsplit("/", 1)[-1]: v for k, v in self.stats.values.items()
                                       if k.startswith("validate/dropped/")})
        self.report.bytes = self._total_bytes
        self.report.seconds = time.monotonic() - started
        return self.report

    async def _run(self, files) -> None:
        queue: deque[_Entry] = deque()
        for entry in self._entries(files):
            if entry.html and self._wants_record_early(entry):
                entry.future = asyncio.ensure_future(self._extract(entry))
            queue.append(entry)
            await asyncio.sleep(0)  # let new extractions reach the pool
            while queue and (len(queue) > self.window or queue[0].future is None or queue[0].future.done()):
                await self._settle(queue.popleft())
        while queue:
            await self._settle(queue.popleft())
        for item in self.tracker.finish():
            self._item(item)

    # -- reading -----------------------------------------------------------------
    def _entries(self, files):
        for path in files:
            self.report.files += 1
            name = path.relative_to(self.warc_dir).as_posix()
            profile = get_profile(self.site) if self.site else None
            if profile is not None:
                self._ensure_site(profile)
            with open(path, "rb") as fh:
                start = 0
                while start is not None:
                    start = yield from self._read_from(fh, path, name, start, profile)
            self._done_bytes += path.stat().st_size
            self._tick(force=True)

    def _read_from(self, fh, path: Path, name: str, start: int, profile):
        """Records from `start` on; returns where to go on after damage, or None at the end."""
        fh.seek(start)
        iterator = ArchiveIterator(fh)
        last_end = start
        try:
            for record in iterator:
                rec_type = record.rec_type
                if rec_type == "warcinfo":
                    fields = warcinfo_fields(record)
                    site_id = self.site or fields.get("dca-site")
                    if site_id:
                        profile = self._profile(site_id, fields.get("dca-timezone"))
                        self._ensure_site(profile)
                    iterator.read_to_end()
                    _check_complete(record)
                elif rec_type in CAPTURE_TYPES:
                    entry = self._entry(record, iterator, name, profile)
                    if entry is not None:
                        self.store.add_capture(entry.capture)
                        self.report.captures += 1
                        yield entry
                else:
                    iterator.read_to_end()
                    _check_complete(record)
                self.report.records += 1
                last_end = iterator.offset
                self._tick(fh_pos=last_end)
        except Exception as exc:
            if self._interrupted(path, last_end):
                return None
            self._damaged(path, last_end, exc)
            return next_member(fh, last_end + 1)
        if last_end < path.stat().st_size and not self._interrupted(path, last_end):
            # warcio may end quietly on a damaged gzip member: it is named, and reading goes on.
            self._damaged(path, last_end, ValueError("bytes after the last whole record"))
            return next_member(fh, last_end + 1)
        return None

    def _entry(self, record, iterator, name: str, profile) -> _Entry | None:
        http = record.http_headers
        status = http.get_statuscode() if http is not None else None
        status = int(status) if status and str(status).isdigit() else None
        content_type = http.get_header("Content-Type") if http is not None else None
        url = record.rec_headers.get_header("WARC-Target-URI")
        profile = profile or self._profile_for_url(url)
        body, location = None, None
        rest = pages.is_rest_url(url)
        if record.rec_type == "response":
            if status and 300 <= status < 400 and http is not None:
                location = http.get_header("Location")
            elif _body_wanted(rest, status, content_type):
                body = _decoded(Record(record, record.raw_stream.read()))
        # read_to_end checks the gzip member (CRC) before the record counts
        offset, length = iterator.get_record_offset(), iterator.get_record_length()
        _check_complete(record)
        capture = capture_of(record, name, offset, length)
        if not capture["warc_record_id"]:
            return None
        headers = _header_values(http) if rest else None
        if record.rec_type == "response":
            self._remember(capture, content_type)
        else:
            status, content_type, body, headers = self._revisited(capture, status, content_type, headers)
        html = (not rest and pages.reaches_parser(status) and body is not None
                and pages.is_html(content_type, body))
        return _Entry(capture, profile, status, content_type, body, html,
                      urljoin(url, location) if location else None, headers)

    def _remember(self, capture: dict, content_type) -> None:
        if not pages.reaches_parser(capture["status"]):
            return
        if not (_maybe_html(content_type) or pages.is_rest_url(capture["url"])):
            return
        self.recent[capture["warc_record_id"]] = (capture["warc_file"], capture["warc_offset"],
                                                  capture["warc_length"])
        if len(self.recent) > RECENT:
            self.recent.popitem(last=False)

    def _revisited(self, capture: dict, status, content_type, headers):
        """Status, content type, decoded body and (REST) headers the spider saw for a revisit record."""
        rest = headers is not None
        if status == 304 and capture.get("revisit_profile") == "server-not-modified":
            answered_from_archive = True
        else:
            answered_from_archive = False
            if not _body_wanted(rest, status, content_type):
                return status, content_type, None, headers
        original = self._original(capture.get("refers_to"))
        if original is None:
            self.report.missing_originals += 1
            logger.warning("revisit %s of %s: its original %s is not in the archive",
                           capture["warc_record_id"], capture["url"], capture.get("refers_to"))
            return status, content_type, None, headers
        if answered_from_archive:  # the 304 reached the spider as the original 200
            status = original.http_headers.get_statuscode() if original.http_headers else status
            status = int(status) if status and str(status).isdigit() else None
            content_type = original.http_headers.get_header("Content-Type") if original.http_headers else None
            headers = _header_values(original.http_headers) if rest else None
        return status, content_type, _decoded(original), headers

    def _original(self, record_id: str | None) -> Record | None:
        if not record_id:
            return None
        location = self.recent.get(record_id)
        if location is None:
            location = self._location_in_db(record_id)
        if location is None:
            return None
        name, offset, length = location
        path = self.warc_dir / name
        if not path.is_file():
            return None
        try:
            return read_record(path, offset, length)
        except Exception as exc:
            self._damaged(path, offset, exc)
            return None

    def _location_in_db(self, record_id: str):
        sql = "SELECT warc_file, warc_offset, warc_length FROM captures WHERE warc_record_id = ?"
        row = self.store.db.execute(sql, [record_id]).fetchone()
        if row is None and self.store.pending_captures:
            self._flush()
            row = self.store.db.execute(sql, [record_id]).fetchone()
        return tuple(row) if row else None

    # -- deciding, in capture order ----------------------------------------------
    def _wants_record_early(self, entry: _Entry) -> bool:
        """Start extraction now (ahead of settling) when the record may be needed."""
        url = entry.capture["url"]
        return (not pages.is_plain_listing(entry.profile, url) or pages.may_be_comment_page(url)
                or url in self.tracker.awaiting)

    async def _extract(self, entry: _Entry):
        self.report.extracted += 1
        return await pages.extract_record(self.pool, entry.capture["url"], entry.body, entry.content_type,
                                          entry.profile, stats=self.stats, log=logger)

    async def _record(self, entry: _Entry):
        if entry.future is None:
            entry.future = asyncio.ensure_future(self._extract(entry))
        return await entry.future

    async def _settle(self, entry: _Entry) -> None:
        url, status = entry.capture["url"], entry.status
        if entry.html:
            self.report.pages += 1
        rest = entry.headers is not None
        if url in self.tracker.awaiting or ((rest or pages.may_be_comment_page(url)) and self.tracker.open):
            if entry.location and url in self.tracker.awaiting:
                self.tracker.redirected(url, entry.location)
                return
            if status is not None and not pages.reaches_parser(status) and pages.is_retried(status):
                return  # a retry follows (or the thread stays open until the end)
            thread = self.tracker.claim(url)
            if thread is not None and rest:
                self._items(self.tracker.deliver_rest(thread, status, entry.body, entry.headers, entry.capture))
                return
            if thread is not None:
                record = await self._record(entry) if entry.html else None
                self._items(self.tracker.deliver(thread, record, entry.capture))
                return
        if not entry.html or pages.is_plain_listing(entry.profile, url):
            if entry.future is not None:
                entry.future.cancel()
            return
        record = await self._record(entry)
        if pages.is_article(record):
            self._items(self.tracker.start(record, entry.capture, getattr(entry.profile, "timezone", None)))

    def _items(self, items) -> None:
        for item in items:
            self._item(item)

    def _item(self, item) -> None:
        if item is None:
            return
        self.report.items += 1
        try:
            item = self.normalize.process_item(item)
            item = self.validate.process_item(item)
        except DropItem:
            return
        self.store.add_item(item)
        if self.store.pending_items >= BATCH or self.store.pending_captures >= BATCH:
            self._flush()

    # -- bookkeeping ----------------------------------------------------------------
    def _flush(self) -> None:
        self.report.stored.update(self.store.flush())

    def _profile(self, site_id: str, zone: str | None = None):
        """The profile named in a warcinfo record, in the zone the crawl read dates in."""
        key = (site_id, zone)
        if key not in self._profiles:
            try:
                profile = get_profile(site_id)
            except KeyError:
                logger.warning("unknown site profile %r in warcinfo; using the generic profile", site_id)
                profile = get_profile(None)
            self._profiles[key] = profile.with_timezone(_known_zone(zone, site_id))
        return self._profiles[key]

    def _profile_for_url(self, url: str):
        profile = profile_for_url(url)
        self._ensure_site(profile)
        return profile

    def _ensure_site(self, profile) -> None:
        # As each crawl run does at its start: the latest zone of a profile id is the one kept.
        zone = getattr(profile, "timezone", None)
        if self._sites_seen.get(profile.id, ()) != zone:
            self._sites_seen[profile.id] = zone
            self.store.ensure_site(profile.id, getattr(profile, "name", None), zone)

    def _interrupted(self, path: Path, offset: int) -> bool:
        """A crash cut the file's last record (the crawl never appends after it): not damage."""
        scan = scan_members(path)
        if scan.damaged or not scan.partial or offset < scan.good_end:
            return False
        message = f"{path}: interrupted write, readable up to offset {scan.good_end} ({scan.partial_bytes} bytes of partial record)"
        self.report.interrupted.append(message)
        logger.warning(message)
        return True

    def _damaged(self, path: Path, offset: int, exc: Exception) -> None:
        message = f"{path}: damaged record at offset {offset} skipped ({type(exc).__name__}: {exc})"
        self.report.damaged.append(message)
        logger.error(message)

    def _tick(self, fh_pos: int = 0, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 0.1:
            self._last_progress = now
            self.progress(self._done_bytes + fh_pos if not force else self._done_bytes, self._total_bytes,
                          self.report)


def _known_zone(zone: str | None, site_id: str) -> str | None:
    """The warcinfo's zone when it is a real IANA zone; else None (the profile's own), logged."""
    from zoneinfo import ZoneInfo

    if not zone:
        return None
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError):
        logger.warning("unknown time zone %r in warcinfo of site %r; using the profile's own", zone, site_id)
        return None
    return zone


def _check_complete(record) -> None:
    """Raise when the record's block ended before its Content-Length (a truncated file)."""
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise EOFError(f"record truncated: {missing} byte(s) of its block missing")


def _decoded(record: Record) -> bytes:
    """The payload with its Content-Encoding undone; as received when that fails (mislabelled)."""
    try:
        return decoded_payload(record)
    except Exception:
        return record.payload


def _header_values(http_headers) -> dict[str, str]:
    """A response's headers as the spider hands them to the thread (crawler/pages.py)."""
    return pages.header_values(http_headers.headers if http_headers is not None else ())


def _maybe_html(content_type: str | None) -> bool:
    """Worth reading the payload of: HTML, or no content type (sniffed from the body)."""
    return not content_type or "html" in content_type.lower()


# -- the database file ------------------------------------------------------------------

def check_database(path: Path) -> None:
    """Raise RebuildError naming the file unless it is a readable SQLite database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise RebuildError(f"{path}: not a readable SQLite database ({exc}); move it away to rebuild from scratch")


def read_bookkeeping(path: Path) -> dict:
    """The crawl bookkeeping of an existing database: crawls rows and captures.crawl_id."""
    check_database(path)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "crawls" not in tables:
                return {"columns": [], "crawls": [], "crawl_ids": []}
            cursor = conn.execute("SELECT * FROM crawls ORDER BY id")
            columns = [d[0] for d in cursor.description]
            crawls = cursor.fetchall()
            crawl_ids = []
            if "captures" in tables:
                crawl_ids = conn.execute(
                    "SELECT crawl_id, warc_record_id FROM captures WHERE crawl_id IS NOT NULL").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise RebuildError(f"{path}: not a readable SQLite database ({exc}); move it away to rebuild from scratch")
    return {"columns": columns, "crawls": crawls, "crawl_ids": crawl_ids}


def carry_over(conn: sqlite3.Connection, old: dict) -> int:
    if not old["crawls"]:
        return 0
    have = {r[1] for r in conn.execute("PRAGMA table_info(crawls)")}
    columns = [c for c in old["columns"] if c in have]
    index = [old["columns"].index(c) for c in columns]
    marks = ", ".join("?" for _ in columns)
    with conn:
        conn.executemany(f"INSERT OR REPLACE INTO crawls ({', '.join(columns)}) VALUES ({marks})",
                         ([row[i] for i in index] for row in old["crawls"]))
        conn.executemany("UPDATE captures SET crawl_id = ? WHERE warc_record_id = ?", old["crawl_ids"])
    return len(old["crawls"])


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


def _replace_db(tmp: Path, target: Path) -> None:
    """Move the rebuilt database over the old one (whose WAL must not outlive it)."""
    if target.exists():
        try:
            conn = sqlite3.connect(str(target))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
        except sqlite3.Error:
            pass
    for suffix in ("-wal", "-shm"):
        p = Path(str(target) + suffix)
        if p.exists():
            p.unlink()
    os.replace(tmp, target)
    for suffix in ("-wal", "-shm"):
        p = Path(str(tmp) + suffix)
        if p.exists():
            p.unlink()


def rebuild(warc_dir, db_path, **kwargs) -> RebuildReport:
    return Rebuilder(warc_dir, db_path, **kwargs).run()


# -- comparing two databases, row by row, by natural keys ---------------------------------

NATURAL_KEYS = {
    "captures": ("warc_record_id",),
    "articles": ("site", "canonical_url"),
    "authors": ("name", "url"),
    "comments": ("site", "host", "comment_id"),
    "sites": ("id",),
}
BOOKKEEPING = {"crawls": None, "captures": ("crawl_id",)}


def comparable_tables(db_path) -> dict[str, list[tuple]]:
    """Every table's rows with surrogate ids replaced by natural keys, sorted; crawl bookkeeping left out.

    Two databases made from the same WARC records (a crawl's and a rebuild's)
    must give equal results.
    """
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '%_fts%' ORDER BY name")]
        keys = {}
        for table, columns in NATURAL_KEYS.items():
            if table in tables:
                sql = f"SELECT id, {', '.join(columns)} FROM {table}" if table != "sites" else "SELECT id, id FROM sites"
                keys[table] = {row[0]: tuple(row[1:]) for row in conn.execute(sql)}
        out = {}
        for table in tables:
            if table in BOOKKEEPING and BOOKKEEPING[table] is None:
                continue
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            columns = [r[1] for r in info]
            fks = {r[3]: r[2] for r in conn.execute(f"PRAGMA foreign_key_list({table})")}
            skip = set(BOOKKEEPING.get(table) or ())
            has_rowid_key = any(r[1] == "id" and r[5] for r in info) and table != "sites"
            wanted = [c for c in columns if c not in skip and not (c == "id" and has_rowid_key)]
            rows = []
            for row in conn.execute(f"SELECT {', '.join(wanted)} FROM {table}"):
                values = []
                for column, value in zip(wanted, row):
                    ref = fks.get(column)
                    if ref in keys and value is not None:
                        value = (ref,) + keys[ref].get(value, ("missing", value))
                    values.append(value)
                rows.append(tuple(values))
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()
