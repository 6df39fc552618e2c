"""Streaming WARC/1.1 writer: one gzip member per record, rotation between exchanges.

The WARC files are the source of truth, so the writer is conservative:
- a new file is created exclusively (mode "x"); an existing file is never appended to;
- every file starts with a warcinfo record;
- a request and its response always land in the same file;
- each exchange is flushed (and fsynced at most once a second) before the capture is returned, so a crash
  loses at most the exchange being written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import time
import zlib
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
REVISIT_PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}


def payload_digest(data: bytes) -> str:
    """WARC-Payload-Digest as warcio writes it: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


class RawHeaders(StatusAndHeaders):
    """HTTP head serialised as latin-1, i.e. byte for byte as received.

    warcio decodes header bytes as latin-1 but re-encodes as ASCII and
    percent-encodes anything else, which would alter non-ASCII header bytes.
    """

    def compute_headers_buffer(self, header_filter=None):
        self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"


class RawHeadBlock(StatusAndHeaders):
    """An HTTP head kept as the exact bytes received (or sent), parsed only for lookups.

    `raw` is the status/request line and header lines, each ending in CRLF, then
    the empty line. The block digest and the record are computed over `raw`.
    """

    def __init__(self, raw: bytes):
        text = raw.decode("latin-1")
        lines = text.split("\r\n")
        first = lines[0]
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            if line[:1] in " \t" and headers:  # obs-fold continuation
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        protocol, statusline = "", first
        if first.startswith("HTTP/"):  # a status line: protocol first
            protocol, _, statusline = first.partition(" ")
        super().__init__(statusline, headers, protocol=protocol)
        self.raw = raw

    def compute_headers_buffer(self, header_filter=None):
        self.headers_buff = self.raw


def join_head(first_line: bytes, header_lines: Iterable[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in [first_line, *header_lines]) + b"\r\n"


def without_headers(header_lines: Iterable[bytes], names: set[bytes]) -> list[bytes]:
    """Header lines minus those named (names lower-case bytes)."""
    return [l for l in header_lines if l.split(b":", 1)[0].strip().lower() not in names]


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
        # WARC spec Annex C: Prefix-Timestamp-Serial-Crawlhost.warc.gz, with a
        # 14-digit UTC timestamp; the serial tells apart files begun in one second.
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
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
        # Records are serialised uncompressed into memory, then gzipped in one call (_write).
        self._warc = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
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
        """Write one record as one gzip member; return (offset, length).

        The same bytes warcio's gzip=True writes (one deflate stream at level 9 per
        record), made in one compress call and one file write instead of one per
        header block and payload chunk: each of those lets go of the GIL, and this
        thread then waits for the reactor's thread to hand it back.
        """
        offset = self._file.tell()
        plain = BytesIO()
        self._warc.out = plain
        self._warc.write_record(record)
        gzipper = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self._file.write(gzipper.compress(plain.getvalue()) + gzipper.flush())
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
        request_line: str = "",
        request_headers: Headers = (),
        request_body: bytes = b"",
        protocol: str = "HTTP/1.1",
        status: int,
        reason: str = "",
        response_headers: Headers = (),
        response_body: bytes = b"",
        ip_address: str | None = None,
        truncated: str | None = None,
        date: str | None = None,
        request_head_raw: bytes | None = None,
        response_head_raw: bytes | None = None,
        payload_digest: str | None = None,
        revisit: dict | None = None,
        extra: dict | None = None,
    ) -> dict:
        """Write a request record and its response (or revisit) record; return the capture.

        Header values are str holding the raw bytes decoded as latin-1.
        `request_line` is e.g. "GET /path?q=1 HTTP/1.1". When the raw heads are
        given (bytes, ending with the empty line) they are written verbatim
        instead of being rebuilt from line and headers.

        `revisit`, when given, makes the second record a `revisit` with no
        payload: {"profile": "identical-payload-digest" | "server-not-modified",
        "refers_to": record id, "refers_to_uri": url, "refers_to_date": WARC-Date,
        "payload_digest": digest of the original payload (optional for 304)}.
        """
        request_headers = list(request_headers)
        response_headers = list(response_headers)
        date = date or warc_date()
        body_len = 0 if revisit else len(response_body)
        estimate = (
            len(request_body)
            + body_len
            + len(request_head_raw or b"") + len(response_head_raw or b"")
            + sum(len(k) + len(v) + 4 for k, v in request_headers + response_headers)
            + 4 * _RECORD_OVERHEAD
        )
        self._ensure_room(estimate)

        if response_head_raw is not None:
            http_response = RawHeadBlock(response_head_raw)
        else:
            http_response = RawHeaders(f"{status} {reason}".rstrip(), response_headers, protocol=protocol)
        if request_head_raw is not None:
            http_request = RawHeadBlock(request_head_raw)
        else:
            http_request = RawHeaders(request_line, request_headers)

        if revisit:
            response = self._revisit_record(url, date, http_response, revisit)
        else:
            response = self._record(url, "response", date, http_response, response_body,
                                    payload_digest=payload_digest)
        request = self._record(url, "request", date, http_request, request_body)
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
        capture = {
            "url": url,
            "fetched_at": date,
            "status": int(status),
            "content_type": http_response.get_header("Content-Type"),
            "warc_file": self._name,
            "warc_offset": offset,
            "warc_length": length,
            "warc_record_id": resp_id,
            "payload_digest": response.rec_headers.get_header("WARC-Payload-Digest"),
            "warc_type": "revisit" if revisit else "response",
        }
        if revisit:
            capture["refers_to"] = revisit["refers_to"]
            capture["revisit_profile"] = revisit["profile"]
        capture.update(extra or {})
        return capture

    def _revisit_record(self, url, date, http_headers, revisit: dict):
        profile = REVISIT_PROFILES[revisit["profile"]]
        headers = {
            "WARC-Type": "revisit",
            "WARC-Record-ID": self._warc._make_warc_id(),
            "WARC-Target-URI": url,
            "WARC-Date": date,
            "WARC-Profile": profile,
            "WARC-Refers-To": revisit["refers_to"],
            "WARC-Refers-To-Target-URI": revisit["refers_to_uri"],
            "WARC-Refers-To-Date": revisit["refers_to_date"],
        }
        if revisit.get("payload_digest"):
            headers["WARC-Payload-Digest"] = revisit["payload_digest"]
        return self._warc.create_warc_record(
            url, "revisit", payload=None, warc_headers_dict=headers, http_headers=http_headers,
        )

    def write_metadata(self, url: str, concurrent_to: str, fields: Iterable[tuple[str, str]],
                       date: str | None = None) -> dict:
        """A `metadata` record (application/warc-fields) about the record `concurrent_to`."""
        if self._file is None:
            self._open_new_file()
        body = "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")
        record = self._warc.create_warc_record(
            url, "metadata", payload=BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Type": "metadata",
                "WARC-Record-ID": self._warc._make_warc_id(),
                "WARC-Target-URI": url,
                "WARC-Date": date or warc_date(),
                "WARC-Concurrent-To": concurrent_to,
            },
        )
        offset, length = self._write(record)
        self._sync()
        return {"warc_file": self._name, "warc_offset": offset, "warc_length": length,
                "warc_record_id": record.rec_headers.get_header("WARC-Record-ID")}

    def _record(self, url, rec_type, date, http_headers, body: bytes, payload_digest=None):
        headers = {
            "WARC-Type": rec_type,
            "WARC-Record-ID": self._warc._make_warc_id(),
            "WARC-Target-URI": url,
            "WARC-Date": date,
        }
        if payload_digest:  # computed by the caller: warcio then does not hash the payload again
            headers["WARC-Payload-Digest"] = payload_digest
        return self._warc.create_warc_record(
            url,
            rec_type,
            payload=BytesIO(body),
            length=len(body),
            # Conventional header order: type, id, target, date.
            warc_headers_dict=headers,
            http_headers=http_headers,
        )

    def close(self) -> None:
        self._close_file()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- reading a file member by member (verify, crash recovery) ------------------------


