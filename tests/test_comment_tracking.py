"""Comment threads tracked across crawls: new replies, edits, deletions and counts over time.

Real crawls of the sample site (10 articles: enough for the day-1 changes to
articles 0, 1, 3, 6 and 9) into one output directory with `site.advance()`
between them, real WARC files, real SQLite; the rebuild from both crawls' WARC
files must give the same tables. A crawl whose comment page fails (an injected
extraction fault) stores an incomplete thread, which must not mark anything deleted.
"""

import re
import sqlite3

import pytest

from archive.rebuild import comparable_tables, rebuild
from pipelines import schema
from pipelines.schema import SCHEMA_VERSION, connect as connect_db
from pipelines.store import Store
from tests.crawl_helpers import connect, run_dca_crawl
from tests.sample_site.data import DELETED_COMMENT, EDITED_COMMENT, PAGINATED_2, PAGINATED_3, expected_record
from tests.sample_site.server import SampleSite

N_ARTICLES = 10
# Every article again in the second crawl: incremental runs (issue 6, crawler/incremental.py)
# would skip the old, unchanged ones, which these tests compare across both crawls.
FULL_RECRAWL = "DCA_INCREMENTAL=0"


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """Crawl on day 0, advance the site, crawl on day 1; the ground truth of both days."""
    out = tmp_path_factory.mktemp("two-days")
    with SampleSite(n_articles=N_ARTICLES) as site:
        base = site.base_url
        day0 = {a.index: expected_record(a, base) for a in site.data.articles if not a.expect_invalid}
        run_dca_crawl(base, out, FULL_RECRAWL)
        site.advance(1)
        day1 = {a.index: expected_record(a, base) for a in site.data.articles if not a.expect_invalid}
        run_dca_crawl(base, out, FULL_RECRAWL)
    return out, day0, day1


@pytest.fixture(scope="module")
def db(two_days):
    connection = connect(two_days[0] / "archive.sqlite")
    yield connection
    connection.close()


def stored_by_crawl(db, canonical_url) -> dict[int, str]:
    """crawl id -> fetched_at of the article page, for each crawl that stored the article."""
    rows = db.execute("SELECT c.crawl_id, c.fetched_at FROM comment_counts n JOIN captures c ON c.id = n.capture_id"
                      " JOIN articles a ON a.id = n.article_id WHERE a.canonical_url = ? ORDER BY c.fetched_at",
                      (canonical_url,)).fetchall()
    return {r["crawl_id"]: r["fetched_at"] for r in rows}


def crawl_times(db, canonical_url):
    """fetched_at of the article page in crawl 1 and crawl 2 (an article changed on day 1 is fetched by both)."""
    times = stored_by_crawl(db, canonical_url)
    assert sorted(times) == [1, 2], canonical_url
    return times[1], times[2]


def changed_on_day_1(day0, day1):
    return {i for i in day1 if i in day0 and day1[i]["comments"] != day0[i]["comments"]}


def comments_of(db, canonical_url):
    return {r["comment_id"]: r for r in db.execute(
        "SELECT c.* FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.canonical_url = ?",
        (canonical_url,))}


def test_new_replies_are_first_seen_in_the_second_crawl(two_days, db):
    _, day0, day1 = two_days
    replied = {i for i in day1 if i in day0 and len(day1[i]["comments"]) > len(day0[i]["comments"])}
    assert {0, PAGINATED_2, PAGINATED_3} <= replied
    for index in changed_on_day_1(day0, day1):
        record = day1[index]
        new = {c["id"] for c in record["comments"]} - {c["id"] for c in day0[index]["comments"]}
        first, second = crawl_times(db, record["canonical_url"])
        stored = comments_of(db, record["canonical_url"])
        for comment in record["comments"]:
            row = stored[comment["id"]]
            assert row["first_seen"] == (second if comment["id"] in new else first), (index, comment["id"])
            assert row["last_seen"] == second and row["parent_comment_id"] == comment["parent_id"]


