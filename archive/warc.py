"""Streaming WARC/1.1 writer: one gzip member per record, rotation between exchanges.

The WARC files are the source of truth, so the writer is conservative:
- a new file is created exclusively (mode "x"); an existing file is never appended to;
- every file starts with a warcinfo record;
- a request and its response always land in the same file;
- each exchange is flushed (and fsynced at most once a second) before the capture is returned, so a crash
  loses at most the exchange being written.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Iterable

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

WARC_VERSION = "1.1"
WARC_FORMAT = "WARC File Format 1.1"
WARC_CONFORMS_TO = (
    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
)
# Headers of a record, gzip overhead, CRLFs: a generous per-record allowance for
# the size check done before an exchange is written.
_RECORD_OVERHEAD = 1024

Headers = Iterable[tuple[str, str]]


class RawHeaders(StatusAndHeaders):
    """HTTP head serialised as latin-1, i.e. byte for byte as received.

    warcio decodes header bytes as latin-1 but re-encodes as ASCII and
    percent-encodes anything else, which would alter non-ASCII header bytes.
    """

    def compute_headers_buffer(self, header_filter=None):
        self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"


def _software() -> str:
    from crawler import __version__

    return f"dca/{__version__}"


def warc_date(now: datetime | None = None) -> str:
    """WARC-Date with microseconds (allowed by WARC/1.1), UTC, 'Z' suffix."""
    now = now or datetime.now(timezone.utc)
    naive = now.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(naive, use_micros=True)


def _field_value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


class WarcWriter:
    """Writes request/response exchanges into rotating `.warc.gz` files."""

    def __init__(
        self,
        directory,
        prefix: str = "DCA",
        max_size: int = 1_000_000_000,
        warcinfo_fields: dict | None = None,
        fsync: bool = True,
        fsync_interval: float = 1.0,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.warcinfo_fields = dict(warcinfo_fields or {})
        self.fsync = fsync
        self.fsync_interval = fsync_interval
        self._last_fsync = 0.0
        self.hostname = socket.gethostname()
        self.files: list[str] = []  # names of files created by this writer
        self.records = 0
        self.bytes_written = 0
        self._serial = 0
        self._file = None
        self._name: str | None = None
        self._exchanges_in_file = 0
        self._warc = None

    # -- files -----------------------------------------------------------

    def _next_name(self) -> str:
        # WARC spec Annex C: Prefix-Timestamp-Serial-Crawlhost.warc.gz
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.hostname}.warc.gz"
        self._serial += 1
        return name

    def _open_new_file(self) -> None:
        while True:
            name = self._next_name()
            try:
                # "x": never append to or overwrite a file of an earlier crawl.
                self._file = open(self.directory / name, "xb")
                break
            except FileExistsError:
                continue
        self._name = name
        self._exchanges_in_file = 0
        self._warc = WARCWriter(self._file, gzip=True, warc_version=WARC_VERSION)
        self.files.append(name)
        self._write(self._warcinfo_record(name))
        self._sync()

    def _warcinfo_record(self, name: str):
        info = {
            "software": _software(),
            "format": WARC_FORMAT,
            "conformsTo": WARC_CONFORMS_TO,
            "hostname": self.hostname,
        }
        info.update({k: _field_value(v) for k, v in self.warcinfo_fields.items()})
        return self._warc.create_warcinfo_record(name, info)

    def _sync(self, force: bool = False) -> None:
        # flush() after every exchange survives a crash of this process; fsync (which
        # survives a power cut) is rationed because it costs a disk round trip each.
        self._file.flush()
        now = time.monotonic()
        if self.fsync and (force or now - self._last_fsync >= self.fsync_interval):
            os.fsync(self._file.fileno())
            self._last_fsync = now

    def _close_file(self) -> None:
        if self._file is None:
            return
        self._sync(force=True)
        self._file.close()
        self._file = None
        self._warc = None

    def _ensure_room(self, estimate: int) -> None:
        """Rotate before an exchange that would push the file over max_size.

        A file always takes at least one exchange, so an oversized response
        still gets written (alone in its file).
        """
        if self._file is None:
            self._open_new_file()
        elif self._exchanges_in_file and self._file.tell() + estimate > self.max_size:
            self._close_file()
            self._open_new_file()

    def _write(self, record) -> tuple[int, int]:
        """Write one record as one gzip member; return (offset, length)."""
        offset = self._file.tell()
        self._warc.write_record(record)
        length = self._file.tell() - offset
        self.records += 1
        self.bytes_written += length
        return offset, length

    # -- public API --------------------------------------------------------

    @property
    def current_file(self) -> str | None:
        return self._name

    def write_exchange(
        self,
        url: str,
        *,
        request_line: str,
        request_headers: Headers,
        request_body: bytes = b"",
        protocol: str = "HTTP/1.1",
        status: int,
        reason: str = "",
        response_headers: Headers,
        response_body: bytes = b"",
        ip_address: str | None = None,
        truncated: str | None = None,
        date: str | None = None,
    ) -> dict:
        """Write a request record and its response record; return the capture.

        Header values are str holding the raw bytes decoded as latin-1.
        `request_line` is e.g. "GET /path?q=1 HTTP/1.1".
        """
        request_headers = list(request_headers)
        response_headers = list(response_headers)
        date = date or warc_date()
        estimate = (
            len(request_body)
            + len(response_body)
            + sum(len(k) + len(v) + 4 for k, v in request_headers + response_headers)
            + 4 * _RECORD_OVERHEAD
        )
        self._ensure_room(estimate)

        statusline = f"{status} {reason}".rstrip()
        response = self._record(
            url, "response", date,
            RawHeaders(statusline, response_headers, protocol=protocol),
            response_body,
        )
        request = self._record(
            url, "request", date,
            RawHeaders(request_line, request_headers),
            request_body,
        )
        resp_id = response.rec_headers.get_header("WARC-Record-ID")
        req_id = request.rec_headers.get_header("WARC-Record-ID")
        # Link both ways: either record leads to the other.
        request.rec_headers.add_header("WARC-Concurrent-To", resp_id)
        response.rec_headers.add_header("WARC-Concurrent-To", req_id)
        if ip_address:
            response.rec_headers.add_header("WARC-IP-Address", ip_address)
        if truncated:
            response.rec_headers.add_header("WARC-Truncated", truncated)

        # Request first: the order in which the exchange happened on the wire.
        self._write(request)
        offset, length = self._write(response)
        self._exchanges_in_file += 1
        self._sync()
        return {
            "url": url,
            "fetched_at": date,
            "status": int(status),
            "content_type": response.http_headers.get_header("Content-Type"),
            "warc_file": self._name,
            "warc_offset": offset,
            "warc_length": length,
            "warc_record_id": resp_id,
            "payload_digest": response.rec_headers.get_header("WARC-Payload-Digest"),
            "warc_type": "response",
        }

    def _record(self, url, rec_type, date, http_headers, body: bytes):
        return self._warc.create_warc_record(
            url,
            rec_type,
            payload=BytesIO(body),
            length=len(body),
            # Conventional header order: type, id, target, date.
            warc_headers_dict={
                "WARC-Type": rec_type,
                "WARC-Record-ID": self._warc._make_warc_id(),
                "WARC-Target-URI": url,
                "WARC-Date": date,
            },
            http_headers=http_headers,
        )

    def close(self) -> None:
        self._close_file()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
