"""Sorted CDXJ index of DIR/warc, written to DIR/index.cdxj.

`build_index` (what `dca index` runs) indexes every WARC; `update_index` (run at
the end of each crawl) merges the index lines of new files into the existing
sorted index, streaming, so the index stays current without re-reading the
whole archive. A damaged WARC (e.g. truncated by a crash) is left out with a
warning instead of failing the whole index; `dca verify` reports it.
"""

from __future__ import annotations

import heapq
import logging
import os
import tempfile
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

logger = logging.getLogger(__name__)


def _warc_files(warc_dir: Path) -> list[str]:
    return sorted(str(p) for p in warc_dir.rglob("*.warc.gz")) if warc_dir.is_dir() else []


def _index_files(inputs: list[str], output: Path, warc_dir: Path) -> list[str]:
    """Index inputs into output (sorted); return the inputs that could not be indexed."""
    if not inputs:
        output.write_text("")
        return []
    try:
        # sort=True is the API form of `cdxj-indexer -s` (unsorted otherwise).
        CDXJIndexer(str(output), inputs, sort=True, dir_root=str(warc_dir)).process_all()
        return []
    except Exception:
        if len(inputs) == 1:
            return inputs
    bad = []
    for path in inputs:  # find the damaged file(s), index the rest
        with tempfile.TemporaryDirectory() as tmp:
            try:
                CDXJIndexer(str(Path(tmp) / "probe.cdxj"), [path], sort=True, dir_root=str(warc_dir)).process_all()
            except Exception:
                bad.append(path)
    good = [p for p in inputs if p not in bad]
    _index_files(good, output, warc_dir)
    return bad


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
        logger.warning("not indexed (damaged WARC; see `dca verify`): %s", path)
    os.replace(tmp, index_path)
    return index_path


def _filename(line: str) -> str | None:
    marker = '"filename": "'
    start = line.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return line[start:line.index('"', start)]


def update_index(out_dir, new_files) -> Path:
    """Merge the index lines of new_files (names under DIR/warc) into DIR/index.cdxj.

    Files found on disk that the index does not mention (a crawl that died
    before it could update the index) are indexed too.
    """
    out_dir = Path(out_dir)
    warc_dir = out_dir / "warc"
    index_path = out_dir / "index.cdxj"
    if not index_path.exists():
        return build_index(out_dir)
    known = set()
    with open(index_path, encoding="utf-8") as fh:
        for line in fh:
            name = _filename(line)
            if name:
                known.add(name)
    new = {str(warc_dir / n) for n in new_files}
    new |= {p for p in _warc_files(warc_dir) if os.path.relpath(p, warc_dir) not in known}
    new = sorted(p for p in new if os.path.relpath(p, warc_dir) not in known)
    if not new:
        return index_path
    part = index_path.with_name(index_path.name + ".new")
    tmp = index_path.with_name(index_path.name + ".tmp")
    for path in _index_files(new, part, warc_dir):
        logger.warning("not indexed (damaged WARC; see `dca verify`): %s", path)
    with open(index_path, encoding="utf-8") as old, open(part, encoding="utf-8") as added, \
            open(tmp, "w", encoding="utf-8") as out:
        out.writelines(heapq.merge(old, added))
    os.replace(tmp, index_path)
    part.unlink()
    return index_path
