"""Run crawls in this process and report what they produced.

`run_crawls` is what `dca crawl` does, for one site or a whole site list:

1. take the output directory's run lock (crawler/runlock.py): a second,
   overlapping run stops here with LockedError;
2. send the log to DIR/logs/crawl.log, rotated (crawler/logs.py);
3. recover from a run that died (crawler/recovery.py): its crawl row, partial
   WARC tail and lost captures rows;
4. crawl each site in turn, in one Twisted reactor (it cannot be restarted),
   each with its own settings; a site that fails does not stop the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.logs import install_log_file, log_path, remove_log_file
from crawler.recovery import recover
from crawler.runlock import RunLock
from crawler.spiders.wordpress import WordPressSpider

logger = logging.getLogger(__name__)

# Our own server on loopback: no reason to wait between requests.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


@dataclass
class CrawlJob:
    url: str
    site: str = ""                       # profile id ("" = chosen by host)
    overrides: dict = field(default_factory=dict)
    name: str = ""                       # the site list's name, for messages


def crawl_settings(out_dir: Path, overrides: dict):
    """Project settings plus the output directory, its log file and the user's -s values."""
    settings = get_project_settings()
    settings.set("DCA_OUT_DIR", str(out_dir), priority="cmdline")
    # Used when Scrapy configures logging itself (bench, `scrapy crawl`); run_crawls installs a rotating handler.
    log_path(out_dir).parent.mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(log_path(out_dir)), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(url: str, out_dir: Path, site: str = "", overrides: dict | None = None) -> "CrawlResult":
    return run_crawls(out_dir, [CrawlJob(url, site, dict(overrides or {}))])[0]


def run_crawls(out_dir: Path, jobs: list[CrawlJob]) -> list["CrawlResult"]:
    """Crawl each job into out_dir, one after another, under the run lock. Raises LockedError when busy."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with RunLock(out_dir, command=_describe(jobs)) as lock:
        handler = install_log_file(out_dir, crawl_settings(out_dir, jobs[0].overrides if jobs else {}))
        try:
            logger.info("=== dca run started: %s into %s", _describe(jobs), out_dir)
            if lock.takeover_message():
                logger.warning(lock.takeover_message())
            recovered = recover(out_dir)
            return _crawl_all(out_dir, jobs, recovered)
        finally:
            logger.info("=== dca run ended")
            remove_log_file(handler)


def _crawl_all(out_dir: Path, jobs: list[CrawlJob], recovered: dict) -> list["CrawlResult"]:
    from twisted.internet import defer

    base = crawl_settings(out_dir, {"LOG_INSTALL_ROOT_HANDLER": False})  # crawler/logs.py's handler instead
    process = CrawlerProcess(base)
    results: list[CrawlResult] = []

    @defer.inlineCallbacks
    def one_after_another():
        for k, job in enumerate(jobs):
            overrides = {**job.overrides, "DCA_RUN_GUARDED": True}  # the lock and recovery are done
            if k == 0 and recovered:
                overrides["DCA_RECOVERY"] = recovered
            # The first crawler installs the reactor (asyncio); the later ones find it running.
            crawler = Crawler(WordPressSpider, crawl_settings(out_dir, overrides), init_reactor=(k == 0))
            started = time.monotonic()
            try:
                yield process.crawl(crawler, url=job.url, site=job.site)
            except Exception:
                logger.exception("crawl of %s failed", job.name or job.url)
            stats = crawler.stats.get_stats() if crawler.stats else {}
            results.append(CrawlResult(out_dir, stats, time.monotonic() - started, str(log_path(out_dir)),
                                       name=job.name or job.url))

    def stop(_):
        from twisted.internet import reactor
        from twisted.internet.error import ReactorNotRunning

        if not reactor.running:  # everything failed before the reactor ran
            reactor.callWhenRunning(reactor.stop)
            return
        try:
            reactor.stop()
        except ReactorNotRunning:  # Ctrl-C: Scrapy's graceful shutdown is stopping it already
            pass

    one_after_another().addBoth(stop)
    process.start(stop_after_crawl=False)
    return results


def _describe(jobs: list[CrawlJob]) -> str:
    names = [job.name or job.url for job in jobs]
    return "dca crawl " + (" ".join(names) if len(names) <= 3 else f"{len(names)} sites")


class CrawlResult:
    def __init__(self, out_dir: Path, stats: dict, seconds: float, log_file: str, name: str = ""):
        self.out_dir = out_dir
        self.stats = stats
        self.seconds = seconds
        self.log_file = log_file
        self.name = name

    @property
    def problems(self) -> dict:
        """Counted problems worth an operator's attention, by stats key."""
        keys = ("extract/errors", "comments/page_failed", "log_count/ERROR", "spider_exceptions",
                "downloader/exception_type_count/", "validate/dropped/", "store/errors", "dca/failed/",
                "recovery/partial_records", "dca/retry_after_too_long")
        # IgnoreRequest is how robots.txt refusals surface; they are reported as such.
        return {k: v for k, v in self.stats.items()
                if any(k.startswith(p) for p in keys) and v and not k.endswith("IgnoreRequest")}

    @property
    def counts(self) -> dict:
        from pipelines.store import crawl_counts

        return crawl_counts(self.stats)

    @property
    def robots_refused(self) -> int:
        return self.stats.get("robotstxt/forbidden", 0)

    @property
    def reached_site(self) -> bool:
        return bool(self.stats.get("response_received_count"))

    def failure_hint(self) -> str:
        """Why nothing was fetched, in words an operator can act on."""
        errors = [k.rsplit("/", 1)[-1] for k in self.stats
                  if k.startswith("downloader/exception_type_count/") and not k.endswith("IgnoreRequest")]
        if errors:
            return f"no response from the site ({', '.join(errors)}): check the URL, DNS and that the site is up"
        if self.stats.get("robotstxt/forbidden"):
            return "robots.txt forbids every start URL for this User-Agent"
        return "no response was received; see the log"
