"""Progress for long crawls: one status line every DCA_PROGRESS_INTERVAL seconds."""

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    """Writes pages, articles, comments, problems and rate to stderr while a crawl runs.

    The Scrapy log goes to a file; an operator watching a terminal (or a journal
    under systemd) still sees that the crawl is alive and how it is doing.
    """

    def __init__(self, stats, interval: float):
        self.stats = stats
        self.interval = interval
        self.started = None
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("DCA_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report(final=True, reason=reason)

    def report(self, final: bool = False, reason: str = ""):
        get = self.stats.get_value
        elapsed = max(time.monotonic() - (self.started or time.monotonic()), 1e-6)
        responses = get("response_received_count", 0)
        problems = get("extract/errors", 0) + get("log_count/ERROR", 0)
        line = (
            f"[dca] {elapsed:6.0f}s  responses {responses}  articles {get('store/articles', 0)}"
            f"  comments {get('store/comments', 0)}  warc {get('warc/bytes', 0) // 1024} KB"
            f"  problems {problems}  {responses / elapsed:.1f} resp/s"
        )
        if final:
            line += f"  finished ({reason})"
        print(line, file=sys.stderr, flush=True)