class FileScan:
    """What a walk over one `.warc.gz` found: its whole gzip members and how the file ends.

    A file ends in one of three ways:
    - cleanly: every byte belongs to a whole member;
    - interrupted: every member is whole up to a LAST member whose bytes stop before
      the member does. That is what a writer killed in the middle of a record leaves
      (kill -9, power loss); the writer never opens an existing file again (mode "x"),
      so nothing is ever appended after it and the file stays as the crash left it;
    - damaged: a member's bytes are not valid gzip (corrupt data, a bad CRC) while
      more of the file follows. No crash does that; the walk stops there.
    """

    def __init__(self, path: Path, members: list[tuple[int, int]], size: int, damaged_at: int | None = None):
        self.path = path
        self.members = members          # (offset, length) of every whole gzip member, in order
        self.size = size
        self.damaged_at = damaged_at    # offset of the first member that is not valid gzip, or None
        self.good_end = members[-1][0] + members[-1][1] if members else 0

    @property
    def damaged(self) -> bool:
        return self.damaged_at is not None

    @property
    def partial_bytes(self) -> int:
        """Bytes of the incomplete last member of an interrupted file (0 otherwise)."""
        return 0 if self.damaged else self.size - self.good_end

    @property
    def partial(self) -> bool:
        """The file was interrupted while writing its last record."""
        return self.partial_bytes > 0


def scan_members(path) -> FileScan:
    """Walk a `.warc.gz` member by member, stopping at the first member that is damaged or does not end."""
    path = Path(path)
    members: list[tuple[int, int]] = []
    size = path.stat().st_size
    with open(path, "rb") as fh:
        offset = 0
        while offset < size:
            length = _member_length(fh, offset)
            if length == _DAMAGED:
                return FileScan(path, members, size, damaged_at=offset)
            if length == _INCOMPLETE:
                break
            members.append((offset, length))
            offset += length
    return FileScan(path, members, size)


_DAMAGED, _INCOMPLETE = -1, -2


def ends_cleanly(path, offset: int = 0) -> bool:
    """Whether the gzip members from `offset` on end exactly at the file's end (no cut or damaged tail)."""
    size = Path(path).stat().st_size
    with open(path, "rb") as fh:
        while offset < size:
            length = _member_length(fh, offset)
            if length <= 0:
                return False
            offset += length
    return offset == size


def _member_length(fh, offset: int) -> int:
    """Length of the gzip member at `offset`; _DAMAGED for bad gzip, _INCOMPLETE when the file ends first."""
    fh.seek(offset)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    consumed = 0
    while not inflater.eof:
        chunk = fh.read(1 << 16)
        if not chunk:
            return _INCOMPLETE
        try:
            inflater.decompress(chunk)
        except zlib.error:
            return _DAMAGED
        consumed += len(chunk)
    return consumed - len(inflater.unused_data)
