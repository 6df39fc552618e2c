"""The store: schema, upserts, versions, capture links, FTS, views (real SQLite files)."""

import copy
import sqlite3

import pytest
import sqlite_utils
from scrapy.utils.test import get_crawler

from pipelines.schema import connect, ensure_schema
from pipelines.store import Store, StorePipeline, content_hash

URL = "https://www.19fortyfive.com/2024/03/ukraine-t-84-tank/"


def capture(n: int, url: str = URL, fetched_at: str | None = None) -> dict:
    return {
        "url": url,
        "fetched_at": fetched_at or f"2024-03-0{n}T12:00:00Z",
        "status": 200,
        "content_type": "text/html; charset=UTF-8",
        "warc_file": "dca-20240301-00000.warc.gz",
        "warc_offset": 1000 * n,
        "warc_length": 900,
        "warc_record_id": f"<urn:uuid:00000000-0000-0000-0000-00000000000{n}>",
        "payload_digest": f"sha1:DIGEST{n}",
        "warc_type": "response",
    }


def record(**changes) -> dict:
    rec = {
        "url": URL,
        "canonical_url": URL,
        "comment_page": 1,
        "comment_pages": [URL + "comment-page-2/"],
        "site": "19fortyfive",
        "page_type": "article",
        "title": "Ukraine's T-84 Tank Is a Beast",
        "subtitle": "A tank built in Kharkiv",
        "section": "Military",
        "tags": ["Ukraine", "Tanks"],
        "authors": [
            {"name": "Brent Eastwood", "url": "https://www.19fortyfive.com/author/brent/",
             "bio": "Brent writes about tanks."},
            {"name": "Harry Kazianis", "url": None, "bio": None},
        ],
        "published_at": "2024-03-05T09:30:00-05:00",
        "modified_at": "2024-03-05T10:00:00-05:00",
        "body_text": "The T-84 is a main battle tank.\n\nArmor\n\nIts turret carries composite armor.",
        "body_html": "<p>The T-84 is a main battle tank.</p><h2>Armor</h2>"
                     "<p>Its turret carries composite armor.</p>",
        "images": [
            {"src": "https://www.19fortyfive.com/wp-content/uploads/t84.jpg",
             "alt": "T-84", "caption": "A T-84 tank from Ukraine.",
             "credit": "Creative Commons.", "is_lead": True},
            {"src": "https://www.19fortyfive.com/wp-content/uploads/t84-2.jpg",
             "alt": None, "caption": None, "credit": None, "is_lead": False},
        ],
        "related_links": [
            {"url": "https://www.19fortyfive.com/2024/02/abrams/", "text": "The Abrams",
             "label": "MORE"},
        ],
        "comments": [
            {"id": "101", "parent_id": None, "author": "Walker",
             "author_url": None, "posted_at": "2023-02-03T18:37:00-05:00",
             "text": "Kharkiv built a fine machine.", "depth": 1},
            {"id": "102", "parent_id": "101", "author": "Ghost Of Hoover",
             "author_url": "https://example.org/", "posted_at": "2023-02-03T19:00:00-05:00",
             "text": "Zeppelins would beat it.", "depth": 2},
            {"id": "103", "parent_id": None, "author": "Jacksonian Libertarian",
             "author_url": None, "posted_at": "2023-02-04T08:00:00-05:00",
             "text": "Drones change everything.", "depth": 1},
        ],
        "comment_count": 3,
        "pingback_count": 0,
        "declared_comment_count": 3,
        "language": "en-US",
        "sources": {"title": "jsonld"},
    }
    rec.update(changes)
    return rec


def item(rec=None, cap=None, comment_captures=None) -> dict:
    return {"record": rec or record(), "capture": cap or capture(1),
            "comment_captures": comment_captures or {}}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "archive.sqlite")
    s.begin_crawl({"BOT_NAME": "dca"})
    yield s
    s.close()


def rows(store, sql, params=()):
    return list(store.db.query(sql, params))


def content_snapshot(store) -> dict:
    """Everything except the seen-at columns and capture pointers."""
    return {
        "articles": rows(store, "SELECT id, site, url, canonical_url, title, subtitle, "
                                "section, tags, body_text, body_html, published_at, "
                                "word_count, content_hash, first_seen FROM articles"),
        "versions": rows(store, "SELECT * FROM article_versions"),
        "authors": rows(store, "SELECT * FROM authors"),
        "article_authors": rows(store, "SELECT * FROM article_authors"),
        "images": rows(store, "SELECT article_id, src, alt, caption, credit, is_lead, "
                              "position FROM images"),
        "links": rows(store, "SELECT article_id, url, text, label, position FROM links"),
        "comments": rows(store, "SELECT id, comment_id, parent_comment_id, author, text, "
                                "depth, position, first_seen, deleted_at FROM comments"),
    }


