"""Sorted CDXJ index of DIR/warc, written to DIR/index.cdxj.

`build_index` (what `dca index` runs) indexes every WARC; `update_index` (run at
the end of each crawl) merges the index lines of new files into the existing
sorted index, streaming, so the index stays current without re-reading the
whole archive. A WARC that cdxj-indexer cannot read to its end (e.g. cut by a
crash) gets a warning, and its whole records before the damage are indexed, so
they stay replayable; `dca verify` reports the file.

During a crawl, `LiveIndex` makes the lines of the records as the WARC writer
writes them (on its thread), so the end of the crawl only sorts and merges
them instead of reading and decompressing every new file again.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import tempfile
from io import BytesIO
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer, SortingWriter
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders

from archive.warc import ends_cleanly

logger = logging.getLogger(__name__)


def _warc_files(warc_dir: Path) -> list[str]:
    return sorted(str(p) for p in warc_dir.rglob("*.warc.gz")) if warc_dir.is_dir() else []


def _index_files(inputs: list[str], output: Path, warc_dir: Path) -> list[str]:
    """Index inputs into output (sorted); return the inputs indexed only up to their damage or cut."""
    bad = _index_readable(inputs, output, warc_dir)
    bad += _cut_files(output, [p for p in inputs if p not in bad], warc_dir)
    if bad:
        _drop_lines(output, {os.path.relpath(p, warc_dir) for p in bad})
        with tempfile.TemporaryDirectory() as tmp:
            parts = [part for part in (_index_whole_records(p, warc_dir, Path(tmp)) for p in bad) if part]
            if parts:
                _merge_into(output, parts)
    return bad


def _index_readable(inputs: list[str], output: Path, warc_dir: Path) -> list[str]:
    """cdxj-indexer over the inputs; return those it could not read (the rest are indexed)."""
    if not inputs:
        output.write_text("")
        return []
    try:
        # sort=True is the API form of `cdxj-indexer -s` (unsorted otherwise).
        CDXJIndexer(str(output), inputs, sort=True, dir_root=str(warc_dir)).process_all()
        return []
    except Exception:
        bad = inputs if len(inputs) == 1 else [p for p in inputs if not _indexable(p, warc_dir)]
    _index_readable([p for p in inputs if p not in bad], output, warc_dir)
    return bad


def _cut_files(output: Path, paths: list[str], warc_dir: Path) -> list[str]:
    """The files whose last record is cut short (warcio may read one quietly to the end of the file).

    Only the members from each file's last indexed record on are decompressed again."""
    last: dict[str, int] = {}
    with open(output, encoding="utf-8") as lines:
        for line in lines:
            fields = json.loads(line.split(" ", 2)[2])
            name = fields.get("filename")
            last[name] = max(last.get(name, 0), int(fields.get("offset", 0)))
    return [p for p in paths if not ends_cleanly(p, last.get(os.path.relpath(p, warc_dir), 0))]


def _drop_lines(output: Path, names: set[str]) -> None:
    tmp = output.with_name(output.name + ".drop")
    with open(output, encoding="utf-8") as source, open(tmp, "w", encoding="utf-8") as kept:
        kept.writelines(line for line in source if _filename(line) not in names)
    os.replace(tmp, output)


def _indexable(path: str, warc_dir: Path) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            CDXJIndexer(str(Path(tmp) / "probe.cdxj"), [path], sort=True, dir_root=str(warc_dir)).process_all()
        except Exception:
            return False
    return True


def _index_whole_records(path: str, warc_dir: Path, tmp: Path) -> Path | None:
    """The index lines of a damaged file's whole records before the damage, or None.

    A crash-cut file's records stay replayable. A copy of just those bytes is
    indexed under the same relative name, so filenames and offsets are the
    original file's.
    """
    from archive.warc import scan_members

    scan = scan_members(path)
    if not scan.members:
        return None
    relative = os.path.relpath(path, warc_dir)
    prefix = tmp / relative
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "rb") as source, open(prefix, "wb") as copy:
        remaining = scan.good_end
        while remaining:
            chunk = source.read(min(remaining, 1 << 20))
            if not chunk:
                break
            copy.write(chunk)
            remaining -= len(chunk)
    part = tmp / (relative + ".cdxj")
    try:
        CDXJIndexer(str(part), [str(prefix)], sort=True, dir_root=str(tmp)).process_all()
    except Exception:
        logger.exception("the whole records of %s could not be indexed either", path)
        return None
    return part


def build_index(out_dir, index_path=None) -> Path:
    """Index every WARC under DIR/warc into a sorted CDXJ file; return its path.

    cdxj-indexer streams the WARCs and sorts in bounded memory (it spills to
    temporary files past 32 MB). Filenames in the index are relative to
    DIR/warc, which is what pywb's archive_paths resolves against. The index is
    written to a temporary name first so a reader never sees half of it.
    """
    out_dir = Path(out_dir)
    warc_dir = out_dir / "warc"
    index_path = Path(index_path) if index_path else out_dir / "index.cdxj"
    tmp = index_path.with_name(index_path.name + ".tmp")
    bad = _index_files(_warc_files(warc_dir), tmp, warc_dir)
    for path in bad:
        logger.warning("indexed only up to its damage or cut (see `dca verify`): %s", path)
    os.replace(tmp, index_path)
    return index_path


def _filename(line: str) -> str | None:
    marker = '"filename": "'
    start = line.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return line[start:line.index('"', start)]


class _At:
    """Stands in for warcio's ArchiveIterator: where the record just written lies in its file."""

    def __init__(self, offset: int, length: int):
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


