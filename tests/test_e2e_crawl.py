"""End to end: a real crawl of the loopback sample site into real WARC files and a real SQLite file.

One crawl serves the whole module; the server stays up so tests can compare what
was archived with what it sends.
"""

import gzip
import html
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawl_helpers import REPO, connect, crawl_log_text, last_crawl_stats, run_dca_crawl
from tests.sample_site.data import expected_record
from tests.sample_site.server import SampleSite

COMMENT_KEYS = ("id", "parent_id", "author", "author_url", "posted_at", "text", "depth")


@pytest.fixture(scope="module")
def site():
    with SampleSite(n_articles=36) as running:
        yield running


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("crawl")
    run_dca_crawl(site.base_url, out_dir)
    return out_dir


@pytest.fixture(scope="module")
def db(crawl):
    connection = connect(crawl / "archive.sqlite")
    yield connection
    connection.close()


def valid_articles(site):
    return [a for a in site.data.articles if not a.expect_invalid]


def article_row(db, expected):
    row = db.execute("SELECT * FROM articles WHERE canonical_url = ?", (expected["canonical_url"],)).fetchone()
    assert row is not None, f"article missing from the database: {expected['canonical_url']}"
    return row


def stored_comments(db, article_id):
    rows = db.execute(
        "SELECT comment_id, parent_comment_id, author, author_url, posted_at, text, depth"
        " FROM comments WHERE article_id = ? ORDER BY position", (article_id,)
    ).fetchall()
    return [dict(zip(COMMENT_KEYS, tuple(row))) for row in rows]


def test_every_valid_article_is_stored_with_its_fields(site, db):
    articles = valid_articles(site)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(articles)
    for article in articles:
        expected = expected_record(article, site.base_url)
        row = article_row(db, expected)
        for key in ("title", "subtitle", "body_text", "published_at", "modified_at"):
            assert row[key] == expected[key], f"{key} of {expected['canonical_url']}"


def test_authors_in_byline_order_with_bios(site, db):
    for article in valid_articles(site):
        expected = expected_record(article, site.base_url)
        row = article_row(db, expected)
        authors = db.execute(
            "SELECT au.name, au.url, au.bio FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
            " WHERE aa.article_id = ? ORDER BY aa.position", (row["id"],)
        ).fetchall()
        assert [tuple(a) for a in authors] == [(a["name"], a["url"], a["bio"]) for a in expected["authors"]]


def test_images_with_credits_and_promo_links(site, db):
    for article in valid_articles(site):
        expected = expected_record(article, site.base_url)
        row = article_row(db, expected)
        images = db.execute(
            "SELECT src, alt, caption, credit, is_lead FROM images WHERE article_id = ? ORDER BY position",
            (row["id"],),
        ).fetchall()
        assert [(i["src"], i["alt"], i["caption"], i["credit"], bool(i["is_lead"])) for i in images] == [
            (i["src"], i["alt"], i["caption"], i["credit"], i["is_lead"]) for i in expected["images"]
        ]
        links = db.execute(
            "SELECT url, text, label FROM links WHERE article_id = ? ORDER BY position", (row["id"],)
        ).fetchall()
        assert [tuple(link) for link in links] == [(l["url"], l["text"], l["label"]) for l in expected["related_links"]]


def test_comment_threads_exact_across_comment_pages(site, db):
    for article in valid_articles(site):
        expected = expected_record(article, site.base_url)
        row = article_row(db, expected)
        want = [{k: c[k] for k in COMMENT_KEYS} for c in expected["comments"]]
        assert stored_comments(db, row["id"]) == want, expected["canonical_url"]


def test_no_pingback_is_stored_and_totals_match(site, db):
    pingback_ids = {str(c.id) for a in site.data.articles for c in a.comments if c.kind != "comment"}
    real = sum(1 for a in valid_articles(site) for c in a.comments if c.kind == "comment")
    assert pingback_ids, "the sample site should mix pingbacks into its threads"
    assert real >= 300
    stored_ids = {r[0] for r in db.execute("SELECT comment_id FROM comments")}
    assert not stored_ids & pingback_ids
    assert len(stored_ids) == real
    assert db.execute("SELECT max(depth) FROM comments").fetchone()[0] >= 4


def test_invalid_page_is_counted_not_stored(site, db):
    invalid = [a for a in site.data.articles if a.expect_invalid]
    assert invalid
    for article in invalid:
        assert db.execute("SELECT count(*) FROM articles WHERE url LIKE ?", (f"%{article.slug}%",)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM captures WHERE url LIKE ?", (f"%{article.slug}%",)).fetchone()[0] >= 1
    stats = last_crawl_stats(db)
    assert sum(v for k, v in stats.items() if k.startswith("validate/dropped")) >= len(invalid)


def test_the_crawl_rows_stats_count_every_record_and_byte_of_the_warc(crawl, db):
    """Counted in the WARC writer's process and recorded by the store at the end: nothing
    the writer did after the last page (metadata records, closing the file) is missing."""
    stats = last_crawl_stats(db)
    files = sorted((crawl / "warc").glob("*.warc.gz"))
    types = [r.rec_type for path in files for r in ArchiveIterator(open(path, "rb"))]
    assert types.count("metadata") >= len(db.execute("SELECT id FROM articles").fetchall()) > 0
    assert stats["warc/metadata_records"] == types.count("metadata")
    assert stats["warc/records"] == len(types)
    assert stats["warc/bytes"] == sum(path.stat().st_size for path in files)
    assert stats["warc/files"] == len(files)


def test_robots_txt_is_obeyed(site, crawl):
    paths = [entry[1] for entry in site.request_log]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith(("/private/", "/wp-admin/"))]


