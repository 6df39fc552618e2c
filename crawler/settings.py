"""Scrapy settings: polite defaults for unattended archival crawls.

Every component is wired here. `dca crawl -s NAME=VALUE` and `scrapy crawl -s`
override any of them.
"""

import os

from crawler import __version__

BOT_NAME = "dca"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"



def user_agent(contact: str) -> str:
    return f"dca/{__version__} (archival crawler; +{contact})"


# Operators should set DCA_CONTACT to a page or mailbox where site owners can reach them;
# `-s DCA_CONTACT=...` puts it in the User-Agent (crawler/addons.py) unless USER_AGENT is given too.
DCA_CONTACT = "https://example.invalid/dca-operator"
USER_AGENT = user_agent(DCA_CONTACT)
ADDONS = {"crawler.addons.ContactUserAgent": 0}

# Politeness: robots.txt, one site at a time per slot, adaptive delay.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOAD_TIMEOUT = 60
# A response larger than this is cut off and logged instead of exhausting memory.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# Scrapy starts this many tasks for every response's callback output, and they live as long as
# the callback: an article awaiting its extraction worker held 100, and hundreds of such
# articles made every garbage collection slow. A callback yields at most one item and a few
# dozen requests, which need no more parallelism than this.
CONCURRENT_ITEMS = 8
# Scrapy reads a generator callback's source and parses it on every response, to warn about a
# `return value` in it; a bound method is never found in its cache. Our spiders' callbacks are
# tested (tests/test_spider_callbacks.py), so the check only cost ~0.1 ms per response.
WARN_ON_GENERATOR_RETURN_VALUE = False

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

# Capture happens at 950: before HttpCompressionMiddleware (590) decompresses the
# body and before RedirectMiddleware (600) swallows 3xx responses.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    "archive.capture.WarcCaptureMiddleware": 950,
    # Conditional GET from stored ETag/Last-Modified; a 304 becomes a revisit and
    # the archived original goes on to the spider (archive/conditional.py).
    "archive.conditional.ConditionalGetMiddleware": 940,
    # Retries wait: Retry-After on 429/503 (seconds or HTTP-date), else exponential backoff.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    # Redirect targets pass the incremental rule too (crawler/incremental.py).
    "crawler.incremental.IncrementalRedirectFilter": 50,
}
# crawler/middlewares.py RetryAfterMiddleware: backoff base and cap, longest Retry-After waited out.
DCA_RETRY_BACKOFF_BASE = 1.0
DCA_RETRY_BACKOFF_MAX = 60.0
DCA_RETRY_AFTER_MAX = 600.0

SPIDER_MIDDLEWARES = {
    # Known, unchanged, no-longer-young articles are not fetched again (crawler/incremental.py).
    "crawler.incremental.IncrementalMiddleware": 950,
    # A site list's further start URLs (crawler/sitelist.py).
    "crawler.middlewares.StartUrlsMiddleware": 960,
}
DCA_INCREMENTAL = True
# The crawl's "now" as ISO 8601; empty = the site's clock (its Date header). For tests and replays of a schedule.
DCA_NOW = ""

# Scrapy's HTTP/1.1 handler, also keeping the raw status line and header lines
# (reason phrase, header-name case and order) for the WARC (archive/rawhttp.py).
DOWNLOAD_HANDLERS = {
    "http": "archive.rawhttp.RawHeadDownloadHandler",
    "https": "archive.rawhttp.RawHeadDownloadHandler",
}

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# Where the crawl writes: DCA_OUT_DIR/warc/*.warc.gz and DCA_OUT_DIR/archive.sqlite.
DCA_OUT_DIR = "out"
DCA_WARC_PREFIX = "DCA"
DCA_WARC_MAX_SIZE = 1_000_000_000
# Re-crawled identical payloads become revisit records (same URL, same archive set).
DCA_DEDUP = True
DCA_CONDITIONAL_GET = True
# Merge each crawl's new WARC files into DIR/index.cdxj when the crawl ends.
DCA_INDEX = True
DCA_STORE_BATCH = 200
# The one extraction entry point; a dotted path so tests can inject faults.
DCA_EXTRACTOR = "crawler.extract.extract_page"
# Processes that run extraction beside the reactor; 0 runs it inline.
DCA_EXTRACT_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))
# Site profile id; empty means "choose by host, else generic WordPress".
DCA_SITE = ""
# Page requisites (CSS, images, scripts) of article pages are archived for replay.
DCA_FETCH_REQUISITES = True
# Comment threads of WordPress articles are also read from the REST API
# (wp/v2/posts/ID and every page of wp/v2/comments?post=ID), its most trusted
# source; the answers are archived like any response. 0 keeps to the HTML pages.
DCA_REST_API = True
# Articles published less than this many days ago are fetched again on every run
# (new comments arrive mostly in the first days); older unchanged ones may be
# skipped by incremental crawls (crawler/incremental.py reads this).
DCA_REFETCH_DAYS = 7

EXTENSIONS = {
    # `scrapy crawl` too takes DIR's run lock and recovers a dead run first (`dca crawl` does both itself).
    "crawler.extensions.RunGuard": 490,
    "crawler.extensions.ProgressLine": 500,
    # Each capture counted new / changed / unchanged / failed for the run's `crawls` row.
    "crawler.extensions.CrawlCounts": 510,
    # Tests only: DCA_CRASH_AT=POINT:N makes the process SIGKILL itself there.
    "crawler.extensions.CrashPoints": 520,
    # Fewer garbage-collector passes in the crawl process (crawler/extensions.py).
    "crawler.extensions.GarbageCollection": 530,
}
DCA_CRASH_AT = ""
# Set by `dca crawl`, which holds DIR's run lock and has recovered it: RunGuard then does neither.
DCA_RUN_GUARDED = False
# CPython's gc thresholds for the crawl process while it crawls (default 700, 10, 10); empty
# leaves them alone. DCA_GC_FREEZE also exempts what exists at engine start from every pass.
DCA_GC_THRESHOLD = [20000, 10, 10]
DCA_GC_FREEZE = True
# DIR/logs/crawl.log rotates at this size, keeping this many old files.
DCA_LOG_MAX_BYTES = 10 * 1024 * 1024
DCA_LOG_BACKUPS = 10
# Seconds between progress lines on stderr; 0 turns them off.
DCA_PROGRESS_INTERVAL = 10.0