def test_the_edited_comment_has_two_versions(two_days, db):
    _, day0, day1 = two_days
    before, after = day0[EDITED_COMMENT], day1[EDITED_COMMENT]
    edited = [c for c, d in zip(before["comments"], after["comments"]) if c["text"] != d["text"]]
    assert len(edited) == 1
    row = comments_of(db, after["canonical_url"])[edited[0]["id"]]
    versions = db.execute("SELECT text, seen_at, deleted_at FROM comment_versions WHERE comment_row_id = ?"
                          " ORDER BY seen_at", (row["id"],)).fetchall()
    first, second = crawl_times(db, after["canonical_url"])
    new_text = next(c["text"] for c in after["comments"] if c["id"] == edited[0]["id"])
    assert [tuple(v) for v in versions] == [(edited[0]["text"], first, None), (new_text, second, None)]
    assert row["text"] == new_text


def test_the_deleted_comment_points_at_the_capture_that_showed_it_gone(two_days, db):
    _, day0, day1 = two_days
    record = day1[DELETED_COMMENT]
    gone = {c["id"] for c in day0[DELETED_COMMENT]["comments"]} - {c["id"] for c in record["comments"]}
    assert len(gone) == 1
    deleted = db.execute("SELECT c.comment_id, c.deleted_at, c.last_seen, cap.url, cap.crawl_id, cap.fetched_at"
                         " FROM comments c JOIN captures cap ON cap.id = c.deleted_capture_id"
                         " WHERE c.deleted_at IS NOT NULL").fetchall()
    assert len(deleted) == 1, "only the one deleted comment is marked"
    first, second = crawl_times(db, record["canonical_url"])
    (comment_id, deleted_at, last_seen, url, crawl_id, fetched_at), = [tuple(r) for r in deleted]
    assert comment_id in gone and crawl_id == 2
    assert url == record["canonical_url"] and deleted_at == fetched_at == second and last_seen == first
    versions = db.execute("SELECT v.deleted_at, v.capture_id FROM comment_versions v JOIN comments c"
                          " ON c.id = v.comment_row_id WHERE c.comment_id = ? ORDER BY v.seen_at",
                          (comment_id,)).fetchall()
    deletion_capture = db.execute("SELECT deleted_capture_id FROM comments WHERE comment_id = ?",
                                  (comment_id,)).fetchone()[0]
    assert [tuple(v) for v in versions][-1] == (second, deletion_capture)


def test_comment_counts_hold_both_crawls(two_days, db):
    """One row per crawl that stored the article (an incremental crawl may skip unchanged old ones)."""
    _, day0, day1 = two_days
    changed = changed_on_day_1(day0, day1)
    for index, record in day1.items():
        rows = db.execute("SELECT h.comment_count, h.declared_comment_count, h.complete, h.change"
                          " FROM comment_count_history h WHERE h.canonical_url = ? ORDER BY h.seen_at",
                          (record["canonical_url"],)).fetchall()
        counts = [tuple(r) for r in rows]
        crawls = sorted(stored_by_crawl(db, record["canonical_url"]))
        if index not in day0:  # published on day 1
            assert crawls == [2] and counts == [(len(record["comments"]), record["declared_comment_count"], 1, None)]
            continue
        n0, n1 = len(day0[index]["comments"]), len(record["comments"])
        want = [(n0, day0[index]["declared_comment_count"], 1, None),
                (n1, record["declared_comment_count"], 1, n1 - n0)]
        assert crawls in ([1, 2],) if index in changed else crawls in ([1], [1, 2]), (index, crawls)
        assert counts == want[:len(crawls)], index


def test_rebuild_from_both_crawls_gives_the_same_tables(two_days, tmp_path):
    out = two_days[0]
    db = tmp_path / "rebuilt.sqlite"
    report = rebuild(out / "warc", db, workers=1)
    assert not report.damaged and not report.extract_errors and not report.missing_originals
    crawled, again = comparable_tables(out / "archive.sqlite"), comparable_tables(db)
    assert sorted(crawled) == sorted(again)
    for table in crawled:
        assert crawled[table] == again[table], f"table {table} differs between crawl and rebuild"


