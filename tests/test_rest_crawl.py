"""Comment threads from the WordPress REST API: a real crawl of the 38-article sample site.

The site (tests/sample_site, SPEC.md "The WordPress REST API") answers the API
for fortyfive and gutenberg articles and 401 for classic ones; index 36 is a
Disqus article, index 37 the 343-comment thread on 5 comment pages. One crawl
and one rebuild of its WARC files serve the module.
"""

import math
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.rebuild import comparable_tables, rebuild
from crawler import pages
from crawler.extract import extract_page
from crawler.extract.comments import comment_page_number
from crawler.sites import get_profile
from tests.crawl_helpers import connect, crawl_log_text, last_crawl_stats, run_dca_crawl
from tests.sample_site.data import BIG_THREAD, DISQUS, build_site, expected_record
from tests.sample_site.server import SampleSite

COMMENT_KEYS = ("id", "parent_id", "author", "author_url", "posted_at", "text", "depth", "by_post_author")


@pytest.fixture(scope="module")
def site():
    with SampleSite(n_articles=38) as running:
        yield running


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("rest-crawl")
    run_dca_crawl(site.base_url, out)
    return out


@pytest.fixture(scope="module")
def db(crawl):
    connection = connect(crawl / "archive.sqlite")
    yield connection
    connection.close()


def valid_articles(site):
    return [a for a in site.data.articles if not a.expect_invalid]


def article_row(db, article, base):
    canonical = expected_record(article, base)["canonical_url"]
    row = db.execute("SELECT * FROM articles WHERE canonical_url = ?", (canonical,)).fetchone()
    assert row is not None, f"article missing: {canonical}"
    return row


def stored_comments(db, article_id):
    rows = db.execute(
        "SELECT comment_id, parent_comment_id, author, author_url, posted_at, text, depth, by_post_author"
        " FROM comments WHERE article_id = ? ORDER BY position", (article_id,)).fetchall()
    return [dict(zip(COMMENT_KEYS, (*row[:-1], bool(row[-1])))) for row in rows]


def rest_responses(warc_dir):
    """(url, status) of every REST response record in the WARC files."""
    found = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type in ("response", "revisit") and "/wp-json/" in url:
                    found.append((url, int(record.http_headers.get_statuscode())))
    return found


def test_rest_responses_are_archived_one_post_and_every_comments_page(site, crawl):
    responses = rest_responses(crawl / "warc")
    by_post: dict[str, list] = {}
    for url, status in responses:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.path.endswith("/wp/v2/comments"):
            assert query["per_page"] == ["100"] and query["order"] == ["asc"], url
            by_post.setdefault(query["post"][0], []).append(("comments", int(query["page"][0]), status))
        else:
            post_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
            by_post.setdefault(post_id, []).append(("post", None, status))
    for article in site.data.articles:
        asked = sorted(by_post.get(str(article.post_id), []), key=repr)
        if article.index == DISQUS:
            assert asked == [], "a Disqus thread has nothing to ask the WordPress API"
        elif not article.rest_api:
            assert asked == [("post", None, 401)], article.index  # the first 401 ends the REST part
        elif not article.expect_invalid:
            n = len([c for c in article.comments if not c.is_ping])
            pages_ = max(1, math.ceil(n / 100))
            expected = [("comments", p, 200) for p in range(1, pages_ + 1)] + [("post", None, 200)]
            assert asked == sorted(expected, key=repr), article.index


def assert_every_articles_comments_equal_the_ground_truth(site, db):
    base = site.base_url
    for article in valid_articles(site):
        expected = expected_record(article, base)
        row = article_row(db, article, base)
        got = stored_comments(db, row["id"])
        want = [{k: c.get(k, False) for k in COMMENT_KEYS} for c in expected["comments"]]
        assert got == want, f"comments of article {article.index}"
        assert row["comment_count"] == len(want)


def test_every_articles_comments_equal_the_ground_truth(site, db):
    assert_every_articles_comments_equal_the_ground_truth(site, db)


