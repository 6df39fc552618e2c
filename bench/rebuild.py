"""Rebuild throughput: the database made again from the WARC files of a crawl of the scaled sample site.

    .venv/bin/python bench/rebuild.py [--articles 1000] [--workers N] [--out DIR]

Crawls the sample site (served in its own process) once into DIR (a temporary
directory unless --out names one that already holds a crawl), then times
`archive.rebuild.rebuild` over DIR/warc into a fresh database. Prints records/s,
HTML pages/s (every HTML response that reaches the parser: articles, comment
pages, listings) and articles/s, and checks that the rebuilt database equals
the crawl's. Target: >= 200 pages/s.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def crawl(articles: int, out_dir: Path) -> float:
    from bench.throughput import start_site
    from tests.crawl_helpers import run_dca_crawl

    process, url = start_site(articles)
    try:
        started = time.perf_counter()
        run_dca_crawl(url, out_dir, "LOG_LEVEL=WARNING", timeout=3600)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="extraction processes (default: one per CPU)")
    parser.add_argument("--out", type=Path, default=None, help="reuse (or make) a crawl here")
    args = parser.parse_args()

    from archive.rebuild import comparable_tables, rebuild

    with tempfile.TemporaryDirectory(prefix="dca-bench-rebuild-") as tmp:
        out = args.out or Path(tmp) / "crawl"
        if not (out / "warc").is_dir():
            seconds = crawl(args.articles, out)
            print(f"crawled {args.articles} articles into {out} in {seconds:.1f}s")
        db = Path(tmp) / "rebuilt.sqlite"
        report = rebuild(out / "warc", db, workers=args.workers)
        equal = comparable_tables(db) == comparable_tables(out / "archive.sqlite")
        s = report.seconds
        print(f"rebuild of {report.files} WARC file(s), {report.bytes / 1e6:.1f} MB, "
              f"workers={args.workers if args.workers is not None else os.cpu_count()}, cpus={os.cpu_count()}")
        print(f"  {report.records} records in {s:.2f}s: {report.records / s:.0f} records/s")
        print(f"  {report.pages} HTML pages: {report.pages / s:.0f} pages/s (target >= 200)")
        print(f"  {report.extracted} pages extracted, {report.stored.get('articles', 0)} articles stored:"
              f" {report.stored.get('articles', 0) / s:.0f} articles/s")
        print(f"  equal to the crawl's database: {equal}")


if __name__ == "__main__":
    main()
