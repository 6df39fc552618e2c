"""The WARC writer's own process: records are built, digested, gzipped, written and indexed there.

On a thread of the crawl's process these steps held the GIL for about a fifth of a
crawl, and the reactor's thread, which lets go of the GIL at every socket call,
waited to get it back each time. Here the crawl sends each exchange (its bytes as
received) over a socket (crawler/worker_process.py) and gets its capture back. One
process writes in the order the exchanges were sent, so a request and its response
stay side by side and a file is rotated only between exchanges.

A process holds one `Archive`, made by `open_archive` (the process's initializer)
from an `ArchiveConfig`. Every call answers `(result, stats, log)`: the stats it moved
and the log lines it made, which the crawl counts and logs as its own, so nothing the
writer says is lost to a stderr nobody reads.

When the crawl's process dies, this one reads the end of its socket, closes the
open file after the last whole exchange it was sent, and exits without touching the
index: as after a crash, the next crawl's recovery finds what the dead run left.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path

from archive.dedup import DedupIndex
from archive.index import LiveIndex, update_index
from archive.metadata import summary_fields
from archive.warc import RawHeaders, WarcWriter, payload_digest

logger = logging.getLogger(__name__)


@dataclass
class ArchiveConfig:
    warc_dir: str
    prefix: str
    max_size: int
    warcinfo_fields: dict
    dedup_db: str | None = None      # the database whose captures are looked up for revisits (None: no dedup)
    index: bool = True               # keep the CDXJ lines as records are written (archive/index.py)
    archive_class: type | None = None  # a subclass of Archive (tests use one to fail like a full disk)


class Archive:
    """One crawl's WARC files: the writer, its dedup index and its live CDXJ lines."""

    def __init__(self, config: ArchiveConfig):
        self.warc_dir = Path(config.warc_dir)
        self.writer = WarcWriter(self.warc_dir, prefix=config.prefix, max_size=config.max_size,
                                 warcinfo_fields=config.warcinfo_fields)
        self.dedup = DedupIndex(self.warc_dir, Path(config.dedup_db)) if config.dedup_db else None
        self.live_index = LiveIndex(self.warc_dir) if config.index else None
        self.stats: collections.Counter = collections.Counter()

    def write_exchange(self, url: str, conditional: dict | None, exchange: dict) -> dict:
        """Write one request/response pair (or response/revisit); return its capture."""
        before = self._size()
        revisit = self._revisit_of(url, conditional, exchange)
        capture = self.writer.write_exchange(url, revisit=revisit, **exchange)
        if self.live_index is not None:
            self._index(capture, exchange)
        status, body = exchange["status"], exchange["response_body"]
        if revisit:
            capture["refers_to_location"] = revisit.get("location")
        elif self.dedup and capture["payload_digest"] and 200 <= status < 300 and body:
            self.dedup.remember(capture)
        self._count_growth(before)
        return capture

    def _size(self) -> tuple[int, int, int]:
        return len(self.writer.files), self.writer.records, self.writer.bytes_written

    def _count_growth(self, before: tuple[int, int, int]) -> None:
        for key, was, now in zip(("files", "records", "bytes"), before, self._size()):
            self.stats[key] += now - was

    def _revisit_of(self, url: str, conditional: dict | None, exchange: dict) -> dict | None:
        status, body = exchange["status"], exchange["response_body"]
        if status == 304 and conditional:
            # Our conditional GET was answered "not modified": the payload is the original's.
            self.stats["revisits/server-not-modified"] += 1
            return dict(conditional, profile="server-not-modified")
        if 200 <= status < 300 and body and self.dedup:
            digest = payload_digest(body)
            exchange["payload_digest"] = digest
            original = self.dedup.find(url, digest)
            if original is not None:
                self.stats["revisits/identical-payload-digest"] += 1
                return dict(original, profile="identical-payload-digest")
        return None

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
            self.stats["index_lines"] += 1

    def write_metadata(self, summary: dict, capture: dict, outcome: str, outlinks) -> None:
        """The metadata record of an article: its outlinks and what extraction made of it."""
        try:
            before = self._size()
            fields = summary_fields(self.warc_dir, summary, capture, outcome, outlinks)
            self.writer.write_metadata(capture["url"], capture["warc_record_id"], fields)
            self.stats["metadata_records"] += 1
            self._count_growth(before)
        except Exception:
            logger.exception("metadata record not written for %s", capture.get("url"))

    def close(self, out_dir: str | None) -> list[str]:
        """Close the files and merge this crawl's lines into DIR/index.cdxj; the files written."""
        if self.dedup is not None:
            self.dedup.close()
        files = list(self.writer.files)
        self.writer.close()
        if files and self.live_index is not None and out_dir:
            try:
                update_index(out_dir, files, live=self.live_index)
            except Exception:
                logger.exception("CDXJ index not updated; run `dca index` to rebuild it")
        return files

    def abandon(self) -> None:
        """The crawl's process is gone: the file ends after the last whole exchange."""
        self.writer.close()


# -- the process's side of the calls ----------------------------------------------------

_archive: Archive | None = None
_log: list[tuple[str, int, str]] = []


class _Keeping(logging.Handler):
    """Keeps this process's log lines for the answer of the call that made them."""

    def emit(self, record: logging.LogRecord) -> None:
        _log.append((record.name, record.levelno, self.format(record)))


def open_archive(config: ArchiveConfig) -> None:
    global _archive
    handler = _Keeping(logging.INFO)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    _archive = (config.archive_class or Archive)(config)


def _answer(result):
    stats, log = dict(_archive.stats), list(_log)
    _archive.stats.clear()
    _log.clear()
    return result, stats, log


def write_exchange(url: str, conditional: dict | None, exchange: dict):
    return _answer(_archive.write_exchange(url, conditional, exchange))


def write_metadata(summary: dict, capture: dict, outcome: str, outlinks):
    return _answer(_archive.write_metadata(summary, capture, outcome, outlinks))


def close_archive(out_dir: str | None):
    return _answer(_archive.close(out_dir))


def socket_closed() -> None:
    """The socket ended without close_archive: the crawl's process died."""
    if _archive is not None:
        _archive.abandon()


def crash_in_write(n: int) -> None:
    """For tests (crawler/extensions.py CrashPoints, `warc-write:N`): in the Nth record written
    from now, half of it reaches the file, and the crawl and this process are SIGKILLed."""
    writer = _archive.writer
    original = writer._write
    seen = 0

    def write(record):
        nonlocal seen
        offset, length = original(record)
        seen += 1
        if seen == n:
            writer._file.flush()
            os.truncate(writer._file.name, offset + length // 2)
            os.kill(os.getppid(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)
        return offset, length

    writer._write = write
