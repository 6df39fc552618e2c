"""Extensions for long, unattended crawls: the run lock, progress, the run's page counts, and (tests only) crash points."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def _capture_signal():
    from archive.signals import capture_written

    return capture_written


class RunGuard:
    """What `dca crawl` does before crawling, for a crawl started another way (`scrapy crawl
    wordpress -a url=URL -s DCA_OUT_DIR=DIR`): DIR's run lock (crawler/runlock.py), so a second
    run into DIR stops at once, and recovery from a run that died (crawler/recovery.py).

    Both happen as the crawler is built, before the WARC writer and the store open DIR; the lock
    is let go when the engine stops. `dca crawl` takes the lock itself, once for all its sites,
    and says so with DCA_RUN_GUARDED: this extension then stays out of the way.
    """

    def __init__(self, lock):
        self.lock = lock

    @classmethod
    def from_crawler(cls, crawler):
        from crawler.recovery import recover
        from crawler.runlock import RunLock

        settings = crawler.settings
        if not settings.get("DCA_OUT_DIR") or settings.getbool("DCA_RUN_GUARDED"):
            raise NotConfigured
        out_dir = settings["DCA_OUT_DIR"]
        lock = RunLock(out_dir, command=f"scrapy crawl {getattr(crawler.spidercls, 'name', '?')}").acquire()
        try:
            if lock.takeover_message():
                logger.warning(lock.takeover_message())
            for key, value in recover(out_dir, settings.get("DCA_DB_PATH") or None).items():
                crawler.stats.set_value(f"recovery/{key}", value)
        except BaseException:
            lock.release()
            raise
        extension = cls(lock)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self):
        self.lock.release()


class ProgressLine:
    """Pages, articles, comments, problems, rate and elapsed time while a crawl runs.

    On a terminal: one live line (rich), redrawn every second. Without one (cron,
    systemd): a plain line every DCA_PROGRESS_INTERVAL seconds on stderr (the
    journal) and in the log file. DCA_PROGRESS_INTERVAL=0 turns both off.
    """

    def __init__(self, stats, interval: float, live: bool):
        self.stats = stats
        self.interval = interval
        self.live = None
        self.use_live = live
        self.started = None
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("DCA_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        live = crawler.settings.getbool("DCA_PROGRESS_LIVE", sys.stderr.isatty())
        extension = cls(crawler.stats, interval, live)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.started = time.monotonic()
        if self.use_live:
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            self.text = Text  # plain text: "[dca]" is not rich markup
            self.live = Live(Text(self.line()), console=Console(stderr=True), refresh_per_second=2, transient=False)
            self.live.start()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(1.0 if self.live else self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report(final=True, reason=reason)
        if self.live is not None:
            self.live.stop()

    def line(self, final: bool = False, reason: str = "") -> str:
        get = self.stats.get_value
        elapsed = max(time.monotonic() - (self.started or time.monotonic()), 1e-6)
        responses = get("response_received_count", 0)
        problems = get("extract/errors", 0) + get("log_count/ERROR", 0) + get("pages/failed", 0)
        line = (
            f"[dca] {elapsed:6.0f}s  pages {responses} (new {get('pages/new', 0)}, changed {get('pages/changed', 0)},"
            f" unchanged {get('pages/unchanged', 0)}, skipped {get('incremental/skipped', 0)})"
            f"  articles {get('store/articles', 0)}  comments {get('store/comments', 0)}"
            f"  errors {problems}  {responses / elapsed:.1f} pages/s"
        )
        if final:
            line += f"  finished ({reason})"
        return line

    def report(self, final: bool = False, reason: str = ""):
        line = self.line(final, reason)
        if self.live is not None:
            self.live.update(self.text(line))
            if not final:
                return
        else:
            print(line, file=sys.stderr, flush=True)
        logger.info(line)


class CrawlCounts:
    """Classifies every capture of the run against the URL's previous capture, into the crawl stats.

    - `pages/new`: a 2xx/3xx answer for a URL the archive had no earlier 2xx/3xx capture of;
    - `pages/unchanged`: a revisit record (same payload, or 304 to a conditional GET),
      or a payload equal to the previous capture's;
    - `pages/changed`: a different payload;
    - `pages/failed`: a 4xx/5xx answer.
    Only captures of earlier runs (rows present when the run began) and of this run count as "previous".
    """

    def __init__(self, crawler, db_path):
        self.stats = crawler.stats
        self.db_path = db_path
        self.conn = None
        self.max_id = None
        self.latest: dict[str, str | None] = {}  # url -> payload digest, captures of this run

    @classmethod
    def from_crawler(cls, crawler):
        from archive.capture import db_path

        if not crawler.settings.get("DCA_OUT_DIR"):
            raise NotConfigured
        extension = cls(crawler, db_path(crawler.settings))
        recovery = crawler.settings.getdict("DCA_RECOVERY")
        for key, value in recovery.items():
            crawler.stats.set_value(f"recovery/{key}", value)
        crawler.signals.connect(extension.capture_written, signal=_capture_signal())
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        extension.open()
        return extension

    def open(self) -> None:
        from archive.dedup import open_readonly

        self.conn = open_readonly(self.db_path)
        if self.conn is not None:
            self.max_id = self.conn.execute("SELECT max(id) FROM captures").fetchone()[0] or 0

    def capture_written(self, capture, **kwargs):
        status = int(capture.get("status") or 0)
        if status >= 400:
            self.stats.inc_value("pages/failed")
            self.stats.inc_value(f"pages/failed/{status}")
            return
        if status < 200:
            return
        url = capture["url"]
        digest = self.digest_of(capture)
        if capture.get("warc_type") == "revisit":
            kind = "unchanged"
        else:
            previous = self.latest[url] if url in self.latest else self.previous_digest(url)
            kind = "new" if previous is None else "unchanged" if previous == digest else "changed"
        self.latest[url] = digest or ""
        self.stats.inc_value(f"pages/{kind}")

    def digest_of(self, capture) -> str | None:
        if capture.get("payload_digest") or capture.get("warc_type") != "revisit" or self.conn is None:
            return capture.get("payload_digest")
        row = self.conn.execute("SELECT payload_digest FROM captures WHERE warc_record_id = ?",
                                (capture.get("refers_to"),)).fetchone()
        return row[0] if row else None

    def previous_digest(self, url: str) -> str | None:
        """The payload digest of the URL's newest earlier 2xx/3xx capture ('' when it had none), None if never."""
        if self.conn is None:
            return None
        try:
            row = self.conn.execute(
                "SELECT c.payload_digest, o.payload_digest FROM captures c"
                " LEFT JOIN captures o ON o.warc_record_id = c.refers_to"
                " WHERE c.url = ? AND c.id <= ? AND c.status >= 200 AND c.status < 400"
                " ORDER BY c.fetched_at DESC LIMIT 1", (url, self.max_id)).fetchone()
        except sqlite3.Error:
            logger.exception("previous capture of %s not readable", url)
            return None
        if row is None:
            return None
        return row[0] or row[1] or ""

    def spider_closed(self, spider=None, reason=None):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class CrashPoints:
    """For tests only: the process SIGKILLs itself at a named point (DCA_CRASH_AT = "POINT:N").

    - `capture:N`: right after the Nth capture is written to WARC (the store has not seen it);
    - `warc-write:N`: in the middle of the Nth WARC record written after the first capture
      (half of it reaches the file, as when a process dies inside write()); the WARC
      writer's process (archive/capture_process.py) kills the crawl, then itself;
    - `store-flush:N`: inside the Nth store flush's transaction, after its captures rows
      were written and before the commit.
    A kill -9 from outside can land anywhere; these make three of those places repeatable.
    """

    def __init__(self, crawler, point: str, n: int):
        self.crawler = crawler
        self.point = point
        self.n = n
        self.seen = 0
        self.armed = False

    @classmethod
    def from_crawler(cls, crawler):
        spec = crawler.settings.get("DCA_CRASH_AT")
        if not spec:
            raise NotConfigured
        point, _, n = spec.partition(":")
        if point not in ("capture", "warc-write", "store-flush") or not n.isdigit():
            raise ValueError(f"DCA_CRASH_AT={spec!r}: expected capture:N, warc-write:N or store-flush:N")
        extension = cls(crawler, point, int(n))
        crawler.signals.connect(extension.capture_written, signal=_capture_signal())
        return extension

    def die(self) -> None:
        logger.warning("DCA_CRASH_AT=%s:%d reached: SIGKILL", self.point, self.n)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)

    def capture_written(self, capture, **kwargs):
        if self.point == "capture":
            self.seen += 1
            if self.seen == self.n:
                self.die()
        elif not self.armed:
            self.armed = self.arm()

    def arm(self) -> bool:
        if self.point == "warc-write":
            from archive.capture_process import crash_in_write

            process = next((mw.process for mw in self.crawler.engine.downloader.middleware.middlewares
                            if hasattr(mw, "archive_config")), None)
            if process is None:
                return False
            # The writer's process cuts the record and SIGKILLs this process, then itself.
            process.call(crash_in_write, self.n).add_done_callback(lambda call: call.exception())
            return True
        pipeline = next((p for p in self.crawler.engine.scraper.itemproc.middlewares
                         if getattr(p, "store", None) is not None), None)
        if pipeline is None:
            return False
        store = pipeline.store
        original = store._capture_ids

        def capture_ids(items):
            ids = original(items)
            self.seen += 1
            if self.seen == self.n:
                self.die()
            return ids

        store._capture_ids = capture_ids
        return True


