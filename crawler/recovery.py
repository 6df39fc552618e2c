"""Before a run: finish the bookkeeping of a run that died (kill -9, power loss, OOM).

What a dead run leaves, and what happens to it here:

- its `crawls` row still says `running` (the run lock proves it is not): it
  becomes `interrupted`;
- its last WARC file may end in a partial record: logged and counted
  (`recovery/partial_records`); the file is left as it is, readable up to its
  last whole record, and never appended to (archive/warc.py opens new files only);
- whole records it wrote but whose `captures` rows were still in the store's
  buffer: the rows are added (with the dead run's crawl id), so the database
  again describes every record of the archive and the resumed run's
  deduplication and conditional GET can use them.

Articles whose items were lost with the buffer are not in `articles`, so the
incremental middleware sees them as unknown and the resumed run fetches them.
SQLite in WAL mode keeps the database itself consistent: a batch is one
transaction, committed whole or not at all.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc import scan_members

logger = logging.getLogger(__name__)

CAPTURE_TYPES = ("response", "revisit")


def recover(out_dir, db_path=None) -> dict:
    """Recover from interrupted runs of this output directory; return counts for the new run's stats."""
    out_dir = Path(out_dir)
    db_path = Path(db_path or out_dir / "archive.sqlite")
    if not db_path.exists():
        return {}
    from pipelines.store import Store, to_json, utc_now

    counts = {"interrupted_runs": 0, "partial_records": 0, "partial_bytes": 0, "captures_restored": 0}
    store = Store(db_path)
    try:
        dead = store.db.execute("SELECT id, started_at FROM crawls WHERE status = 'running' ORDER BY id").fetchall()
        if not dead:
            return {}
        counts["interrupted_runs"] = len(dead)
        since = min(_when(started) for _, started in dead) - timedelta(minutes=1)
        store.crawl_id = dead[-1][0]
        for path in files_written_since(out_dir / "warc", since):
            restore_file(store, path, counts)
        store.flush()
        for crawl_id, _ in dead:
            with store.db.atomic():
                store.db.execute(
                    "UPDATE crawls SET status = 'interrupted', finished_at = coalesce(finished_at, ?), "
                    "stats = coalesce(stats, ?) WHERE id = ?", [utc_now(), to_json({"recovery": counts}), crawl_id])
        logger.warning("recovered from %d interrupted run(s) (crawls %s): %d partial trailing record(s), "
                       "%d captures row(s) restored", len(dead), ", ".join(str(i) for i, _ in dead),
                       counts["partial_records"], counts["captures_restored"])
    finally:
        store.close()
    return counts


def files_written_since(warc_dir: Path, since: datetime) -> list[Path]:
    if not warc_dir.is_dir():
        return []
    stamp = since.timestamp()
    return sorted(p for p in warc_dir.glob("*.warc.gz") if p.stat().st_mtime >= stamp)


def restore_file(store, path: Path, counts: dict) -> None:
    from archive.rebuild import capture_of

    tail = scan_members(path)
    if tail.partial:
        counts["partial_records"] += 1
        counts["partial_bytes"] += tail.partial_bytes
        logger.warning("%s: partial trailing record (%d bytes after offset %d) left by an interrupted run;"
                       " records before it are whole, and no run appends to this file",
                       path.name, tail.partial_bytes, tail.good_end)
    elif tail.damaged:
        # Not what a crash leaves: something else damaged the file. Its whole records up to there are used.
        counts["damaged_files"] = counts.get("damaged_files", 0) + 1
        logger.error("%s: damaged at offset %d (not a partial trailing record); records before it are used,"
                     " see `dca verify`", path.name, tail.damaged_at)
    known = {row[0] for row in store.db.execute(
        "SELECT warc_record_id FROM captures WHERE warc_file = ?", [path.name])}
    with open(path, "rb") as fh:
        for offset, length in tail.members:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(io.BytesIO(fh.read(length)))), None)
            if record is None or record.rec_type not in CAPTURE_TYPES:
                continue
            if record.rec_headers.get_header("WARC-Record-ID") in known:
                continue
            store.add_capture(capture_of(record, path.name, offset, length))
            counts["captures_restored"] += 1


def _when(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return datetime.fromtimestamp(0, timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
