"""Which earlier record holds this payload: the lookup behind identical-payload-digest revisits.

Only records of the same archive set count: the set is the WARC directory
(DIR/warc) and its database (DIR/archive.sqlite, or DCA_DB_PATH), and a record is
used only when its WARC file is in that directory. Records written by this
crawl are remembered in memory (the store writes captures in batches), bounded;
older ones are looked up in the `captures` table, by URL and payload digest. When the
archive held no captures as the crawl began and memory has forgotten nothing, memory
knows every possible original and the table is not asked.
Deduplication is per URL: the same bytes at another URL are written again,
which keeps every revisit resolvable by replay tools from its own URL.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

logger = logging.getLogger(__name__)


def original_of(capture_row: dict) -> dict:
    return {
        "refers_to": capture_row["warc_record_id"],
        "refers_to_uri": capture_row["url"],
        "refers_to_date": capture_row["fetched_at"],
        "payload_digest": capture_row["payload_digest"],
        "location": [capture_row["warc_file"], capture_row["warc_offset"], capture_row["warc_length"]],
    }


def open_readonly(db_path: Path) -> sqlite3.Connection | None:
    if not db_path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        columns = {r[1] for r in conn.execute("PRAGMA table_info(captures)")}
    except sqlite3.Error:
        return None
    if not {"payload_digest", "warc_type", "warc_file"} <= columns:
        conn.close()
        return None
    return conn


class DedupIndex:
    def __init__(self, warc_dir, db_path, memory: int = 50_000):
        self.warc_dir = Path(warc_dir)
        self.db_path = Path(db_path)
        self.memory = memory
        self.recent: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.forgot = False  # memory dropped a record of this crawl: the table must be asked
        conn = self._conn()
        self.earlier_captures = conn is not None and conn.execute("SELECT 1 FROM captures LIMIT 1").fetchone() is not None

    def _conn(self):
        if self._db is None:
            self._db = open_readonly(self.db_path)
        return self._db

    def in_set(self, location) -> bool:
        return bool(location and location[0] and (self.warc_dir / location[0]).is_file())

    def find(self, url: str, digest: str) -> dict | None:
        with self._lock:
            hit = self.recent.get((url, digest))
        if hit is not None or not (self.earlier_captures or self.forgot):
            return hit
        conn = self._conn()
        if conn is None:
            return None
        try:
            rows = conn.execute(
                "SELECT warc_record_id, url, fetched_at, payload_digest, warc_file, warc_offset, warc_length"
                " FROM captures WHERE url = ? AND payload_digest = ? AND warc_type = 'response'"
                " ORDER BY fetched_at", (url, digest)).fetchall()
        except sqlite3.Error:
            logger.exception("dedup lookup failed for %s", url)
            return None
        for row in rows:
            found = original_of(dict(row))
            if self.in_set(found["location"]):
                return found
        return None

    def remember(self, capture: dict) -> None:
        with self._lock:
            self.recent[(capture["url"], capture["payload_digest"])] = original_of(capture)
            while len(self.recent) > self.memory:
                self.recent.popitem(last=False)
                self.forgot = True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