class GarbageCollection:
    """Collects the crawl process's garbage less often, and never looks again at its startup heap.

    The crawl process keeps a large heap for hours (Scrapy's machinery, queued requests,
    open comment threads) while every response makes and drops thousands of small
    objects. With CPython's defaults (a young-generation pass every 700 net allocations,
    and whole-heap passes as the heap grows), a 2,000-article crawl spent about 4 of its
    30 CPU-seconds in the collector, on the reactor's thread. At engine start this
    freezes what exists (gc.freeze: modules, settings, components) and sets
    DCA_GC_THRESHOLD; engine stop restores the thresholds. The extraction and WARC
    processes keep the defaults: there a higher threshold measured slower.
    """

    def __init__(self, threshold: tuple[int, ...], freeze: bool):
        self.threshold = threshold
        self.freeze = freeze
        self.saved = None

    @classmethod
    def from_crawler(cls, crawler):
        threshold = tuple(int(n) for n in crawler.settings.getlist("DCA_GC_THRESHOLD"))
        if not threshold:
            raise NotConfigured
        extension = cls(threshold, crawler.settings.getbool("DCA_GC_FREEZE", True))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self):
        import gc

        self.saved = gc.get_threshold()
        if self.freeze:
            gc.collect()
            gc.freeze()
        gc.set_threshold(*self.threshold)

    def engine_stopped(self):
        import gc

        if self.saved is not None:
            gc.set_threshold(*self.saved)
            gc.unfreeze()
