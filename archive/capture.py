"""Scrapy downloader middleware writing every downloaded exchange to WARC.

Wire it at priority 950: process_response runs from the highest priority down,
so at 950 the response is still as the download handler produced it, before
HttpCompressionMiddleware (590) decodes the body and drops Content-Encoding and
before RedirectMiddleware (600) follows 3xx. All process_request methods
(< 950: User-Agent, Accept-Encoding, cookies, ...) have already run, so
request.headers are the headers Scrapy sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures.process import BrokenProcessPool
from http import HTTPStatus
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from archive import capture_process
from archive.capture_process import ArchiveConfig
from archive.conditional import CONDITIONAL_META_KEY, validators
from archive.metadata import summary
from archive.rawhttp import META_KEY as RAW_META_KEY
from archive.signals import capture_written
from archive.warc import join_head, without_headers
from crawler.worker_process import WorkerProcess

logger = logging.getLogger(__name__)

# Scrapy settings recorded in each file's warcinfo, so a WARC says how it was made.
WARCINFO_SETTINGS = (
    "BOT_NAME",
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "DOWNLOAD_DELAY",
    "RANDOMIZE_DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "RETRY_ENABLED",
    "RETRY_TIMES",
    "DEPTH_LIMIT",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "DCA_WARC_MAX_SIZE",
    "DCA_DEDUP",
    "DCA_CONDITIONAL_GET",
    "DCA_FETCH_REQUISITES",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _latin1(value: bytes | str) -> str:
    # latin-1 maps every byte to one char, so the bytes survive the round trip.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _header_list(headers) -> list[tuple[str, str]]:
    """Every value of every header, repeated headers (Set-Cookie) included."""
    return [
        (_latin1(name), _latin1(value))
        for name in headers
        for value in headers.getlist(name)
    ]


def host_value(request) -> str:
    """The Host header Twisted computes: netloc without userinfo or default port."""
    parsed = urlparse_cached(request)
    netloc = parsed.netloc.rpartition("@")[2]
    if parsed.port is not None and parsed.port == _DEFAULT_PORTS.get(parsed.scheme):
        netloc = netloc.rsplit(":", 1)[0]
    return netloc


def request_target(request) -> str:
    """Origin-form target as sent: path (or '/'), params and query, no fragment."""
    parsed = urlparse_cached(request)
    target = parsed.path or "/"
    if parsed.params:
        target += ";" + parsed.params
    if parsed.query:
        target += "?" + parsed.query
    return target


def request_head(request) -> tuple[str, list[tuple[str, str]]]:
    """Request line and headers as Twisted sends them.

    Twisted actually writes Host after the other headers; we put it first, as
    HTTP/1.1 recommends and as replay tools expect. The connection-level
    headers Twisted adds itself (Connection: close on non-persistent
    connections) are not visible here.
    """
    method = _latin1(request.method)
    # Twisted always speaks HTTP/1.1 for the request (see _newclient._writeHeaders).
    line = f"{method} {request_target(request)} HTTP/1.1"
    headers = _header_list(request.headers)
    host = [h for h in headers if h[0].lower() == "host"]
    headers = [h for h in headers if h[0].lower() != "host"]
    first = host[:1] or [("Host", host_value(request))]
    if request.body:
        # Twisted frames a known-length body with Content-Length.
        headers = [h for h in headers if h[0].lower() != "content-length"]
        first.append(("Content-Length", str(len(request.body))))
    return line, first + headers


def response_head(response) -> tuple[str, int, str, list[tuple[str, str]]]:
    """Protocol, status, reason phrase and headers of the response."""
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    try:
        # Scrapy does not keep the server's reason phrase; the standard phrase
        # for the code is the best we can do (empty for unknown codes).
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    # Twisted has already de-chunked the body; a Transfer-Encoding header would
    # make replay tools try to de-chunk it again.
    headers = [
        h for h in _header_list(response.headers) if h[0].lower() != "transfer-encoding"
    ]
    return protocol, response.status, reason, headers


def db_path(settings) -> Path:
    """The archive database of this output directory (as StorePipeline opens it)."""
    if settings.get("DCA_DB_PATH"):
        return Path(settings["DCA_DB_PATH"])
    return Path(settings.get("DCA_OUT_DIR") or ".") / "archive.sqlite"


def _warcinfo_fields(settings, spider=None) -> dict:
    fields = {"robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
    if spider is not None:
        fields["spider"] = spider.name
        # What `dca rebuild` needs to extract these records as the crawl did.
        if getattr(spider, "profile", None) is not None:
            fields["dca-site"] = spider.profile.id
            fields["dca-timezone"] = spider.profile.timezone  # the site list's zone, else the profile's
        if getattr(spider, "root", None):
            fields["dca-root"] = spider.root
    fields["dca-extractor"] = settings.get("DCA_EXTRACTOR") or "crawler.extract.extract_page"
    crawl = {name: settings.get(name) for name in WARCINFO_SETTINGS}
    fields["crawl-settings"] = json.dumps(crawl, sort_keys=True, default=str)
    # Free-form extra fields (operator, description, isPartOf, ...).
    fields.update(settings.getdict("DCA_WARCINFO"))
    return fields


class WarcCaptureMiddleware:
    """Writes each (request, response) pair to WARC as it comes off the wire.

    The writing happens in the WARC writer's own process (archive/capture_process.py):
    this middleware sends it each exchange and waits for its capture, so a response
    reaches the spider only once it is in the archive. `archive_class` is what that
    process writes with (a subclass of capture_process.Archive).
    """

    archive_class = None  # capture_process.Archive

    def __init__(self, crawler, out_dir: Path):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.warc_dir = Path(out_dir) / "warc"
        self.process: WorkerProcess | None = None
        self.writer_died = False
        self.metadata_calls: set[asyncio.Future] = set()  # sent, their answers not yet taken

    @classmethod
    def from_crawler(cls, crawler):
        out_dir = crawler.settings.get("DCA_OUT_DIR")
        if not out_dir:
            logger.warning("DCA_OUT_DIR is not set: responses are NOT archived to WARC")
            raise NotConfigured("DCA_OUT_DIR not set")
        mw = cls(crawler, Path(out_dir))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.item_done, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_done, signal=signals.item_dropped)
        return mw

    def archive_config(self, spider=None) -> ArchiveConfig:
        settings = self.settings
        return ArchiveConfig(
            warc_dir=str(self.warc_dir),
            prefix=settings.get("DCA_WARC_PREFIX", "DCA"),
            max_size=settings.getint("DCA_WARC_MAX_SIZE", 1_000_000_000),
            warcinfo_fields=_warcinfo_fields(settings, spider),
            dedup_db=str(db_path(settings)) if settings.getbool("DCA_DEDUP", True) else None,
            index=settings.getbool("DCA_INDEX", True),
            archive_class=self.archive_class,
        )

    def spider_opened(self, spider=None):
        self.process = WorkerProcess(capture_process.open_archive, (self.archive_config(spider),),
                                     name="dca-warc-writer", at_end=capture_process.socket_closed)

    def spider_closed(self, spider=None):
        process, self.process = self.process, None
        if process is None:
            return
        try:
            # Waited for here, after every write and metadata record sent before it: the files
            # are whole and the stats final before the store's spider_closed records them.
            self._take(*process.finish(capture_process.close_archive, str(self.warc_dir.parent))[1:])
        except BrokenProcessPool as error:
            logger.error("the WARC writer process ended before it closed its files (%s); "
                         "run `dca verify --out %s`", error, self.warc_dir.parent)
        for call in [c for c in self.metadata_calls if c.done()]:  # answered now; callbacks would come too late
            self._metadata_written(call)

    async def process_response(self, request, response, spider=None):
        raw_head = request.meta.pop(RAW_META_KEY, None)
        if "cached" in response.flags or "revisit" in response.flags:
            # Served by HttpCacheMiddleware or rebuilt from the archive: not a new capture.
            return response
        try:
            capture = await self.write(request, response, raw_head)
        except Exception as error:
            self.stats.inc_value("warc/write_failed")
            if isinstance(error, BrokenProcessPool):
                self._stop_crawl(error)
            else:
                logger.error("WARC write failed for %s: the response is not archived and not processed (%s); "
                             "check the disk and DIR/warc, then crawl again", response.url, error)
            raise IgnoreRequest(f"not archived: {error}") from error
        request.meta["capture"] = capture
        self.crawler.signals.send_catch_log(
            signal=capture_written, capture=capture, request=request, response=response
        )
        return response

    def _stop_crawl(self, error) -> None:
        """The writer's process is gone: nothing more can be archived, so the crawl ends."""
        if self.writer_died:
            return
        self.writer_died = True
        logger.critical("the WARC writer process died (%s): nothing more can be archived, so the crawl stops. "
                        "Run `dca verify --out %s`, then crawl again to go on from here",
                        error, self.warc_dir.parent)
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="warc_writer_died"))

    async def write(self, request, response, raw_head: dict | None = None) -> dict:
        if self.process is None:  # a response before spider_opened: open lazily
            self.spider_opened(getattr(self.crawler, "spider", None))
        exchange = dict(
            request_body=request.body or b"",
            status=response.status,
            response_body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None,
            truncated="disconnect" if "dataloss" in response.flags else None,
        )
        if raw_head and raw_head.get("status_line") and raw_head.get("request"):
            # The bytes as they crossed the wire (archive/rawhttp.py), minus
            # Transfer-Encoding: Twisted has de-chunked the body.
            exchange["request_head_raw"] = raw_head["request"]
            exchange["response_head_raw"] = join_head(
                raw_head["status_line"], without_headers(raw_head["header_lines"], {b"transfer-encoding"}))
        else:  # no raw heads (another download handler): rebuilt from Scrapy's request and response
            line, req_headers = request_head(request)
            protocol, status, reason, resp_headers = response_head(response)
            exchange.update(request_line=line, request_headers=req_headers, protocol=protocol,
                            reason=reason, response_headers=resp_headers)
        exchange["extra"] = validators(response.headers)
        conditional = request.meta.get(CONDITIONAL_META_KEY)
        return await self._answer(self.process.call(capture_process.write_exchange, response.url,
                                                    conditional, exchange))

    async def _answer(self, call: asyncio.Future):
        result, stats, log = await call
        self._take(stats, log)
        return result

    def _take(self, stats: dict, log: list) -> None:
        """The stats the writer's process moved and the lines it logged, as this process's own."""
        for key, value in stats.items():
            self.stats.inc_value(f"warc/{key}", value)
        for name, level, message in log:
            logging.getLogger(name).log(level, message)

    # -- metadata records -----------------------------------------------------------

    def item_done(self, item, response=None, spider=None, exception=None, **kwargs):
        """An article item left the pipelines (stored or dropped): describe it in a metadata record."""
        from itemadapter import ItemAdapter

        # Only two top-level fields are read: no deep copy of the record (asdict walks every comment).
        adapter = item if isinstance(item, dict) else ItemAdapter(item)
        record, capture = adapter.get("record"), adapter.get("capture")
        if not record or not capture or record.get("page_type") != "article" or self.process is None:
            return
        outcome = "dropped: " + str(exception) if exception is not None else "stored"
        # The spider's extraction worker read the page's links already; else the payload is read back.
        call = self.process.call(capture_process.write_metadata, summary(record), capture, outcome,
                                 adapter.get("outlinks"))
        self.metadata_calls.add(call)
        call.add_done_callback(self._metadata_written)

    def _metadata_written(self, call: asyncio.Future) -> None:
        if call not in self.metadata_calls:
            return  # taken already, at spider_closed
        self.metadata_calls.discard(call)
        if call.cancelled():
            return
        if call.exception() is not None:
            logger.error("metadata record not written: %s", call.exception())
            return
        _, stats, log = call.result()
        self._take(stats, log)