class LiveIndex:
    """The CDXJ lines of the records of one crawl, made as the records are written.

    The lines are cdxj-indexer's own: its field logic (`CDXJIndexer.process_index_entry`:
    SURT key, timestamp, url, mime, status, digest, length, offset, filename) runs over a
    record rebuilt from what the writer already holds (the WARC headers it wrote and the
    HTTP head bytes), parsed by warcio's record loader exactly as when reading the file,
    so nothing is read back or decompressed. Lines are kept by cdxj-indexer's
    SortingWriter (bounded memory: it spills sorted runs to temporary files).

    `add` runs in the WARC writer's process (archive/capture_process.py), as each record is
    written; `write_sorted` when its files are closed.
    A file with a record that could not be indexed here is left to cdxj-indexer.
    """

    def __init__(self, warc_dir):
        self.warc_dir = Path(warc_dir)
        self._indexer = CDXJIndexer(None, [], dir_root=str(self.warc_dir))
        self._loader = ArcWarcRecordLoader(verify_http=False)
        self._lines = SortingWriter(None)
        self._named = None  # the file whose name cdxj-indexer's lines carry now
        self.files: set[str] = set()
        self.incomplete: set[str] = set()

    def add(self, filename: str, offset: int, length: int, warc_headers: list[tuple[str, str]],
            http_head: bytes | None, block_length: int) -> bool:
        """Index one record: its file (name under warc_dir), where it lies, its WARC headers
        (as written) and the HTTP head that opens its block. True when a line was made."""
        self.files.add(filename)
        try:
            record = self._record(warc_headers, http_head, block_length)
            if self._indexer.filter_record(record):
                if filename != self._named:  # resolved once per file, not per record
                    self._indexer.curr_filename = self._indexer._resolve_rel_path(str(self.warc_dir / filename))
                    self._named = filename
                self._indexer.process_index_entry(_At(offset, length), record, filename, self._lines)
                return True
        except Exception:
            logger.exception("index line not made for a record of %s; the file is indexed at the end", filename)
            self.incomplete.add(filename)
        return False

    def _record(self, warc_headers, http_head, block_length) -> ArcWarcRecord:
        rec_headers = StatusAndHeaders("WARC/1.1", list(warc_headers), protocol="")
        rec_type = rec_headers.get_header("WARC-Type")
        uri = self._loader._ensure_target_uri_format(rec_headers)
        http_headers = None
        if http_head is not None:
            http_headers = self._loader.load_http_headers(rec_type, uri, BytesIO(http_head), block_length)
        content_type = rec_headers.get_header("Content-Type")
        return ArcWarcRecord("warc", rec_type, rec_headers, BytesIO(b""), http_headers, content_type, block_length)

    @property
    def complete_files(self) -> set[str]:
        return self.files - self.incomplete

    def write_sorted(self, path: Path) -> None:
        """The lines of the complete files, sorted and deduplicated as `cdxj-indexer -s` writes them."""
        markers = {f'"filename": {json.dumps(name)}' for name in self.incomplete}
        with open(path, "w", encoding="utf-8") as out:
            self._lines.out = _Dropping(out, markers) if markers else out
            self._lines.flush()


class _Dropping:
    """A text sink that leaves out the lines of files that will be indexed from disk instead."""

    def __init__(self, out, markers: set[str]):
        self.out, self.markers = out, markers

    def write(self, line: str) -> None:
        if not any(m in line for m in self.markers):
            self.out.write(line)

    def flush(self) -> None:
        self.out.flush()


def update_index(out_dir, new_files, live: LiveIndex | None = None) -> Path:
    """Merge the index lines of new_files (names under DIR/warc) into DIR/index.cdxj.

    Lines of files `live` indexed as they were written come from it; files found on
    disk that the index does not mention (a crawl that died before it could update the
    index) and files `live` does not fully cover are indexed with cdxj-indexer.
    """
    out_dir = Path(out_dir)
    warc_dir = out_dir / "warc"
    index_path = out_dir / "index.cdxj"
    known = set()
    if index_path.exists():
        with open(index_path, encoding="utf-8") as fh:
            for line in fh:
                name = _filename(line)
                if name:
                    known.add(name)
    elif live is None:
        return build_index(out_dir)
    new = {str(warc_dir / n) for n in new_files}
    new |= set(_warc_files(warc_dir))
    new = {p for p in new if os.path.relpath(p, warc_dir) not in known}
    from_live = {p for p in new if live is not None and os.path.relpath(p, warc_dir) in live.complete_files}
    from_disk = sorted(new - from_live)
    if not new:
        return index_path
    parts = []
    if from_disk:
        part = index_path.with_name(index_path.name + ".new")
        for path in _index_files(from_disk, part, warc_dir):
            logger.warning("indexed only up to its damage or cut (see `dca verify`): %s", path)
        parts.append(part)
    if from_live:
        part = index_path.with_name(index_path.name + ".live")
        live.write_sorted(part)
        parts.append(part)
    _merge_into(index_path, parts)
    for part in parts:
        part.unlink()
    return index_path


def _merge_into(index_path: Path, parts: list[Path]) -> None:
    """Merge sorted index files into the sorted index at index_path (streaming; replaced atomically)."""
    tmp = index_path.with_name(index_path.name + ".tmp")
    old = open(index_path, encoding="utf-8") if index_path.exists() else None
    added = [open(p, encoding="utf-8") for p in parts]
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.writelines(heapq.merge(*([old] if old else []), *added))
    finally:
        for fh in added + ([old] if old else []):
            fh.close()
    os.replace(tmp, index_path)
