"""What an output directory holds: counts from the database, files from the WARC directory."""

import sqlite3
from pathlib import Path

COUNTS = {
    "responses archived": "SELECT count(*) FROM captures",
    "articles": "SELECT count(*) FROM articles",
    "authors": "SELECT count(*) FROM authors",
    "comments": "SELECT count(*) FROM comments",
    "images": "SELECT count(*) FROM images",
    "images with credits": "SELECT count(*) FROM images WHERE credit IS NOT NULL AND credit != ''",
    "promo links": "SELECT count(*) FROM links",
}


def database_path(out_dir: Path) -> Path:
    return out_dir / "archive.sqlite"


def warc_dir(out_dir: Path) -> Path:
    return out_dir / "warc"


def database_counts(db_path: Path) -> dict:
    if not db_path.exists():
        return {}
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {name: connection.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    finally:
        connection.close()


def warc_files(out_dir: Path) -> list[Path]:
    return sorted(warc_dir(out_dir).glob("*.warc.gz"))


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
