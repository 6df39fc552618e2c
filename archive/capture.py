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
import functools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from archive.index import LiveIndex, update_index
from archive.conditional import CONDITIONAL_META_KEY, validators
from archive.dedup import DedupIndex
from archive.metadata import metadata_fields
from archive.rawhttp import META_KEY as RAW_META_KEY
from archive.signals import capture_written
from archive.warc import RawHeaders, WarcWriter, join_head, payload_digest, without_headers

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
    """Writes each (request, response) pair to WARC as it comes off the wire."""

    def __init__(self, crawler, out_dir: Path):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.warc_dir = Path(out_dir) / "warc"
        self.writer: WarcWriter | None = None
        self.dedup: DedupIndex | None = None
        self.live_index: LiveIndex | None = None
        # One thread, so records keep their order; gzip and digests then run beside the reactor.
        self.writer_thread = ThreadPoolExecutor(1, thread_name_prefix="warc-writer")
        # Metadata records are described (outlinks parsed) on their own thread, so the writer's
        # queue, which the downloads wait on, holds only writes.
        self.metadata_thread = ThreadPoolExecutor(1, thread_name_prefix="warc-metadata")

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

    def spider_opened(self, spider=None):
        self.writer = WarcWriter(
            self.warc_dir,
            prefix=self.settings.get("DCA_WARC_PREFIX", "DCA"),
            max_size=self.settings.getint("DCA_WARC_MAX_SIZE", 1_000_000_000),
            warcinfo_fields=_warcinfo_fields(self.settings, spider),
        )
        if self.settings.getbool("DCA_DEDUP", True):
            self.dedup = DedupIndex(self.warc_dir, db_path(self.settings))
        if self.settings.getbool("DCA_INDEX", True):
            self.live_index = LiveIndex(self.warc_dir)

    def spider_closed(self, spider=None):
        self.metadata_thread.shutdown(wait=True)
        self.writer_thread.shutdown(wait=True)
        if self.dedup is not None:
            self.dedup.close()
        if self.writer is not None:
            files = list(self.writer.files)
            self.writer.close()
            self.writer = None
            if files and self.live_index is not None:
                # Keep DIR/index.cdxj up to date: merge in the lines of this crawl's files,
                # made on the writer thread as their records were written.
                try:
                    update_index(self.warc_dir.parent, files, live=self.live_index)
                except Exception:
                    logger.exception("CDXJ index not updated; run `dca index` to rebuild it")

    async def process_response(self, request, response, spider=None):
        raw_head = request.meta.pop(RAW_META_KEY, None)
        if "cached" in response.flags or "revisit" in response.flags:
            # Served by HttpCacheMiddleware or rebuilt from the archive: not a new capture.
            return response
        try:
            capture = await self.write(request, response, raw_head)
        except Exception as error:
            self.stats.inc_value("warc/write_failed")
            logger.error("WARC write failed for %s: the response is not archived and not processed (%s); "
                         "check the disk and DIR/warc, then crawl again", response.url, error)
            raise IgnoreRequest(f"not archived: {error}") from error
        request.meta["capture"] = capture
        self.crawler.signals.send_catch_log(
            signal=capture_written, capture=capture, request=request, response=response
        )
        return response

    async def write(self, request, response, raw_head: dict | None = None) -> dict:
        if self.writer is None:  # a response before spider_opened: open lazily
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
        write_exchange = functools.partial(self._write_counted, response.url, conditional, **exchange)
        capture, growth = await asyncio.get_running_loop().run_in_executor(self.writer_thread, write_exchange)
        for key, value in growth.items():
            self.stats.inc_value(f"warc/{key}", value)
        return capture

    def _write_counted(self, url, conditional, **exchange) -> tuple[dict, dict]:
        """Runs on the writer thread: the capture, and how much the archive grew by it."""
        writer = self.writer
        before = (len(writer.files), writer.records, writer.bytes_written)
        status = exchange["status"]
        body = exchange["response_body"]
        revisit = None
        if status == 304 and conditional:
            # Our conditional GET was answered "not modified": the payload is the original's.
            revisit = dict(conditional, profile="server-not-modified")
            self.stats.inc_value("warc/revisits/server-not-modified")
        elif 200 <= status < 300 and body and self.dedup:
            digest = payload_digest(body)
            exchange["payload_digest"] = digest
            original = self.dedup.find(url, digest)
            if original is not None:
                revisit = dict(original, profile="identical-payload-digest")
                self.stats.inc_value("warc/revisits/identical-payload-digest")
        capture = writer.write_exchange(url, revisit=revisit, **exchange)
        if self.live_index is not None:
            self._index(capture, exchange)
        if revisit:
            capture["refers_to_location"] = revisit.get("location")
        elif self.dedup and capture["payload_digest"] and 200 <= status < 300 and body:
            self.dedup.remember(capture)
        after = (len(writer.files), writer.records, writer.bytes_written)
        return capture, dict(zip(("files", "records", "bytes"), (b - a for a, b in zip(before, after))))

    def _index(self, capture: dict, exchange: dict) -> None:
        """The index line of the response (or revisit) record just written (archive/index.py)."""
        head = exchange.get("response_head_raw")
        if head is None:  # the head warc.py built from Scrapy's response: the same bytes
            http = RawHeaders(f"{exchange['status']} {exchange['reason']}".rstrip(),
                              exchange["response_headers"], protocol=exchange["protocol"])
            http.compute_headers_buffer()
            head = http.headers_buff
        headers = [("WARC-Type", capture["warc_type"]), ("WARC-Target-URI", capture["url"]),
                   ("WARC-Date", capture["fetched_at"])]
        if capture.get("payload_digest"):
            headers.append(("WARC-Payload-Digest", capture["payload_digest"]))
        payload = 0 if capture["warc_type"] == "revisit" else len(exchange["response_body"])
        if self.live_index.add(capture["warc_file"], capture["warc_offset"], capture["warc_length"],
                               headers, head, len(head) + payload):
            self.stats.inc_value("warc/index_lines")

    # -- metadata records -----------------------------------------------------------

    def item_done(self, item, response=None, spider=None, exception=None, **kwargs):
        """An article item left the pipelines (stored or dropped): describe it in a metadata record."""
        from itemadapter import ItemAdapter

        # Only two top-level fields are read: no deep copy of the record (asdict walks every comment).
        adapter = item if isinstance(item, dict) else ItemAdapter(item)
        record, capture = adapter.get("record"), adapter.get("capture")
        if not record or not capture or record.get("page_type") != "article" or self.writer is None:
            return
        outcome = "dropped: " + str(exception) if exception is not None else "stored"
        # The spider's extraction worker read the page's links already; else the payload is read back.
        self.metadata_thread.submit(self._describe, record, capture, outcome, adapter.get("outlinks"))

    def _describe(self, record: dict, capture: dict, outcome: str, outlinks) -> None:
        try:
            fields = metadata_fields(self.warc_dir, record, capture, outcome, outlinks)
        except Exception:
            logger.exception("metadata record not written for %s", capture.get("url"))
            return
        self.writer_thread.submit(self._write_metadata, capture, fields)

    def _write_metadata(self, capture: dict, fields: list[tuple[str, str]]) -> None:
        try:
            self.writer.write_metadata(capture["url"], capture["warc_record_id"], fields)
            self.stats.inc_value("warc/metadata_records")
        except Exception:
            logger.exception("metadata record not written for %s", capture.get("url"))
