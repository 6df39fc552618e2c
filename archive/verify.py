"""`dca verify`: re-read every WARC, check digests, and check the database against the records.

Faults (any makes `dca verify` exit non-zero):
- a record whose WARC-Block-Digest or WARC-Payload-Digest does not match its bytes;
- a damaged file: a gzip member that is not valid gzip, or a record whose block is
  not as long as it says, with more of the file after it; reported with the offset
  where the damage starts and the end of the last good record;
- a `captures` row whose record is missing or differs (file, offset, id, digest, type);
- a response/revisit record with no `captures` row (orphan record) and a row with
  no record (orphan row); rows of other tables pointing at a missing capture.

Not a fault: an interrupted write. A crawl killed while writing (kill -9, power
loss) leaves its last file with whole records up to an incomplete LAST gzip
member. The next run logs it and never appends to that file, so the file stays
readable up to that offset for good; verify lists it in its own section.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc import scan_members

HTTP_TYPES = ("response", "revisit", "request")


def _digest(data: bytes, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    h.update(data)
    return base64.b32encode(h.digest()).decode("ascii")


def _check(header: str | None, data: bytes) -> bool:
    if not header:
        return True
    algorithm, _, value = header.partition(":")
    algorithm = algorithm.lower().replace("-", "")
    try:
        return _digest(data, algorithm) == value.upper()
    except ValueError:  # unknown algorithm
        return True


@dataclass
class Report:
    files: int = 0
    records: int = 0
    faults: list[str] = field(default_factory=list)
    damaged: dict[str, int] = field(default_factory=dict)   # file -> last good offset
    interrupted: dict[str, tuple[int, int]] = field(default_factory=dict)  # file -> (readable up to, partial bytes)
    orphan_records: list[str] = field(default_factory=list)
    orphan_rows: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not (self.faults or self.orphan_records or self.orphan_rows)


class _Damage(Exception):
    """A member whose record is unreadable; args[0] is its offset."""


def verify_file(path: Path, report: Report, records: dict) -> None:
    """Check every record of one file; fill records[record_id] = (file, offset, type, payload digest, refers to)."""
    scan = scan_members(path)
    last_good = 0
    try:
        with open(path, "rb") as fh:
            for offset, length in scan.members:
                fh.seek(offset)
                _check_record(path.name, offset, fh.read(length), report, records)
                last_good = offset + length
    except _Damage as err:
        _damaged(path, report, err.args[0], last_good)
        return
    if scan.damaged:
        _damaged(path, report, scan.damaged_at, last_good)
    elif scan.partial:
        report.interrupted[path.name] = (scan.good_end, scan.partial_bytes)


def _check_record(name: str, offset: int, member: bytes, report: Report, records: dict) -> None:
    rec = next(iter(ArchiveIterator(io.BytesIO(member), no_record_parse=True)), None)
    if rec is None:
        raise _Damage(offset)
    block = rec.raw_stream.read()
    h = rec.rec_headers
    if int(h.get_header("Content-Length") or -1) != len(block):
        raise _Damage(offset)
    report.records += 1
    rid = h.get_header("WARC-Record-ID")
    if not _check(h.get_header("WARC-Block-Digest"), block):
        report.faults.append(f"{name}@{offset}: block digest mismatch ({rid})")
    if rec.rec_type in ("response", "request") and (h.get_header("Content-Type") or "").startswith("application/http"):
        payload = block.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in block else b""
        if not _check(h.get_header("WARC-Payload-Digest"), payload):
            report.faults.append(f"{name}@{offset}: payload digest mismatch ({rid})")
    records[rid] = (name, offset, rec.rec_type, h.get_header("WARC-Payload-Digest"), h.get_header("WARC-Refers-To"))


def _damaged(path: Path, report: Report, bad_at: int, last_good: int) -> None:
    report.damaged[path.name] = last_good
    report.faults.append(
        f"{path.name}: damaged at offset {bad_at}; last good record ends at offset {last_good}"
        f" (file size {path.stat().st_size})")


def verify(out_dir) -> Report:
    out_dir = Path(out_dir)
    warc_dir = out_dir / "warc"
    report = Report()
    records: dict[str, tuple] = {}
    for path in sorted(warc_dir.rglob("*.warc.gz")) if warc_dir.is_dir() else []:
        report.files += 1
        verify_file(path, report, records)
    for rid, (name, offset, kind, *_rest) in records.items():
        if kind == "revisit" and _rest[1] and _rest[1] not in records:
            report.faults.append(f"{name}@{offset}: revisit {rid} refers to {_rest[1]}, not in this archive")
    db_path = out_dir / "archive.sqlite"
    if not db_path.exists():
        return report
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT id, url, warc_file, warc_offset, warc_record_id, payload_digest, warc_type FROM captures").fetchall()
        report.rows = len(rows)
        seen = set()
        damaged = set(report.damaged)
        for cid, url, name, offset, rid, digest, kind in rows:
            seen.add(rid)
            found = records.get(rid)
            if found is None:
                why = (" (its file is damaged)" if name in damaged
                       else " (its file was interrupted while writing)" if name in report.interrupted else "")
                report.orphan_rows.append(f"captures.id={cid} {url}: record {rid} not in {name}@{offset}{why}")
                continue
            if (found[0], found[1], found[2]) != (name, offset, kind) or (digest and found[3] != digest):
                report.faults.append(
                    f"captures.id={cid} {url}: row says {name}@{offset} {kind} {digest},"
                    f" record is {found[0]}@{found[1]} {found[2]} {found[3]}")
        for rid, (name, offset, kind, *_rest) in records.items():
            if kind in ("response", "revisit") and rid not in seen:
                report.orphan_records.append(f"{name}@{offset}: {kind} {rid} has no captures row")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in ("articles", "images", "comments", "article_versions"):
            if table not in tables:
                continue
            for (n,) in conn.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.capture_id IS NOT NULL AND NOT EXISTS"
                    f" (SELECT 1 FROM captures c WHERE c.id = t.capture_id)"):
                if n:
                    report.orphan_rows.append(f"{table}: {n} row(s) point at a missing capture")
    finally:
        conn.close()
    return report


def format_report(report: Report, limit: int = 50) -> str:
    summary = f"{report.files} WARC file(s), {report.records} record(s), {report.rows} captures row(s)"
    if report.interrupted:
        summary += f", {len(report.interrupted)} interrupted write(s)"
    lines = [summary]
    interrupted = [f"{name}: readable up to offset {end}, {partial} bytes of partial record"
                   f" (a crawl was killed while writing it; no crawl appends to this file)"
                   for name, (end, partial) in sorted(report.interrupted.items())]
    for title, items in (("faults", report.faults), ("records without a captures row", report.orphan_records),
                         ("rows without a record", report.orphan_rows),
                         ("interrupted writes (not faults)", interrupted)):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines += [f"  {x}" for x in items[:limit]]
            if len(items) > limit:
                lines.append(f"  ... and {len(items) - limit} more")
    lines.append("OK" if report.ok else "FAULTS FOUND")
    return "\n".join(lines)
