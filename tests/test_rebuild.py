"""`dca rebuild`: the database made from the WARC files equals the crawl's, table by table.

Real crawls of the sample site (tests/archive_fixture.py), real WARC files,
real SQLite files; damaged WARC files and a corrupt database file as bad input.
"""

import io
import shutil
import sqlite3
import subprocess
import sys
import zlib

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BUFF_SIZE

from archive.rebuild import Rebuilder, comparable_tables, rebuild
from crawler import pages
from crawler.cli import main
from tests.archive_fixture import three_crawls
from tests.crawl_helpers import REPO


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    return three_crawls(tmp_path_factory)


@pytest.fixture(scope="module")
def rebuilt(crawl, tmp_path_factory):
    db = tmp_path_factory.mktemp("rebuilt") / "archive.sqlite"
    report = rebuild(crawl / "warc", db, workers=2)
    return db, report


def copy_archive(crawl, dest):
    shutil.copytree(crawl / "warc", dest / "warc")
    source, copy = sqlite3.connect(crawl / "archive.sqlite"), sqlite3.connect(dest / "archive.sqlite")
    source.backup(copy)  # the main file alone may lack what is still in its WAL
    source.close()
    copy.close()
    return dest


def count(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_rebuilt_database_equals_the_crawls_table_by_table(crawl, rebuilt):
    db, report = rebuilt
    crawled, again = comparable_tables(crawl / "archive.sqlite"), comparable_tables(db)
    assert sorted(crawled) == sorted(again)
    for table in ("captures", "articles", "article_versions", "authors", "article_authors", "images",
                  "comments", "comment_versions", "links", "sites"):
        assert crawled[table], f"the crawl stored no {table}: the comparison would prove nothing"
    for table in crawled:
        assert crawled[table] == again[table], f"table {table} differs between crawl and rebuild"
    assert not report.damaged and not report.extract_errors and not report.missing_originals
    # what the three crawls exercised: HTML revisits, an edited article, an edited and a deleted comment
    source = crawl / "archive.sqlite"
    assert count(source, "SELECT count(*) FROM captures WHERE warc_type = 'revisit' AND content_type LIKE 'text/html%'")
    assert count(source, "SELECT count(*) FROM (SELECT article_id FROM article_versions GROUP BY 1 HAVING count(*) > 1)")
    assert count(source, "SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL") == 1
    assert count(source, "SELECT count(*) FROM (SELECT comment_row_id FROM comment_versions"
                         " GROUP BY 1 HAVING count(*) > 1)") == 2


def test_full_text_indexes_of_the_rebuild_answer_like_the_crawls(crawl, rebuilt):
    db, _ = rebuilt
    sql = ("SELECT a.canonical_url FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
           " WHERE articles_fts MATCH ? ORDER BY a.canonical_url")
    for term in ("drone", "submarine", "congress"):
        rows = [sqlite3.connect(path).execute(sql, (term,)).fetchall() for path in (crawl / "archive.sqlite", db)]
        assert rows[0] and rows[0] == rows[1], term


def test_rebuild_in_place_is_idempotent_and_keeps_the_crawls_rows(crawl, tmp_path):
    out = copy_archive(crawl, tmp_path)
    db = out / "archive.sqlite"
    before = sqlite3.connect(db).execute(
        "SELECT warc_record_id, crawl_id FROM captures ORDER BY warc_record_id").fetchall()
    crawls = sqlite3.connect(db).execute("SELECT * FROM crawls ORDER BY id").fetchall()
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["rebuild", "--warc", str(out / "warc"), "--db", str(db), "--workers", "0"])
        assert result.exit_code == 0, result.output
        assert "kept 3 crawls row(s)" in result.output
        assert comparable_tables(db) == comparable_tables(crawl / "archive.sqlite")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM crawls ORDER BY id").fetchall() == crawls
    assert conn.execute("SELECT warc_record_id, crawl_id FROM captures ORDER BY warc_record_id").fetchall() == before
    assert not list(out.glob("archive.sqlite.rebuilding*"))


