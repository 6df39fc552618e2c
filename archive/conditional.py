"""Conditional GET from the validators stored in `captures`, and 304s turned back into pages.

ConditionalGetMiddleware (downloader middleware, wired at 940, just below the
capture middleware at 950):

- process_request: when the archive set already holds a 200 capture of the URL
  whose response carried an ETag and/or Last-Modified, send If-None-Match /
  If-Modified-Since. The original record is noted in request.meta.
- the capture middleware writes a 304 answer as a `server-not-modified`
  revisit record referring to that original (see archive/capture.py);
- process_response: the 304 is then replaced, for the rest of Scrapy and the
  spider, by the original response read back from the WARC (status, headers and
  still-encoded body, flagged "revisit"), so that decompression, link following
  and extraction go on as if the page had been sent again.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from archive.dedup import open_readonly, original_of
from archive.records import payload_at

logger = logging.getLogger(__name__)

CONDITIONAL_META_KEY = "dca_conditional"
_CAPTURE_COLUMNS = ("warc_record_id, url, fetched_at, status, payload_digest, warc_type, refers_to, "
                    "etag, last_modified, warc_file, warc_offset, warc_length")


def validators(headers) -> dict:
    """ETag and Last-Modified of a Scrapy response, as stored in `captures`."""
    out = {}
    for key, name in (("etag", b"ETag"), ("last_modified", b"Last-Modified")):
        value = headers.get(name)
        out[key] = value.decode("latin-1") if value else None
    return out


class ConditionalGetMiddleware:
    def __init__(self, out_dir: Path, db_path: Path):
        self.warc_dir = Path(out_dir) / "warc"
        self.db_path = Path(db_path)
        self._db: sqlite3.Connection | None = None
        self._opened = False
        # url -> the newest 200/304 capture row of earlier crawls, when it carried validators.
        self._latest: dict[str, dict] = {}
        self._files: dict[str, bool] = {}  # WARC file name -> present in this archive set

    @classmethod
    def from_crawler(cls, crawler):
        from archive.capture import db_path

        settings = crawler.settings
        if not settings.getbool("DCA_CONDITIONAL_GET", True) or not settings.get("DCA_OUT_DIR"):
            raise NotConfigured
        return cls(Path(settings["DCA_OUT_DIR"]), db_path(settings))

    def _conn(self):
        if not self._opened:
            # Only what earlier crawls stored counts: open once, at the first request.
            self._opened = True
            self._db = open_readonly(self.db_path)
            if self._db is not None:
                columns = {r[1] for r in self._db.execute("PRAGMA table_info(captures)")}
                if not {"etag", "last_modified", "refers_to"} <= columns:
                    self._db.close()
                    self._db = None
            if self._db is not None:
                self._preload()
        return self._db

    def _preload(self) -> None:
        """Read once which URLs have a newest 200/304 capture with validators (one query, not one per request)."""
        latest: dict[str, dict] = {}
        try:
            for row in self._db.execute(
                    f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE status IN (200, 304) ORDER BY fetched_at"):
                latest[row["url"]] = row
        except sqlite3.Error:
            logger.exception("conditional GET: captures not readable")
            latest = {}
        self._latest = {url: dict(row) for url, row in latest.items() if row["etag"] or row["last_modified"]}
        if not self._latest:  # nothing to revalidate: no query at all during the crawl
            self._db.close()
            self._db = None

    def lookup(self, url: str) -> dict | None:
        """The newest 200/304 capture of url with validators, and the original record holding its payload."""
        conn = self._conn()
        if conn is None:
            return None
        row = self._latest.get(url)
        if row is None:
            return None
        try:
            found, original = row, dict(row)
            for _ in range(5):  # a revisit refers to the response that holds the payload
                if original["warc_type"] == "response":
                    break
                original = conn.execute(
                    f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE warc_record_id = ?",
                    (original["refers_to"],)).fetchone()
                if original is None:
                    return None
                original = dict(original)
            if original["warc_type"] != "response" or original["status"] != 200:
                return None
        except sqlite3.Error:
            logger.exception("conditional GET lookup failed for %s", url)
            return None
        info = original_of(original)
        name = info["location"][0]
        present = self._files.get(name)
        if present is None:
            present = self._files[name] = (self.warc_dir / name).is_file()
        if not present:
            return None  # not in this archive set (any more)
        info["etag"], info["last_modified"] = found["etag"], found["last_modified"]
        return info

    def process_request(self, request, spider=None):
        if request.method != "GET" or request.meta.get("dont_conditional"):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        info = self.lookup(request.url)
        if info is None:
            return None
        if info["etag"]:
            request.headers[b"If-None-Match"] = info["etag"].encode("latin-1")
        if info["last_modified"]:
            request.headers[b"If-Modified-Since"] = info["last_modified"].encode("latin-1")
        request.meta[CONDITIONAL_META_KEY] = {k: info[k] for k in (
            "refers_to", "refers_to_uri", "refers_to_date", "payload_digest", "location")}
        return None

    def process_response(self, request, response, spider=None):
        original = request.meta.get(CONDITIONAL_META_KEY)
        if response.status != 304 or not original:
            return response
        record = payload_at(self.warc_dir, original["location"])
        if record is None or record.http_headers is None:
            return response
        headers = Headers()
        for name, value in record.http_headers.headers:
            if name.lower() != "transfer-encoding":
                headers.appendlist(name.encode("latin-1"), value.encode("latin-1"))
        url = original["refers_to_uri"]
        cls = responsetypes.from_args(headers=headers, url=url, body=record.payload)
        return cls(url=response.url, status=int(record.http_headers.get_statuscode()), headers=headers,
                   body=record.payload, flags=["revisit"], request=request,
                   protocol=record.http_headers.protocol or None)

    def close(self):
        if self._db is not None:
            self._db.close()