def test_comments_of_rest_articles_point_at_the_rest_capture(site, db):
    rows = db.execute(
        "SELECT a.canonical_url, cap.url FROM comments c JOIN articles a ON a.id = c.article_id"
        " JOIN captures cap ON cap.id = c.capture_id").fetchall()
    by_article: dict[str, set] = {}
    for canonical, url in rows:
        by_article.setdefault(canonical, set()).add("rest" if "/wp-json/wp/v2/comments" in url else "html")
    for article in valid_articles(site):
        if not article.comments:
            continue
        sources = by_article[article.permalink(site.base_url)]
        assert sources == ({"rest"} if article.rest_api else {"html"}), article.index


def test_the_big_thread_has_all_343_comments_over_four_rest_pages(site, db):
    article = site.data.articles[BIG_THREAD]
    row = article_row(db, article, site.base_url)
    assert db.execute("SELECT count(*) FROM comments WHERE article_id = ?", (row["id"],)).fetchone()[0] == 343
    assert db.execute("SELECT max(depth) FROM comments WHERE article_id = ?", (row["id"],)).fetchone()[0] == 6
    assert row["pingback_count"] == 3 and row["declared_comment_count"] == 346
    counts = db.execute("SELECT comment_count, complete FROM comment_counts WHERE article_id = ?",
                        (row["id"],)).fetchall()
    assert [tuple(c) for c in counts] == [(343, 1)]


def test_classic_articles_keep_their_html_comments_and_the_401_is_counted(site, crawl, db):
    classic = [a for a in valid_articles(site) if not a.rest_api]
    assert classic
    for article in classic:
        row = article_row(db, article, site.base_url)
        assert row["comments_system"] == "wordpress" and row["post_id"] == str(article.post_id)
    stats = last_crawl_stats(db)
    refused = [u for u, status in rest_responses(crawl / "warc") if status == 401]
    assert stats["comments/rest_failed"] == len(refused) == len([a for a in site.data.articles if not a.rest_api])
    log = crawl_log_text(crawl)
    assert f"REST API not used for this thread: {refused[0]} (HTTP 401)" in log
    assert stats["comments/threads/complete"] >= len(valid_articles(site))
    assert "comments/threads/incomplete" not in stats


def test_the_disqus_article_stores_its_system_and_thread_id_and_no_comments(site, db):
    article = site.data.articles[DISQUS]
    row = article_row(db, article, site.base_url)
    assert row["comments_system"] == "disqus"
    assert row["comments_thread_id"] == article.disqus_identifier(site.base_url)
    assert db.execute("SELECT count(*) FROM comments WHERE article_id = ?", (row["id"],)).fetchone()[0] == 0


def test_rebuild_from_the_warc_gives_an_equal_database(crawl, tmp_path):
    db = tmp_path / "rebuilt.sqlite"
    report = rebuild(crawl / "warc", db, workers=1)
    assert not report.damaged and not report.extract_errors
    crawled, again = comparable_tables(crawl / "archive.sqlite"), comparable_tables(db)
    for table in ("comments", "comment_counts", "articles", "comment_versions"):
        assert crawled[table], table
    for table in crawled:
        assert crawled[table] == again[table], f"table {table} differs between crawl and rebuild"


def test_cpage_and_comment_page_urls_merge_into_one_thread(site):
    """The big thread serves each comment page both as /comment-page-N/ and ?cpage=N: one thread, each page once."""
    article, base = site.data.articles[BIG_THREAD], site.base_url
    profile = get_profile("dca-sample")

    def record_of(url):
        page = site.fetch_exact(urlsplit(url)._replace(scheme="", netloc="").geturl())
        assert page.status == 200, url
        return extract_page(url, page.decoded, content_type=page.header("Content-Type"), profile=profile)

    for first in (article.permalink(base), article.permalink(base) + "?cpage=1"):
        thread = pages.ArticleThread(record_of(first), None, rest_api=False, timezone=profile.timezone)
        asked = []
        while (url := thread.next_url()) is not None:
            n = comment_page_number(url)
            asked.append(n)
            # every other page is fetched in the other URL form (as a redirect would deliver it)
            other = article.permalink(base) + f"?cpage={n}" if n % 2 == 0 else url
            thread.add(record_of(other), None)
        assert sorted(asked) == [2, 3, 4, 5]
        item = thread.item()
        assert item["complete"]
        expected = expected_record(article, base)["comments"]
        assert [c["id"] for c in item["record"]["comments"]] == [c["id"] for c in expected]


