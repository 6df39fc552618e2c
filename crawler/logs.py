"""Crawl logs: one file per output directory, DIR/logs/crawl.log, rotated by size.

An unattended crawl runs for months; one log file per run would pile up and one
growing file would fill the disk. `RotatingFileHandler` keeps `crawl.log` under
DCA_LOG_MAX_BYTES and the last DCA_LOG_BACKUPS older files (crawl.log.1, ...).
Every run starts with a line naming itself, so its part of the file is easy to find.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "crawl.log"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 10


def log_path(out_dir) -> Path:
    return Path(out_dir) / "logs" / LOG_NAME


def install_log_file(out_dir, settings) -> logging.Handler:
    """Send the root logger (Scrapy's and ours) to DIR/logs/crawl.log with rotation; return the handler."""
    path = log_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=settings.getint("DCA_LOG_MAX_BYTES", DEFAULT_MAX_BYTES),
        backupCount=settings.getint("DCA_LOG_BACKUPS", DEFAULT_BACKUPS), encoding="utf-8")
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL") or "INFO")
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, handler.level))
    return handler


def remove_log_file(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()
