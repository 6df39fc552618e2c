"""The researcher's side: schema, docs/research.md, dca search / sql / export / browse, Datasette.

Everything runs on the database of real crawls of the sample site (tests/archive_fixture.py).
"""

import csv
import io
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from pipelines.descriptions import TABLES as DESCRIPTIONS
from tests.archive_fixture import three_crawls
from tests.crawl_helpers import REPO


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return three_crawls(tmp_path_factory) / "archive.sqlite"


def dca(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def research_lines() -> list[tuple[str, str]]:
    """(question, command line) for each numbered question of docs/research.md."""
    text = (REPO / "docs" / "research.md").read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^## (\d+\. .+?)\n+```sh\n(.+?)\n```", text, re.M | re.S):
        lines = [l for l in match.group(2).splitlines() if l.strip()]
        assert len(lines) == 1, f"question {match.group(1)!r} should be answered in one line"
        found.append((match.group(1), lines[0]))
    return found


def test_research_md_answers_at_least_ten_questions_and_every_line_runs(db):
    questions = research_lines()
    assert len(questions) >= 10
    for question, line in questions:
        args = shlex.split(line)
        assert args[0] == "dca" and args[1] in ("sql", "search", "export"), line
        result = CliRunner().invoke(main, args[1:] + ["--db", str(db)])
        assert result.exit_code == 0, f"{question}\n{line}\n{result.output}"
        out = result.output.strip()
        assert out and "(0 rows)" not in out and not out.startswith("0 "), f"{question}: no answer\n{out}"


def test_sql_refuses_every_kind_of_write(db, tmp_path):
    before = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    target = tmp_path / "attached.sqlite"
    for sql in ("INSERT INTO sites (id) VALUES ('x')", "DELETE FROM articles", "UPDATE comments SET text = ''",
                f"ATTACH '{target}' AS other", "PRAGMA user_version = 99", "PRAGMA journal_mode = delete",
                "PRAGMA query_only = 0", "DROP TABLE links", "CREATE TABLE t (x)", f"VACUUM INTO '{target}'",
                "SELECT 1; DELETE FROM articles"):
        result = dca("sql", sql, "--db", db)
        assert result.exit_code == 1, sql
        assert "refused" in result.output, (sql, result.output)
        assert "Traceback" not in result.output
    assert "read-only" in dca("sql", "DELETE FROM articles", "--db", db).output
    assert "ATTACH" in dca("sql", f"ATTACH '{target}' AS other", "--db", db).output
    assert not target.exists()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == before
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    # reading still works, pragmas that only report included
    assert dca("sql", "PRAGMA table_info(articles)", "--db", db).exit_code == 0
    assert dca("sql", "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'drone'", "--db", db).exit_code == 0


def test_sql_csv_json_and_parameters(db):
    result = dca("sql", "SELECT site, count(*) AS n FROM articles GROUP BY site", "--db", db, "--csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    n = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert rows == [{"site": "dca-sample", "n": str(n)}]
    result = dca("sql", "SELECT id, title FROM articles WHERE id <= :n ORDER BY id", "--db", db, "--json",
                 "-p", "n=3")
    data = json.loads(result.output)
    assert [r["id"] for r in data] == [1, 2, 3] and all(r["title"] for r in data)
    assert json.loads(dca("sql", "SELECT 1 WHERE 0", "--db", db, "--json").output) == []
    bad = dca("sql", "SELECT nope FROM articles", "--db", db)
    assert bad.exit_code == 1 and "no such column" in bad.output


def test_search_articles_and_comments_with_filters(db):
    result = dca("search", "drone", "--db", db, "--limit", "50")
    assert result.exit_code == 0, result.output
    assert "[drone" in result.output.lower() and "http://127.0.0.1:" in result.output
    hits = [json.loads(l) for l in dca("search", "drone", "--db", db, "--json", "--limit", "50").output.splitlines()]
    assert hits and all("[" in h["hit"] for h in hits)
    author = sqlite3.connect(db).execute(
        "SELECT au.name FROM authors au JOIN article_authors aa ON aa.author_id = au.id LIMIT 1").fetchone()[0]
    by_author = [json.loads(l) for l in dca("search", "the", "--author", author, "--db", db, "--json",
                                               "--limit", "100").output.splitlines()]
    assert by_author and all(author in h["authors"] for h in by_author)
    since = [json.loads(l) for l in dca("search", "the", "--since", "2025-06-20", "--db", db, "--json",
                                           "--limit", "100").output.splitlines()]
    assert since and all(h["published_at"] >= "2025-06-20" for h in since)
    assert dca("search", "drone", "--site", "no-such-site", "--db", db).output.startswith("0 articles")
    comments = [json.loads(l) for l in dca("search", "drone", "--comments", "--db", db, "--json").output.splitlines()]
    assert comments and all("#comment-" in c["url"] for c in comments)
    assert dca("search", "F-35", "--db", db).exit_code == 0  # not FTS5 syntax: searched as words


def test_export_streams_tables_and_views(db, tmp_path):
    total = sqlite3.connect(db).execute("SELECT count(*) FROM comment_threads WHERE depth > 1").fetchone()[0]
    out = tmp_path / "replies.jsonl"
    result = dca("export", "comment_threads", "--format", "jsonl", "--where", "depth > 1", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == total and all(r["depth"] > 1 for r in rows) and "parent_author" in rows[0]
    result = dca("export", "image_credits", "--db", db)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and {"site", "credit", "images"} <= set(rows[0])
    assert dca("export", "image_credits", "--where", "1; DELETE FROM images", "--db", db).exit_code == 1
    bad = dca("export", "nope", "--db", db)
    assert bad.exit_code == 1 and "article_overview" in bad.output


def test_a_corrupt_or_missing_database_is_named(tmp_path):
    corrupt = tmp_path / "broken.sqlite"
    corrupt.write_bytes(os.urandom(8192))
    for args in (["sql", "SELECT 1"], ["search", "drone"], ["export", "articles"]):
        result = dca(*args, "--db", corrupt)
        assert result.exit_code == 1 and f"{corrupt}: not a readable SQLite database" in result.output, args
    missing = tmp_path / "none.sqlite"
    result = dca("sql", "SELECT 1", "--db", missing)
    assert result.exit_code == 1 and f"{missing}: no such database" in result.output
    assert not missing.exists()


def test_schema_views_foreign_keys_and_fts_triggers(db, tmp_path):
    conn = sqlite3.connect(db)
    columns = lambda name: {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}  # noqa: E731
    assert {"title", "site", "authors", "published_at", "word_count", "comment_count",
            "lead_image_credit"} <= columns("article_overview")
    assert {"article_title", "author", "posted_at", "depth", "parent_author"} <= columns("comment_threads")
    assert {"site", "credit", "images"} <= columns("image_credits")
    assert conn.execute("SELECT count(*) FROM comment_threads WHERE depth > 1 AND parent_author IS NULL"
                        ).fetchone()[0] == 0
    fks = {(r[2], r[3]) for r in conn.execute("PRAGMA foreign_key_list(comments)")}
    assert {("articles", "article_id"), ("captures", "capture_id"), ("sites", "site")} <= fks
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                                        " AND name NOT LIKE '%_fts_%' AND name NOT LIKE 'sqlite_%'")}
    assert names <= set(DESCRIPTIONS), f"tables without a description: {names - set(DESCRIPTIONS)}"
    # FTS5 kept in sync by triggers; foreign keys enforced (on a copy)
    from pipelines.schema import connect

    copy = connect(tmp_path / "copy.sqlite")
    sqlite3.connect(db).backup(copy.conn)
    copy = connect(tmp_path / "copy.sqlite")
    copy.execute("UPDATE articles SET title = 'Zanzibarian logistics' WHERE id = 1")
    assert copy.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zanzibarian'").fetchall() == [(1,)]
    copy.execute("DELETE FROM links WHERE article_id = 1")
    copy.execute("DELETE FROM article_authors WHERE article_id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        copy.execute("INSERT INTO comments (site, article_id, comment_id) VALUES ('dca-sample', 999999, 'x')")


def test_comment_versions_record_edits_and_deletions(db):
    conn = sqlite3.connect(db)
    edited = conn.execute(
        "SELECT v.text FROM comment_versions v WHERE v.comment_row_id IN (SELECT comment_row_id FROM"
        " comment_versions GROUP BY 1 HAVING count(*) > 1) AND v.deleted_at IS NULL ORDER BY v.comment_row_id,"
        " v.seen_at").fetchall()
    assert any("Edit: I misread" in (t or "") for (t,) in edited)
    deleted = conn.execute("SELECT count(*) FROM comment_versions WHERE deleted_at IS NOT NULL").fetchone()[0]
    assert deleted == 1


def http_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_dca_browse_serves_datasette_on_loopback_with_metadata(db, tmp_path):
    from crawler.commands.research import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "browse", "--db", str(db), "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                metadata = http_json(f"{base}/-/metadata.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate(timeout=5))
                time.sleep(0.2)
        tables = metadata["databases"]["archive"]["tables"]
        assert tables["articles"]["columns"]["canonical_url"]
        page = urllib.request.urlopen(f"{base}/archive/articles", timeout=10).read().decode()
        assert DESCRIPTIONS["articles"]["description"] in page
        assert 'id="facet-section"' in page  # facets from the metadata
        data = http_json(f"{base}/archive/articles.json?_shape=objects")
        assert data["rows"]
        top = http_json(f"{base}/archive/top_commenters.json?_shape=array")
        assert top and top[0]["comments"] >= top[-1]["comments"]
        found = http_json(f"{base}/archive/search_comments.json?_shape=array&q=drone")
        assert found and "<b>" in found[0]["context"]
        assert process.poll() is None
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    assert process.returncode is not None


def test_browse_can_write_its_metadata_for_plain_datasette(tmp_path, db):
    out = tmp_path / "metadata.json"
    result = dca("browse", "--db", db, "--write-metadata", out)
    assert result.exit_code == 0, result.output
    metadata = json.loads(out.read_text())
    database = metadata["databases"]["archive"]
    assert len(database["queries"]) >= 5 and database["tables"]["comments"]["facets"]