def test_progress_is_reported_over_the_bytes_of_the_warc_files(crawl, tmp_path):
    calls = []
    Rebuilder(crawl / "warc", tmp_path / "a.sqlite", workers=0,
              progress=lambda done, total, report: calls.append((done, total, report.pages))).run()
    total = sum(p.stat().st_size for p in (crawl / "warc").glob("*.warc.gz"))
    assert calls and all(t == total for _, t, _ in calls)
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == total
    from crawler.commands.rebuild import _Bar

    bar = _Bar()
    with bar:
        bar.update(5, 10, calls[-1] and type("R", (), {"pages": 3, "items": 1})())


def test_warcinfo_names_the_site_profile(crawl):
    from warcio.archiveiterator import ArchiveIterator

    from archive.rebuild import warcinfo_fields

    for path in (crawl / "warc").glob("*.warc.gz"):
        with open(path, "rb") as fh:
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_type == "warcinfo"
            fields = warcinfo_fields(record)
        assert fields["dca-site"] == "dca-sample"
        assert fields["dca-root"].startswith("http://127.0.0.1:")


def test_spider_and_rebuild_take_the_same_decisions():
    from crawler.spiders import wordpress

    assert wordpress.pages is pages
    assert not hasattr(wordpress, "ArticleThread")


def html_capture(db, nth=5):
    return sqlite3.connect(db).execute(
        "SELECT warc_file, warc_offset, warc_length, warc_record_id, url FROM captures"
        " WHERE warc_type = 'response' AND content_type LIKE 'text/html%' AND status = 200"
        " ORDER BY warc_file, warc_offset LIMIT 1 OFFSET ?", (nth,)).fetchone()


def response_captures(db):
    return sqlite3.connect(db).execute(
        "SELECT warc_file, warc_offset, warc_length, warc_record_id FROM captures"
        " WHERE warc_type = 'response' AND status = 200 ORDER BY warc_file, warc_offset").fetchall()


def ends_quietly(data: bytes, offset: int) -> bool:
    """Whether warcio stops, without an error, before it yields the record at `offset`."""
    iterator = ArchiveIterator(io.BytesIO(data))
    try:
        for _ in iterator:
            if iterator.get_record_offset() >= offset:
                return False
            iterator.read_to_end()
    except Exception:
        return False
    return True


def quiet_spot(data: bytes, offset: int, length: int) -> int | None:
    """Where damage makes warcio end quietly inside the record at `offset`, if anywhere.

    warcio reads the file in 16 KB blocks from its start and inflates each block as it
    comes. A gzip error in a member's first block is taken for "not gzip" and raised
    as a bad record; in a later block, once the member has given some bytes, warcio
    prints the error and reads on as if the file had ended. So the record must cross
    a block boundary with its first block giving its first few header lines, but not
    yet the end of its WARC headers (cut there, warcio takes the headers read so far
    and finds no record after them): damage just past that boundary then ends the
    file quietly. Found by trying it on crawls of the sample site; the test checks it.
    """
    boundary = (offset // BUFF_SIZE + 1) * BUFF_SIZE
    if boundary + 80 > offset + length:
        return None
    first = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[offset:boundary])
    return boundary + 16 if first.count(b"\r\n") >= 3 and b"\r\n\r\n" not in first else None