# -- schema -------------------------------------------------------------------


def test_schema_is_idempotent(tmp_path):
    path = tmp_path / "a.sqlite"
    db = connect(path)
    before = {r["name"]: r["sql"] for r in db.query("SELECT name, sql FROM sqlite_master")}
    ensure_schema(db)
    ensure_schema(sqlite_utils.Database(path))
    after = {r["name"]: r["sql"] for r in db.query("SELECT name, sql FROM sqlite_master")}
    assert before == after
    for name in ("crawls", "captures", "sites", "articles", "article_versions", "authors",
                 "article_authors", "images", "comments", "links", "articles_fts",
                 "comments_fts"):
        assert name in db.table_names()
    assert set(db.view_names()) >= {"article_overview", "comment_threads"}
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_an_older_databases_redundant_site_indexes_are_dropped_and_site_queries_still_use_an_index(tmp_path):
    path = tmp_path / "old.sqlite"
    connect(path).conn.close()
    old = sqlite3.connect(path)
    old.execute("CREATE INDEX articles_site ON articles (site)")
    old.execute("CREATE INDEX comments_site ON comments (site)")
    old.commit()
    old.close()

    db = connect(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not names & {"articles_site", "comments_site"}
    for table in ("articles", "comments"):
        plan = " ".join(str(r[-1]) for r in db.execute(f"EXPLAIN QUERY PLAN SELECT id FROM {table} WHERE site = 'x'"))
        assert "USING" in plan and "INDEX" in plan, plan  # the UNIQUE (site, ...) index, not a scan


def test_design_column_names(store):
    cols = {t: set(store.db[t].columns_dict) for t in store.db.table_names()}
    assert {"id", "site", "url", "canonical_url", "title", "subtitle", "body_text",
            "body_html", "published_at", "modified_at", "word_count",
            "capture_id"} <= cols["articles"]
    assert {"id", "crawl_id", "url", "fetched_at", "status", "content_type", "warc_file",
            "warc_offset", "warc_length", "warc_record_id",
            "payload_digest"} <= cols["captures"]
    assert {"id", "article_id", "comment_id", "parent_comment_id", "author", "author_url",
            "posted_at", "text", "depth", "first_seen", "last_seen",
            "deleted_at"} <= cols["comments"]
    assert {"id", "article_id", "src", "alt", "caption", "credit", "is_lead"} <= cols["images"]
    assert {"article_id", "url", "text", "label"} <= cols["links"]
    assert {"article_id", "author_id", "position"} <= cols["article_authors"]


def test_indexes_on_foreign_keys(store):
    for table in store.db.table_names():
        if table.endswith(("_fts", "_data", "_idx", "_docsize", "_config")):
            continue
        indexed = {tuple(i.columns)[0] for i in store.db[table].indexes}
        indexed |= {store.db[table].pks[0]}
        for fk in store.db[table].foreign_keys:
            assert fk.column in indexed, (table, fk.column)
    assert "published_at" in {i.columns[0] for i in store.db["articles"].indexes}
    assert "posted_at" in {i.columns[0] for i in store.db["comments"].indexes}


def test_foreign_keys_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO articles (site, url, canonical_url) VALUES ('nosuchsite', 'u', 'u')")
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO images (article_id, src, position) VALUES (999, 'x', 0)")


# -- add_item -----------------------------------------------------------------


def test_add_item_writes_rows(store):
    store.add_item(item())
    counts = store.flush()
    assert counts["articles"] == 1 and counts["comments"] == 3 and counts["captures"] == 1
    [art] = rows(store, "SELECT * FROM articles")
    assert art["site"] == "19fortyfive" and art["canonical_url"] == URL
    assert art["word_count"] == 13
    assert art["tags"] == '["Ukraine", "Tanks"]'
    assert art["first_seen"] == art["last_seen"] == "2024-03-01T12:00:00Z"
    assert art["content_hash"] == content_hash(record()["title"], record()["body_text"])
    assert rows(store, "SELECT id FROM sites") == [{"id": "19fortyfive"}]

    authors = rows(store, "SELECT au.name, au.url, au.bio, aa.position FROM article_authors aa "
                          "JOIN authors au ON au.id = aa.author_id ORDER BY aa.position")
    assert [a["name"] for a in authors] == ["Brent Eastwood", "Harry Kazianis"]
    assert authors[0]["bio"] == "Brent writes about tanks." and authors[1]["url"] is None

    images = rows(store, "SELECT * FROM images ORDER BY position")
    assert images[0]["is_lead"] == 1 and images[0]["credit"] == "Creative Commons."
    assert images[0]["caption"] == "A T-84 tank from Ukraine."
    assert images[1]["is_lead"] == 0

    [link] = rows(store, "SELECT * FROM links")
    assert (link["label"], link["text"]) == ("MORE", "The Abrams")

    comments = rows(store, "SELECT * FROM comments ORDER BY position")
    assert [c["comment_id"] for c in comments] == ["101", "102", "103"]
    assert comments[1]["parent_comment_id"] == "101" and comments[1]["depth"] == 2
    assert comments[0]["parent_comment_id"] is None
    assert all(c["article_id"] == art["id"] for c in comments)
    assert len(rows(store, "SELECT * FROM article_versions")) == 1


TRICKY_TEXTS = ['quote " and \\ backslash', "line\nbreak\ttab", "emoji 🛰️ and é", "\u2028separator",
                "[1, 2]", '{"k": 1}', "$[0]", "  spaced  ", "nul\x00inside"]


@pytest.mark.parametrize("with_nul", [False, True])
def test_comment_and_capture_values_are_stored_exactly_whichever_way_the_rows_go(store, with_nul):
    # Rows go to SQLite as one JSON array, except a batch holding a NUL (json_extract would cut
    # the text there), which goes row by row: both ways store the values as given.
    texts = TRICKY_TEXTS if with_nul else TRICKY_TEXTS[:-1]
    comments = [{"id": str(200 + n), "parent_id": None, "author": text, "author_url": None,
                 "posted_at": "2023-02-03T18:37:00-05:00", "text": text, "depth": 1, "by_post_author": n % 2 == 0}
                for n, text in enumerate(texts)]
    cap = dict(capture(1), etag='W/"a\\b"', last_modified=texts[-1])
    store.add_item(item(record(comments=comments, comment_count=len(comments)), cap))
    counts = store.flush()
    assert counts["captures"] == 1 and counts["comments"] == len(texts)

    stored = rows(store, "SELECT comment_id, author, text, depth, by_post_author, typeof(article_id) AS t"
                         " FROM comments ORDER BY position")
    assert [(c["author"], c["text"]) for c in stored] == [(t, t) for t in texts]
    assert [c["by_post_author"] for c in stored] == [1 - n % 2 for n in range(len(texts))]
    assert {c["t"] for c in stored} == {"integer"} and {c["depth"] for c in stored} == {1}
    [row] = rows(store, "SELECT etag, last_modified, warc_offset FROM captures")
    assert row == {"etag": 'W/"a\\b"', "last_modified": texts[-1], "warc_offset": 1000}


def test_fts_finds_body_and_comment_words(store):
    store.add_item(item())
    store.flush()
    hits = list(store.db["articles"].search("composite"))
    assert [h["title"] for h in hits] == [record()["title"]]
    assert list(store.db["articles"].search("turrets"))  # porter stemming
    hits = list(store.db["comments"].search("zeppelins"))
    assert [h["comment_id"] for h in hits] == ["102"]
    hits = rows(store, "SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'author:walker'")
    assert len(hits) == 1


def test_views(store):
    store.add_item(item())
    store.flush()
    [ov] = rows(store, "SELECT * FROM article_overview")
    assert ov["title"] == record()["title"] and ov["site"] == "19fortyfive"
    assert ov["authors"] == "Brent Eastwood, Harry Kazianis"
    assert ov["lead_image_credit"] == "Creative Commons."
    assert ov["comment_count"] == 3 and ov["word_count"] == 13
    assert ov["published_at"] == "2024-03-05T09:30:00-05:00"
    threads = rows(store, "SELECT * FROM comment_threads")
    assert [t["author"] for t in threads] == ["Walker", "Ghost Of Hoover",
                                             "Jacksonian Libertarian"]
    assert threads[1]["parent_author"] == "Walker" and threads[0]["parent_author"] is None
    assert {t["article_title"] for t in threads} == {record()["title"]}


def test_readding_same_item_only_bumps_last_seen(store):
    store.add_item(item())
    store.flush()
    before = content_snapshot(store)
    store.add_item(item(cap=capture(2)))  # a later capture, same content
    store.flush()
    assert content_snapshot(store) == before
    [art] = rows(store, "SELECT first_seen, last_seen FROM articles")
    assert art == {"first_seen": "2024-03-01T12:00:00Z", "last_seen": "2024-03-02T12:00:00Z"}
    seen = rows(store, "SELECT DISTINCT first_seen, last_seen FROM comments")
    assert seen == [{"first_seen": "2024-03-01T12:00:00Z",
                     "last_seen": "2024-03-02T12:00:00Z"}]
    assert store.db["captures"].count == 2


def test_same_item_and_capture_twice_changes_nothing(store):
    store.add_item(item())
    store.flush()
    before = content_snapshot(store), rows(store, "SELECT * FROM articles")
    store.add_item(item())
    store.flush()
    assert (content_snapshot(store), rows(store, "SELECT * FROM articles")) == before
    assert store.db["captures"].count == 1


def test_changed_body_adds_version(store):
    store.add_item(item())
    store.flush()
    rec = record(body_text=record()["body_text"] + "\n\nUpdated: a new paragraph.")
    store.add_item(item(rec, capture(2)))
    store.flush()
    versions = rows(store, "SELECT * FROM article_versions ORDER BY id")
    assert len(versions) == 2
    assert versions[1]["body_text"].endswith("a new paragraph.")
    assert versions[1]["seen_at"] == "2024-03-02T12:00:00Z"
    [art] = rows(store, "SELECT * FROM articles")
    assert art["content_hash"] == versions[1]["content_hash"] != versions[0]["content_hash"]
    assert list(store.db["articles"].search("paragraph"))


def test_older_capture_does_not_overwrite_newer(store):
    store.add_item(item(record(title="New title"), capture(2)))
    store.flush()
    store.add_item(item(record(title="Old title"), capture(1)))
    store.flush()
    [art] = rows(store, "SELECT * FROM articles")
    assert art["title"] == "New title"
    assert (art["first_seen"], art["last_seen"]) == ("2024-03-01T12:00:00Z",
                                                     "2024-03-02T12:00:00Z")


def test_capture_ids_resolve(store):
    page2 = capture(2, url=URL + "comment-page-2/")
    store.add_capture(page2)  # as the signal would, before the item
    store.add_item(item(comment_captures={"103": page2["warc_record_id"]}))
    store.flush()
    caps = {c["warc_record_id"]: c for c in rows(store, "SELECT * FROM captures")}
    first, second = caps[capture(1)["warc_record_id"]], caps[page2["warc_record_id"]]
    assert first["crawl_id"] == store.crawl_id and second["warc_offset"] == 2000
    [art] = rows(store, "SELECT capture_id FROM articles")
    assert art["capture_id"] == first["id"]
    by_id = {c["comment_id"]: c["capture_id"] for c in rows(store, "SELECT * FROM comments")}
    assert by_id == {"101": first["id"], "102": first["id"], "103": second["id"]}
    [img] = rows(store, "SELECT DISTINCT capture_id FROM images")
    assert img["capture_id"] == first["id"]
    [ver] = rows(store, "SELECT capture_id FROM article_versions")
    assert ver["capture_id"] == first["id"]


def test_authors_deduped_and_bio_filled(store):
    rec = record(authors=[{"name": "Harry Kazianis", "url": None, "bio": None}])
    store.add_item(item(rec))
    other = copy.deepcopy(rec)
    other.update(canonical_url=URL + "other/", url=URL + "other/",
                 authors=[{"name": "Harry Kazianis", "url": None, "bio": "Harry edits."}],
                 comments=[])
    store.add_item(item(other, capture(2, url=URL + "other/")))
    store.flush()
    assert rows(store, "SELECT name, bio FROM authors") == [
        {"name": "Harry Kazianis", "bio": "Harry edits."}]
    assert store.db["article_authors"].count == 2


def test_images_and_links_replaced(store):
    store.add_item(item())
    store.flush()
    rec = record(images=record()["images"][:1], related_links=[])
    store.add_item(item(rec, capture(2)))
    store.flush()
    assert store.db["images"].count == 1
    assert store.db["links"].count == 0


def test_comment_seen_deleted_and_new_comment(store):
    store.add_item(item())
    store.flush()
    comments = record()["comments"][:2] + [
        {"id": "104", "parent_id": "102", "author": "Walker", "author_url": None,
         "posted_at": "2023-02-05T08:00:00-05:00", "text": "Reply.", "depth": 3}]
    store.add_item(item(record(comments=comments), capture(2)))
    store.flush()
    got = {c["comment_id"]: c for c in rows(store, "SELECT * FROM comments")}
    assert got["103"]["deleted_at"] == "2024-03-02T12:00:00Z"
    assert got["101"]["deleted_at"] is None
    assert got["104"]["first_seen"] == "2024-03-02T12:00:00Z"
    assert got["101"]["first_seen"] == "2024-03-01T12:00:00Z"
    store.add_item(item(record(), capture(3)))  # it comes back
    store.flush()
    assert store.db["comments"].get(got["103"]["id"])["deleted_at"] is None


def test_generic_profile_comment_ids_scoped_by_host(store):
    a = record(site="wordpress", url="https://a.example/p/", canonical_url="https://a.example/p/")
    b = record(site="wordpress", url="https://b.example/p/", canonical_url="https://b.example/p/")
    store.add_item(item(a, capture(1, url=a["url"])))
    store.add_item(item(b, capture(2, url=b["url"])))
    store.flush()
    assert store.db["comments"].count == 6
    assert store.db["articles"].count == 2


def test_bad_item_does_not_sink_batch(store):
    bad = record(url=URL + "bad/", canonical_url=URL + "bad/")
    bad.pop("site")  # an item that cannot be written
    store.add_item(item(bad, capture(2)))
    store.add_item(item())
    counts = store.flush()
    assert counts["errors"] == 1 and counts["articles"] == 1
    assert store.db["articles"].count == 1
    assert store.db["captures"].count == 2


def test_unflushed_rows_are_not_half_written(tmp_path):
    path = tmp_path / "archive.sqlite"
    s = Store(path)
    s.add_item(item())
    # the process dies here: nothing flushed, the database is still valid and empty
    other = connect(path)
    assert other["articles"].count == 0 and other["captures"].count == 0
    s.flush()
    assert other["articles"].count == 1 and other["comments"].count == 3
    s.db.close()


def test_crawl_rows(store):
    import datetime as dt
    store.end_crawl({"start_time": dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc),
                     "item_scraped_count": 3})
    [crawl] = rows(store, "SELECT * FROM crawls")
    assert crawl["status"] == "finished" and crawl["finished_at"]
    assert '"start_time": "2024-03-01T00:00:00+00:00"' in crawl["stats"]
    assert crawl["settings"] == '{"BOT_NAME": "dca"}'