def thread_for(site, article, profile):
    """An ArticleThread started from the article page as served, with the REST API on."""
    base = site.base_url
    page = site.fetch_exact(article.path)
    record = extract_page(base + article.path, page.decoded, content_type=page.header("Content-Type"),
                          profile=profile)
    return pages.ArticleThread(record, None, rest_api=True, timezone=profile.timezone)


def answer(site, thread, url, body=None):
    page = site.fetch_exact(urlsplit(url)._replace(scheme="", netloc="").geturl(), accept_encoding=None)
    headers = pages.header_values(page.headers)
    return thread.add_rest(page.decoded if body is None else body, headers, None)


def test_bad_json_or_no_answer_ends_the_rest_part_and_the_item_comes_from_the_html(site):
    profile = get_profile("dca-sample")
    article = next(a for a in valid_articles(site) if a.rest_api and len(a.comments) > 3 and not a.comments_per_page)
    expected = expected_record(article, site.base_url)
    html_only = pages.ArticleThread(thread_for(site, article, profile).records[0], None, rest_api=False).item()

    # truncated JSON for the comments page
    thread = thread_for(site, article, profile)
    post = thread.next_url()
    assert post.endswith(f"/wp-json/wp/v2/posts/{article.post_id}") and thread.awaited_kind == pages.REST_POST
    assert answer(site, thread, post) is None
    comments = thread.next_url()
    assert thread.awaited_kind == pages.REST_COMMENTS and f"post={article.post_id}" in comments
    assert answer(site, thread, comments, body=b'[{"id": 1, "post"') == "not a JSON list of comments"
    assert thread.next_url() is None
    item = thread.item()
    assert item["record"] == html_only["record"] and item["complete"]
    assert [c["id"] for c in item["record"]["comments"]] == [c["id"] for c in expected["comments"]]

    # no answer at all (a network failure): the same
    thread = thread_for(site, article, profile)
    thread.next_url()
    thread.failed()
    assert thread.next_url() is None and thread.item()["record"] == html_only["record"]

    # every REST answer good: the REST source is recorded
    thread = thread_for(site, article, profile)
    while (url := thread.next_url()) is not None:
        assert answer(site, thread, url) is None
    item = thread.item()
    assert item["complete"] and item["record"]["sources"]["comments"] == "rest+selector"
    assert [c["id"] for c in item["record"]["comments"]] == [c["id"] for c in expected["comments"]]


def test_the_rebuild_tracker_closes_a_thread_whose_rest_answer_was_never_captured(site):
    """As after a crawl with DCA_REST_API=0, or a REST request that got no response."""
    profile = get_profile("dca-sample")
    article = next(a for a in valid_articles(site) if a.rest_api and a.comments)
    record = thread_for(site, article, profile).records[0]
    tracker = pages.CommentPageTracker()
    assert tracker.start(record, None, profile.timezone) == []  # waits for the REST post
    assert len(tracker.awaiting) == 1
    again = tracker.start(record, None, profile.timezone)        # the article captured again
    assert len(again) == 1 and again[0]["complete"] and again[0]["record"]["comments"] == record["comments"]
    finished = tracker.finish()
    assert len(finished) == 1 and not tracker.open and not tracker.awaiting


