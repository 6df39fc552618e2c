"""Running real crawls from tests: a subprocess per crawl, since Twisted's reactor cannot restart."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from crawler.runner import LOOPBACK_SETTINGS

REPO = Path(__file__).resolve().parents[1]


def run_dca_crawl(base_url: str, out_dir: Path, *extra_settings: str, site: str = "dca-sample",
                  env: dict | None = None, timeout: int = 600):
    """`dca crawl` against a loopback site; returns the finished process (output captured)."""
    settings = [f"{k}={v}" for k, v in LOOPBACK_SETTINGS.items()]
    settings += ["DCA_PROGRESS_INTERVAL=0", *extra_settings]
    command = [sys.executable, "-m", "crawler.cli", "crawl", base_url, "--out", str(out_dir), "--site", site]
    for setting in settings:
        command += ["-s", setting]
    environment = {**os.environ, **(env or {})}
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=environment)
    if result.returncode != 0:
        raise AssertionError(f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def connect(db_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(db_path)
    connection.row_factory = sqlite3.Row
    return connection


def last_crawl_stats(connection: sqlite3.Connection) -> dict:
    row = connection.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(row["stats"] or "{}")


def crawl_log_text(out_dir: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted((out_dir / "logs").glob("*.log")))
