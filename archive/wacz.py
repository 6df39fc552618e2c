"""`dca export wacz --out FILE.wacz`: the archive as one WACZ package (py-wacz).

The `wacz` tool finds no pages by itself in our WARCs, so we write pages.jsonl
from the database (one line per article: url, ts, title), streaming rows from
SQLite into a temporary file, and pass it with `-p ... --copy-pages` so that
the tool copies the file into the package as is instead of reading it into a
list. The WARC files themselves are streamed into the zip by the tool. (py-wacz
0.6 keeps the CDX index it builds in memory: about 300 bytes per record.)
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}


class WaczError(RuntimeError):
    pass


REPO_ROOT = Path(__file__).resolve().parents[1]


def wacz_tool() -> list[str]:
    # Through archive.warcio_compat: the tool decodes br payloads with warcio.
    return [sys.executable, "-m", "archive.warcio_compat", "wacz"]


def write_pages(db_path: Path, out) -> int:
    """pages.jsonl lines for every article (its capture's URL and WARC-Date); return the count."""
    out.write(json.dumps(PAGES_HEADER) + "\n")
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    n = 0
    try:
        rows = conn.execute(
            "SELECT c.url, c.fetched_at, a.title FROM articles a JOIN captures c ON c.id = a.capture_id"
            " ORDER BY c.fetched_at, c.url")
        for url, ts, title in rows:  # the cursor streams: one row at a time
            out.write(json.dumps({"url": url, "ts": ts, "title": title}, ensure_ascii=False) + "\n")
            n += 1
    finally:
        conn.close()
    return n


def export_wacz(out_dir, out_file) -> Path:
    """Package DIR/warc/*.warc.gz and the articles of DIR/archive.sqlite as out_file (a .wacz)."""
    out_dir, out_file = Path(out_dir), Path(out_file)
    warcs = sorted(str(p) for p in (out_dir / "warc").rglob("*.warc.gz"))
    if not warcs:
        raise WaczError(f"no WARC files in {out_dir / 'warc'}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dca-wacz-") as tmp:
        pages = Path(tmp) / "pages.jsonl"
        with open(pages, "w", encoding="utf-8") as fh:
            write_pages(out_dir / "archive.sqlite", fh)
        partial = out_file.with_name(out_file.name + ".partial")
        cmd = [*wacz_tool(), "create", "-o", str(partial), "-p", str(pages), "--copy-pages",
               "--title", f"dca archive of {out_dir.resolve().name}", *warcs]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
        if proc.returncode != 0 or not partial.exists():
            partial.unlink(missing_ok=True)
            raise WaczError(f"wacz create failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        partial.replace(out_file)
    return out_file


def validate_wacz(path) -> tuple[bool, str]:
    proc = subprocess.run([*wacz_tool(), "validate", "-f", str(path)], capture_output=True, text=True,
                          cwd=REPO_ROOT)
    return proc.returncode == 0, proc.stdout + proc.stderr
