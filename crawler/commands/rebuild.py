"""`dca rebuild --warc DIR --db PATH`: the database made again from the WARC files (archive/rebuild.py)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

import click


def _setup_logging(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


@click.command("rebuild")
@click.option("--warc", "warc_dir", type=click.Path(path_type=Path), default=Path("out") / "warc",
              show_default=True, help="Directory of WARC files (searched recursively).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None,
              help="Database to (re)create [default: archive.sqlite beside the WARC directory].")
@click.option("--site", default="", help="Site profile id for every record (default: each file's warcinfo says).")
@click.option("--workers", type=int, default=None,
              help="Extraction processes (default: one per CPU; 0 extracts in this process).")
def rebuild_command(warc_dir, db_path, site, workers):
    """Rebuild the database from the WARC files alone, with the crawl's own extraction and pipelines.

    Every response and revisit record becomes a captures row; pages go
    through the same decisions, extractor and normalize/validate/store
    pipelines as in a crawl, so the result equals the crawl's database (crawl
    bookkeeping aside), and a parser fix reaches every old capture. The new
    database replaces PATH only when complete; the crawls rows of an existing
    PATH are kept. Running it twice gives the same database.

    A damaged record is reported with its file and offset, counted and
    skipped; the exit status is then 1. A file cut in its last record by a
    crash (kill -9 while writing) is reported as an interrupted write and
    does not change the exit status.

    \b
    Example:
        dca rebuild --warc out/warc --db out/archive.sqlite
    """
    from archive.rebuild import RebuildError, Rebuilder

    db_path = db_path or warc_dir.parent / "archive.sqlite"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_file = db_path.parent / "logs" / f"rebuild-{stamp}.log"
    progress = _progress() if sys.stderr.isatty() else None
    try:
        _setup_logging(log_file)
        rebuilder = Rebuilder(warc_dir, db_path, site=site or None, workers=workers,
                              progress=progress.update if progress else None)
        if progress:
            with progress:
                report = rebuilder.run()
        else:
            report = rebuilder.run()
    except RebuildError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyError as exc:
        raise click.ClickException(f"unknown site profile {exc}") from None
    _summary(report, db_path, log_file)
    if report.damaged:
        raise click.ClickException(f"{report.damaged_records} damaged record(s) skipped; the rest is rebuilt")


class _Bar:
    """A rich progress bar over the bytes of the WARC files, with pages and articles counted."""

    def __init__(self):
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.progress = Progress(
            TextColumn("rebuilding"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), transient=True)
        self.task = self.progress.add_task("rebuild", total=None, counts="")

    def update(self, done, total, report):
        self.progress.update(self.task, completed=done, total=total,
                             counts=f"{report.pages} pages, {report.items} articles")

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)


def _progress():
    return _Bar()


def _summary(report, db_path: Path, log_file: Path) -> None:
    echo = click.echo
    echo(f"rebuilt {db_path} from {report.files} WARC file(s) in {report.seconds:.1f}s")
    echo(f"  records {report.records}, captures {report.captures}, HTML pages {report.pages}"
         f" ({report.pages_per_second:.0f} pages/s), extracted {report.extracted}")
    stored = report.stored
    echo(f"  articles stored {stored.get('articles', 0)}, comments {stored.get('comments', 0)}"
         + (f", dropped {sum(report.dropped.values())} ({', '.join(f'{k} {v}' for k, v in sorted(report.dropped.items()))})"
            if report.dropped else ""))
    if report.crawls_carried:
        echo(f"  kept {report.crawls_carried} crawls row(s) of the previous database")
    for key, value in (("extraction errors", report.extract_errors), ("revisits without their original",
                                                                     report.missing_originals),
                       ("store errors", stored.get("errors", 0))):
        if value:
            echo(f"  {key}: {value} (see {log_file})")
    for line in report.damaged:
        echo(f"  {line}", err=True)
    for line in report.interrupted:
        echo(f"  {line} (a crash; not a fault)")
    echo(f"  log: {log_file}")