# -- the Scrapy pipeline ----------------------------------------------------------


def test_store_pipeline(tmp_path):
    from archive.signals import capture_written
    from scrapy import Spider, signals

    crawler = get_crawler(Spider, {"DCA_OUT_DIR": str(tmp_path), "DCA_STORE_BATCH": 2})
    crawler.spider = Spider(name="dca")
    crawler.stats.open_spider()
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    crawler.signals.send_catch_log(capture_written, capture=capture(1), request=None,
                                   response=None)
    crawler.signals.send_catch_log(capture_written, capture=capture(5, url=URL + "img.jpg"),
                                   request=None, response=None)
    pipe.process_item(item())
    pipe.close_spider()
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider,
                                   reason="finished")
    db = connect(tmp_path / "archive.sqlite")
    assert db["captures"].count == 2 and db["articles"].count == 1
    [crawl] = list(db.query("SELECT * FROM crawls"))
    assert crawl["status"] == "finished"
    assert '"DCA_STORE_BATCH": 2' in crawl["settings"]
    assert '"store/articles": 1' in crawl["stats"]
    assert crawler.stats.get_value("store/comments") == 3
    assert crawler.stats.get_value("store/captures") == 2


def test_failed_flush_rolls_back_and_keeps_buffer(store, monkeypatch):
    store.add_item(item())

    def boom(*args):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_capture_ids", boom)
    with pytest.raises(sqlite3.OperationalError):
        store.flush()
    assert store.db["captures"].count == 0  # the captures insert was rolled back
    monkeypatch.undo()
    assert store.flush()["articles"] == 1
    assert store.db["captures"].count == 1 and store.db["articles"].count == 1