def test_without_x_wp_totalpages_the_thread_reads_pages_until_wordpress_says_there_are_no_more(site):
    """A proxy that drops WordPress's paging headers, and a site that caps per_page at 50 (below
    the 100 asked for): every page is still read, and the 400 past the last one ends the thread."""
    profile = get_profile("dca-sample")
    article = site.data.articles[BIG_THREAD]
    thread = thread_for(site, article, profile)
    asked = []
    while (url := thread.next_url()) is not None:
        path = urlsplit(url)._replace(scheme="", netloc="").geturl()
        if thread.awaited_kind == pages.HTML:
            page = site.fetch_exact(path)
            thread.add(extract_page(url, page.decoded, content_type=page.header("Content-Type"), profile=profile), None)
            continue
        page = site.fetch_exact(path.replace("per_page=100", "per_page=50"), accept_encoding=None)
        asked.append(parse_qs(urlsplit(url).query).get("page"))
        headers = {name: value for name, value in pages.header_values(page.headers).items()
                   if not name.startswith("x-wp-total") and name != "link"}
        if page.status == 200:
            assert thread.add_rest(page.decoded, headers, None) is None
        else:
            thread.failed(page.status, page.decoded)
    # the post, 7 pages of 50 (343 comments), then page 8: 400 rest_comment_invalid_page_number
    assert asked == [None] + [[str(n)] for n in range(1, 9)]
    item = thread.item()
    assert item["complete"] and item["record"]["sources"]["comments"] == "rest+selector"
    expected = expected_record(article, site.base_url)["comments"]
    assert len(expected) == 343
    assert [c["id"] for c in item["record"]["comments"]] == [c["id"] for c in expected]


def test_a_rest_error_that_is_no_page_number_error_still_ends_the_rest_part(site):
    profile = get_profile("dca-sample")
    article = next(a for a in valid_articles(site) if a.rest_api and a.comments and not a.comments_per_page)
    thread = thread_for(site, article, profile)
    html_only = pages.ArticleThread(thread.records[0], None, rest_api=False).item()
    assert answer(site, thread, thread.next_url()) is None               # the post
    first = thread.next_url()
    page = site.fetch_exact(urlsplit(first)._replace(scheme="", netloc="").geturl(), accept_encoding=None)
    assert thread.add_rest(page.decoded, {}, None) is None               # page 1, no paging headers
    assert thread.next_url() is not None                                 # so page 2 is asked for
    thread.failed(400, b'{"code":"rest_invalid_param","message":"Invalid parameter(s): page"}')
    assert thread.next_url() is None
    assert thread.item()["record"] == html_only["record"]


def test_a_crawl_of_a_site_whose_rest_paging_headers_are_gone_stores_every_comment(tmp_path):
    """As behind a proxy that drops X-WP-TotalPages and Link, on a site that serves 50 comments
    a page whatever is asked: the spider reads pages until the 400 past the last, which it
    neither counts nor logs as a failure, and the rebuild takes the same decisions."""
    data = build_site(38, 7, 0)
    data.rest_per_page_cap, data.rest_paging_headers = 50, False
    with SampleSite(data=data) as site:
        run_dca_crawl(site.base_url, tmp_path)
        big = site.data.articles[BIG_THREAD]
        big_pages = sorted((int(parse_qs(urlsplit(url).query)["page"][0]), status)
                           for url, status in rest_responses(tmp_path / "warc")
                           if f"post={big.post_id}&" in url)
        assert big_pages == [(n, 200) for n in range(1, 8)] + [(8, 400)]
        db = connect(tmp_path / "archive.sqlite")
        assert_every_articles_comments_equal_the_ground_truth(site, db)
        stats = last_crawl_stats(db)
        assert stats["comments/rest_failed"] == len([a for a in site.data.articles if not a.rest_api])
        assert "comments/threads/incomplete" not in stats
        assert "(HTTP 400)" not in crawl_log_text(tmp_path)
    rebuilt = tmp_path / "rebuilt.sqlite"
    assert not rebuild(tmp_path / "warc", rebuilt, workers=1).damaged
    crawled, again = comparable_tables(tmp_path / "archive.sqlite"), comparable_tables(rebuilt)
    for table in ("comments", "comment_counts", "articles"):
        assert crawled[table] == again[table], f"table {table} differs between crawl and rebuild"