def damage_spots(data_of, captures, quietly: bool):
    """(capture, where) to try: the quiet spots first when a quiet end is wanted."""
    if quietly:
        for capture in captures:
            name, offset, length, _ = capture
            if (spot := quiet_spot(data_of(name), offset, length)) is not None:
                yield capture, spot
    for capture in captures:
        _, offset, length, _ = capture
        for where in (offset + length // 2, offset + length // 4, offset + 3 * length // 4):
            yield capture, where


def damage_a_record(out, *, quietly: bool):
    """Zero 64 bytes inside a captured response such that warcio raises, or ends quietly.

    Which of the two happens depends on the record's bytes and on where warcio's
    16 KB reads fall (see quiet_spot), so the captures are searched for it.
    """
    files = {}

    def data_of(name):
        return files.setdefault(name, (out / "warc" / name).read_bytes())

    captures = response_captures(out / "archive.sqlite")[5:]
    for (name, offset, _, record_id), where in damage_spots(data_of, captures, quietly):
        data = data_of(name)
        damaged = data[:where] + b"\x00" * 64 + data[where + 64:]
        if ends_quietly(damaged, offset) == quietly:
            (out / "warc" / name).write_bytes(damaged)
            return out / "warc" / name, name, offset, record_id
    pytest.skip("no capture of this crawl gives that kind of damage")


@pytest.mark.parametrize("quietly", [False, True], ids=["warcio-raises", "warcio-ends-quietly"])
def test_a_damaged_record_is_named_counted_and_skipped(crawl, tmp_path, quietly):
    out = copy_archive(crawl, tmp_path)
    path, name, offset, record_id = damage_a_record(out, quietly=quietly)
    db = tmp_path / "rebuilt.sqlite"
    result = CliRunner().invoke(main, ["rebuild", "--warc", str(out / "warc"), "--db", str(db), "--workers", "0"])
    assert result.exit_code == 1
    assert "1 damaged record(s) skipped" in result.output
    assert f"{path}: damaged record at offset {offset}" in result.output
    conn = sqlite3.connect(db)
    captures = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    assert captures == count(crawl / "archive.sqlite", "SELECT count(*) FROM captures") - 1
    assert conn.execute("SELECT count(*) FROM captures WHERE warc_record_id = ?", (record_id,)).fetchone()[0] == 0
    later = conn.execute("SELECT count(*) FROM captures WHERE warc_file = ? AND warc_offset > ?",
                         (name, offset)).fetchone()[0]
    assert later > 0, "reading did not go on after the damaged record"


def test_a_truncated_file_is_named_as_an_interrupted_write_and_the_rest_rebuilt(crawl, tmp_path):
    out = copy_archive(crawl, tmp_path)
    name, offset, length, _, _ = html_capture(out / "archive.sqlite", nth=40)
    path = out / "warc" / name
    with open(path, "r+b") as fh:
        fh.truncate(offset + length // 3)
    db = tmp_path / "rebuilt.sqlite"
    report = rebuild(out / "warc", db, workers=0)
    # A file cut in a record, with nothing after: what a crawl killed while writing leaves.
    assert report.damaged_records == 0
    assert len(report.interrupted) == 1
    assert str(path) in report.interrupted[0] and f"readable up to offset {offset}" in report.interrupted[0]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM captures WHERE warc_file = ?", (name,)).fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0


def test_bad_input_gives_a_clear_error_naming_the_file(crawl, tmp_path):
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    runner = CliRunner()
    result = runner.invoke(main, ["rebuild", "--warc", str(crawl / "warc"), "--db", str(corrupt)])
    assert result.exit_code == 1
    assert f"{corrupt}: not a readable SQLite database" in result.output
    assert corrupt.read_bytes().startswith(b"this is not a database")  # left as it was
    missing = tmp_path / "nowhere"
    result = runner.invoke(main, ["rebuild", "--warc", str(missing), "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 1 and f"{missing}: no such WARC directory" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(main, ["rebuild", "--warc", str(tmp_path / "empty"), "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 1 and "no WARC files" in result.output


def test_dca_rebuild_runs_as_a_console_command(crawl, tmp_path):
    db = tmp_path / "cli.sqlite"
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "rebuild", "--warc", str(crawl / "warc"), "--db", str(db),
         "--workers", "1"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilt" in result.stdout and "pages/s" in result.stdout
    assert "\x1b[" not in result.stderr  # no progress bar when not on a terminal
    assert comparable_tables(db) == comparable_tables(crawl / "archive.sqlite")


def test_a_cut_file_keeps_its_whole_records_in_the_index(crawl, tmp_path):
    """Wherever a crash cuts a record, the records before it stay indexed (so they replay)."""
    import io

    from warcio.archiveiterator import ArchiveIterator

    from archive.index import build_index
    from archive.warc import scan_members

    out = copy_archive(crawl, tmp_path)
    path = max((out / "warc").glob("*.warc.gz"), key=lambda p: p.stat().st_size)
    original = path.read_bytes()
    members = scan_members(path).members
    for offset, length in members[len(members) // 2::max(1, len(members) // 12)]:
        path.write_bytes(original[:offset + length // 2])
        whole = ArchiveIterator(io.BytesIO(original[:offset]))
        captures = sum(1 for record in whole if record.rec_type in ("response", "revisit"))
        lines = build_index(out).read_text().splitlines()
        assert sum(1 for line in lines if f'"filename": "{path.name}"' in line) == captures, offset
