"""Reading records back: one record at (file, offset, length), the decoded payload."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


class Record:
    """A record read back: WARC headers, HTTP head (or None), raw payload bytes."""

    def __init__(self, rec, payload: bytes):
        self.rec_type = rec.rec_type
        self.rec_headers = rec.rec_headers
        self.http_headers = rec.http_headers
        self.payload = payload  # as stored: content-encoded, de-chunked

    def header(self, name: str, default=None):
        return self.rec_headers.get_header(name, default)


def read_record(path, offset: int, length: int | None = None) -> Record:
    """The record whose gzip member starts at `offset` of `path`."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length) if length else None
        stream = io.BytesIO(data) if data is not None else fh
        rec = next(iter(ArchiveIterator(stream)))
        return Record(rec, rec.raw_stream.read())


def decoded_payload(record: Record) -> bytes:
    """The payload with its Content-Encoding (gzip, deflate, br) undone."""
    encoding = record.http_headers.get_header("Content-Encoding") if record.http_headers else None
    return decode_body(record.payload, encoding)


def decode_body(data: bytes, encoding: str | None) -> bytes:
    """A body as sent, with its Content-Encoding (gzip, deflate, br) undone."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        import gzip

        return gzip.decompress(data)
    if encoding == "deflate":
        import zlib

        try:
            return zlib.decompress(data)
        except zlib.error:
            return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    return data


def payload_at(warc_dir, location) -> Record | None:
    """read_record for a [file, offset, length] location under warc_dir (None if missing)."""
    if not location:
        return None
    name, offset, length = location
    path = Path(warc_dir) / name
    if not path.exists():
        return None
    return read_record(path, offset, length)
