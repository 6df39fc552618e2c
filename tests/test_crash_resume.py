"""kill -9 and resume: a real `dca crawl` SIGKILLs itself at three points (DCA_CRASH_AT), the same command runs again.

After each kill: every WARC file is readable up to its last whole record, the
database passes SQLite's integrity check, and the run's row says `running`.
The re-run finds the dead run (its row becomes `interrupted`), counts a partial
trailing record, restores the captures rows the store had not flushed, never
appends to the damaged file, fetches the articles that are missing (not those
stored before the kill, unless the incremental rules want them anyway), and
ends with the same articles and comments as one uninterrupted crawl. `dca verify`
then passes, listing the cut file as an interrupted write.
"""

import io
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import scan_members
from tests.crawl_helpers import REPO, connect, crawl_log_text
from tests.sample_site import SampleSite, day_clock

N_ARTICLES = 38
NOW = day_clock(0)


def crawl(base_url, out, *settings):
    command = [sys.executable, "-m", "crawler.cli", "crawl", base_url, "--out", str(out), "--site", "dca-sample"]
    for setting in ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=0", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                    "DCA_PROGRESS_INTERVAL=0", "DCA_EXTRACT_WORKERS=0", "DCA_STORE_BATCH=10",
                    f"DCA_NOW={NOW.isoformat()}", *settings):
        command += ["-s", setting]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)


def articles_and_comments(db_path):
    db = connect(db_path)
    articles = sorted(tuple(r) for r in db.execute(
        "SELECT canonical_url, title, body_text, published_at, comment_count FROM articles"))
    comments = sorted(tuple(r) for r in db.execute(
        "SELECT a.canonical_url, c.comment_id, c.parent_comment_id, c.author, c.text, c.depth, c.deleted_at"
        " FROM comments c JOIN articles a ON a.id = c.article_id"))
    db.close()
    return articles, comments


@pytest.fixture(scope="module")
def site():
    with SampleSite(n_articles=N_ARTICLES) as running:
        yield running


@pytest.fixture(scope="module")
def uninterrupted(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    result = crawl(site.base_url, out)
    assert result.returncode == 0, result.stderr[-2000:]
    return articles_and_comments(out / "archive.sqlite")


def whole_records_readable(path):
    tail = scan_members(path)
    with open(path, "rb") as fh:
        for offset, length in tail.members:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(io.BytesIO(fh.read(length)))))
            record.content_stream().read()
    return tail


@pytest.mark.parametrize("point", ["capture:120", "warc-write:250", "store-flush:8"])
def test_killed_crawl_resumes_to_the_same_archive(point, site, uninterrupted, tmp_path):
    out = tmp_path / "out"
    killed = crawl(site.base_url, out, f"DCA_CRASH_AT={point}")
    assert killed.returncode == -9, killed.stderr[-2000:]

    tails = {p.name: whole_records_readable(p) for p in sorted((out / "warc").glob("*.warc.gz"))}
    partial = {name: tail for name, tail in tails.items() if tail.partial}
    assert len(partial) == (1 if point.startswith("warc-write") else 0)
    sizes = {name: (out / "warc" / name).stat().st_size for name in tails}
    db = sqlite3.connect(out / "archive.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in db.execute("SELECT status FROM crawls")] == ["running"]
    stored = {r[0] for r in db.execute("SELECT url FROM articles")}
    captured = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    db.close()
    records = sum(1 for t in tails.values() for _ in t.members)
    assert captured < records // 2  # the kill lost captures rows the store had not flushed yet

    mark = len(site.requests())
    resumed = crawl(site.base_url, out)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert articles_and_comments(out / "archive.sqlite") == uninterrupted

    db = connect(out / "archive.sqlite")
    rows = db.execute("SELECT status, stats FROM crawls ORDER BY id").fetchall()
    assert [r["status"] for r in rows] == ["interrupted", "finished"]
    log = crawl_log_text(out)
    assert "recovered from 1 interrupted run(s)" in log
    for name, tail in partial.items():
        assert f"{name}: partial trailing record ({tail.partial_bytes} bytes after offset {tail.good_end})" in log
        assert '"recovery/partial_records": 1' in rows[1]["stats"]
    for name, size in sizes.items():  # never appended to: the crash's files stay as they were
        assert (out / "warc" / name).stat().st_size == size
    verified = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--out", str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout
    assert f"{len(partial)} interrupted write(s)" in verified.stdout if partial else "interrupted" not in verified.stdout
    for name, tail in partial.items():
        assert (f"{name}: readable up to offset {tail.good_end}, {tail.partial_bytes} bytes of partial record"
                in verified.stdout)
    index = (out / "index.cdxj").read_text().splitlines()
    for name, tail in partial.items():  # the cut file's whole records stay in the index, so they replay
        with open(out / "warc" / name, "rb") as fh:
            whole = io.BytesIO(fh.read(tail.good_end))
        captures = sum(1 for r in ArchiveIterator(whole) if r.rec_type in ("response", "revisit"))
        assert captures > 0
        assert sum(1 for line in index if f'"filename": "{name}"' in line) == captures
    rebuilt = subprocess.run([sys.executable, "-m", "crawler.cli", "rebuild", "--warc", str(out / "warc"),
                              "--db", str(tmp_path / "rebuilt.sqlite")],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "damaged" not in rebuilt.stdout + rebuilt.stderr
    for name, tail in partial.items():
        assert f"{name}: interrupted write, readable up to offset {tail.good_end}" in rebuilt.stdout
    assert articles_and_comments(tmp_path / "rebuilt.sqlite") == uninterrupted
    # every whole record of the killed run has its captures row again (restored or written)
    for name, tail in tails.items():
        rows_in_file = db.execute("SELECT count(*) FROM captures WHERE warc_file = ?", (name,)).fetchone()[0]
        responses = 0
        with open(out / "warc" / name, "rb") as fh:
            for offset, length in tail.members:
                fh.seek(offset)
                responses += next(iter(ArchiveIterator(io.BytesIO(fh.read(length))))).rec_type in ("response",
                                                                                                    "revisit")
        assert rows_in_file == responses, name
    # only what was missing: articles stored before the kill are not fetched again unless young or changed
    data = site.data
    again = {a.path for a in data.articles
             if a.lastmod > NOW or a.published >= NOW - timedelta(days=7)}
    requested = {e.path for e in site.requests()[mark:]}
    stored_paths = {url.removeprefix(site.base_url) for url in stored}
    assert stored_paths - again and not (stored_paths - again) & requested
    db.close()