def test_an_incomplete_thread_marks_nothing_deleted(tmp_path):
    """Day 1, comment page 2 fails: the classic article (REST 401) keeps its later pages' comments.

    The real deletion of day 1 (a complete thread) is still marked; the REST API
    still completes the other paginated article.
    """
    out = tmp_path / "out"
    with SampleSite(n_articles=N_ARTICLES) as site:
        base = site.base_url
        classic, rest = site.data.articles[PAGINATED_3], site.data.articles[PAGINATED_2]
        before = {a.index: expected_record(a, base) for a in (classic, rest)}
        run_dca_crawl(base, out)
        site.advance(1)
        run_dca_crawl(base, out, "DCA_EXTRACTOR=tests.faulty_extractor.extract_page",
                      env={"DCA_TEST_FAIL_ON": "/comment-page-2/"})
        after = {i: expected_record(site.data.articles[i], base) for i in (classic.index, rest.index)}
        first_page = expected_record(site.data.articles[classic.index], base, comment_page=1)["comments"]
        deleted_article = expected_record(site.data.articles[DELETED_COMMENT], base)["canonical_url"]
    conn = connect(out / "archive.sqlite")
    deleted = conn.execute("SELECT a.canonical_url FROM comments c JOIN articles a ON a.id = c.article_id"
                           " WHERE c.deleted_at IS NOT NULL").fetchall()
    assert [r[0] for r in deleted] == [deleted_article]
    history = {index: [tuple(r) for r in conn.execute(
        "SELECT comment_count, complete FROM comment_count_history WHERE canonical_url = ? ORDER BY seen_at",
        (record["canonical_url"],))] for index, record in after.items()}
    assert history[classic.index] == [(len(before[classic.index]["comments"]), 1), (len(first_page), 0)]
    # the REST API gave the whole thread of the other paginated article although its page 2 failed too
    assert history[rest.index] == [(len(before[rest.index]["comments"]), 1), (len(after[rest.index]["comments"]), 1)]
    stored = comments_of(conn, after[classic.index]["canonical_url"])
    assert {c["id"] for c in before[classic.index]["comments"]} <= set(stored)
    assert all(row["deleted_at"] is None for row in stored.values())


# -- the schema of older databases ------------------------------------------------------

NEW_COLUMNS = ("post_id", "comments_system", "comments_thread_id", "by_post_author", "deleted_capture_id")


def version_2_database(path):
    """A database as schema 2 made it: without this issue's columns, table and view."""
    conn = sqlite3.connect(path)
    for sql in schema.TABLES:
        if "comment_counts" in sql:
            continue
        lines = [line for line in sql.splitlines() if not any(re.match(rf"\s*{c}\b", line) for c in NEW_COLUMNS)]
        conn.execute("\n".join(lines))
    conn.execute("INSERT INTO sites (id) VALUES ('dca-sample')")
    conn.execute("INSERT INTO captures (url, warc_record_id) VALUES ('http://x/a/', '<urn:uuid:1>')")
    conn.execute("INSERT INTO articles (site, url, canonical_url, title, capture_id, last_seen)"
                 " VALUES ('dca-sample', 'http://x/a/', 'http://x/a/', 'Old', 1, '2025-01-01T00:00:00Z')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def test_an_older_database_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    version_2_database(path)
    db = connect_db(path)
    columns = lambda table: {r[1] for r in db.execute(f"PRAGMA table_info({table})")}  # noqa: E731
    assert {"post_id", "comments_system", "comments_thread_id"} <= columns("articles")
    assert {"by_post_author", "deleted_capture_id"} <= columns("comments")
    assert db["comment_counts"].exists() and "comment_count_history" in db.view_names()
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert db.execute("SELECT title FROM articles").fetchall() == [("Old",)]
    db.close()
    store = Store(path)  # and items are stored into it
    capture = {"url": "http://x/a/", "fetched_at": "2025-02-01T00:00:00Z", "status": 200,
               "warc_record_id": "<urn:uuid:2>", "warc_type": "response"}
    record = {"url": "http://x/a/", "canonical_url": "http://x/a/", "site": "dca-sample", "page_type": "article",
              "title": "Old", "body_text": "Body.", "post_id": "42", "comments_system": "wordpress",
              "comment_count": 1, "pingback_count": 0,
              "comments": [{"id": "7", "parent_id": None, "author": "A", "text": "Hi.", "depth": 1,
                            "posted_at": None, "by_post_author": True}]}
    store.add_item({"record": record, "capture": capture, "comment_captures": {}, "complete": True})
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT post_id, comments_system FROM articles").fetchall() == [("42", "wordpress")]
    assert conn.execute("SELECT comment_id, by_post_author FROM comments").fetchall() == [("7", 1)]
    assert conn.execute("SELECT comment_count, complete FROM comment_counts").fetchall() == [(1, 1)]
