"""Run one crawl in this process and report what it produced."""

import time
from datetime import datetime, timezone
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.spiders.wordpress import WordPressSpider

# Our own server on loopback: no reason to wait between requests.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def crawl_settings(out_dir: Path, overrides: dict) -> dict:
    """Project settings plus the output directory, a log file in it, and the user's -s values."""
    settings = get_project_settings()
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    settings.set("DCA_OUT_DIR", str(out_dir), priority="cmdline")
    settings.set("LOG_FILE", str(logs / f"crawl-{stamp}.log"), priority="cmdline")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(url: str, out_dir: Path, site: str = "", overrides: dict | None = None) -> "CrawlResult":
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = crawl_settings(out_dir, overrides or {})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WordPressSpider)
    started = time.monotonic()
    process.crawl(crawler, url=url, site=site)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(out_dir, stats, time.monotonic() - started, settings.get("LOG_FILE"))


class CrawlResult:
    def __init__(self, out_dir: Path, stats: dict, seconds: float, log_file: str):
        self.out_dir = out_dir
        self.stats = stats
        self.seconds = seconds
        self.log_file = log_file

    @property
    def problems(self) -> dict:
        """Counted problems worth an operator's attention, by stats key."""
        keys = ("extract/errors", "comments/page_failed", "log_count/ERROR", "spider_exceptions",
                "downloader/exception_type_count/", "validate/dropped/", "store/errors")
        # IgnoreRequest is how robots.txt refusals surface; they are reported as such.
        return {k: v for k, v in self.stats.items()
                if any(k.startswith(p) for p in keys) and v and not k.endswith("IgnoreRequest")}

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
