"""Sorted CDXJ index of DIR/warc, written to DIR/index.cdxj."""

from __future__ import annotations

import os
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer


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
    inputs = sorted(str(p) for p in warc_dir.rglob("*.warc.gz")) if warc_dir.is_dir() else []
    if inputs:
        # sort=True is the API form of `cdxj-indexer -s` (unsorted otherwise).
        CDXJIndexer(str(tmp), inputs, sort=True, dir_root=str(warc_dir)).process_all()
    else:
        tmp.write_text("")
    os.replace(tmp, index_path)
    return index_path