def test_warcio_check_passes_on_every_warc(crawl):
    files = sorted((crawl / "warc").glob("*.warc.gz"))
    assert files
    warcio = Path(sys.executable).with_name("warcio")
    for path in files:
        result = subprocess.run([str(warcio), "check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_capture_row_points_at_its_record(crawl, db):
    rows = db.execute("SELECT * FROM captures").fetchall()
    assert len(rows) > 100
    for row in rows:
        path = crawl / "warc" / row["warc_file"]
        with open(path, "rb") as stream:
            stream.seek(row["warc_offset"])
            member = stream.read(row["warc_length"])
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == row["payload_digest"]
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]


def test_every_article_row_links_to_a_capture_of_its_url(db):
    rows = db.execute(
        "SELECT a.url, c.url AS capture_url, c.status FROM articles a JOIN captures c ON c.id = a.capture_id"
    ).fetchall()
    assert rows and all(r["url"] == r["capture_url"] and r["status"] == 200 for r in rows)
    orphans = db.execute("SELECT count(*) FROM comments WHERE capture_id IS NULL").fetchone()[0]
    assert orphans == 0


def responses_by_url(out_dir: Path) -> dict:
    responses = {}
    for path in sorted((out_dir / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    responses[url] = (record.http_headers, record.raw_stream.read())
    return responses


def test_gzip_stored_compressed_with_original_headers_and_repeated_headers_kept(site, crawl):
    responses = responses_by_url(crawl)
    gzipped = [(u, h, b) for u, (h, b) in responses.items() if h.get_header("Content-Encoding") == "gzip"]
    assert gzipped, "the sample site gzips some responses"
    for url, headers, body in gzipped:
        assert body[:2] == b"\x1f\x8b", url
        gzip.decompress(body)
        assert int(headers.get_header("Content-Length")) == len(body), url
    article = expected_record(valid_articles(site)[0], site.base_url)["url"]
    headers, _ = responses[article]
    cookies = [v for k, v in headers.headers if k.lower() == "set-cookie"]
    links = [v for k, v in headers.headers if k.lower() == "link"]
    assert len(cookies) == 2 and len(set(cookies)) == 2
    assert len(links) == 2


def test_redirect_404_and_requisites_are_archived(site, db):
    statuses = {r["status"] for r in db.execute("SELECT DISTINCT status FROM captures")}
    assert {200, 301, 404} <= statuses
    types = {r[0].split(";")[0] for r in db.execute("SELECT DISTINCT content_type FROM captures WHERE content_type IS NOT NULL")}
    assert {"text/css", "image/jpeg", "image/png"} <= types


def test_dca_extract_prints_the_record_the_crawl_stored(site, db, tmp_path):
    article = next(a for a in valid_articles(site) if not a.comments_per_page)
    expected = expected_record(article, site.base_url)
    saved = tmp_path / "page.html"
    saved.write_bytes(site.expected_response(urlsplit(expected["url"]).path).page.body)
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", str(saved), "--url", expected["url"], "--site", "dca-sample"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    record = json.loads(result.stdout)
    row = article_row(db, expected)
    for key in ("title", "subtitle", "body_text", "published_at", "modified_at", "canonical_url"):
        assert record[key] == row[key], key
    assert [{k: c[k] for k in COMMENT_KEYS} for c in record["comments"]] == stored_comments(db, row["id"])


def test_extraction_failure_is_counted_logged_archived_and_crawl_goes_on(site, tmp_path):
    victim = expected_record(valid_articles(site)[1], site.base_url)["url"]
    run_dca_crawl(
        site.base_url, tmp_path, "DCA_EXTRACTOR=tests.faulty_extractor.extract_page",
        env={"DCA_TEST_FAIL_ON": victim},
    )
    connection = connect(tmp_path / "archive.sqlite")
    stats = last_crawl_stats(connection)
    assert stats.get("extract/errors") == 1
    assert f"extraction failed for {victim}" in crawl_log_text(tmp_path)
    assert victim in responses_by_url(tmp_path)
    stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored == len(valid_articles(site)) - 1
    assert connection.execute("SELECT count(*) FROM articles WHERE url = ?", (victim,)).fetchone()[0] == 0


def test_robots_txt_holds_for_the_first_requests_of_a_crawl(site, tmp_path):
    """Every start request (root, sitemaps, feed) of a disallowed root is refused, not only the first."""
    before = len(site.request_log)
    run_dca_crawl(site.base_url + "/private/archive/", tmp_path)
    paths = [entry[1] for entry in site.request_log[before:]]
    assert not [p for p in paths if p.startswith("/private/")], paths


def http_get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_pywb_replays_articles_and_raw_mode_returns_the_served_bytes(site, crawl):
    from archive.replay import ReplayServer

    articles = valid_articles(site)
    chosen = [a for a in articles if a.index % 3 == 1][:1] + [a for a in articles if a.index % 3 == 0][:1]
    with ReplayServer(crawl) as server:
        for article in chosen:
            expected = expected_record(article, site.base_url)
            path = urlsplit(expected["url"]).path
            sent = [e for e in site.requests() if e.path == path][0]
            accept = sent.headers.get("accept-encoding", [""])[0]
            served = site.fetch_exact(path, accept_encoding=accept)
            status, raw = http_get(server.replay_url(expected["url"], raw=True), {"Accept-Encoding": accept})
            assert status == 200
            assert raw == served.body, f"id_ replay differs from what the server sent for {path}"
            status, page = http_get(server.replay_url(expected["url"]))
            assert status == 200
            assert html.escape(expected["title"], quote=False).encode() in page
