"""Comment threads of the real saved pages in ../shared/pages, beyond the manifest facts
that tests/test_golden_pages.py checks (count, pingbacks, maximum depth, first comment).

Here: the thread is consistent (parents before replies, depth = parent's depth + 1),
the reply form never becomes a comment, the site's claimed count is read where the page
shows one, bypostauthor is carried over, dates are read, and script-loaded systems are
named with their thread id. Counts below come from the manifest's notes; everything else
is read from the page itself with plain lxml, never copied. Skipped when the folder is absent.
"""
import logging
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.test_golden_pages import MANIFEST, PAGES, _entries, record_for

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{PAGES} not present")

ENTRIES = {e["file"]: e for e in _entries()}
THREADS = [f for f, e in ENTRIES.items() if e["facts"].get("comment_count")]

# The number each page claims in its comments heading (or its "N Comments" link to #comments),
# as the manifest's notes give it; the count on the page may differ (netzpolitik: 74 of 91).
DECLARED = {
    "wordpresscom-diverse.html": 13, "foxyfolksy-comments.html": 80, "blisterreview.html": 22,
    "politicalinsider.html": 14, "jacobbrazeal.html": 25, "netzpolitik-comments.html": 91,
    "flawlessfood-comments.html": 24, "danwang-letter.html": 17,
}
# Comments per depth, from the manifest's notes.
DEPTHS = {
    "foxyfolksy-comments.html": {1: 39, 2: 37, 3: 3, 4: 1},
    "netzpolitik-comments.html": {1: 36, 2: 17, 3: 10, 4: 7, 5: 4},
    "wordpresscom-diverse.html": {1: 10, 2: 2, 3: 1},
    "danwang-letter.html": {1: 16, 2: 1},
    "flawlessfood-comments.html": {1: 13, 2: 11},
}
YEARLESS_DATES = {"wordpresscom-diverse.html"}  # "Jun 20th at 2:41 am": no year to place it in


def page(file):
    return lxml.html.fromstring((PAGES / file).read_bytes())


def ids(file):
    return pytest.mark.parametrize("file", file, ids=lambda f: f.rsplit(".", 1)[0])


@ids(THREADS)
def test_thread_is_consistent(file):
    comments = record_for(ENTRIES[file])["comments"]
    seen: dict[str, int] = {}
    for c in comments:
        assert c["id"] not in seen, f"duplicate comment {c['id']}"
        if c["parent_id"] is None:
            assert c["depth"] == 1, c["id"]
        else:
            assert c["parent_id"] in seen, f"{c['id']} before its parent {c['parent_id']}"
            assert c["depth"] == seen[c["parent_id"]] + 1, c["id"]
        seen[c["id"]] = c["depth"]


@ids(list(DEPTHS))
def test_depth_histogram(file):
    comments = record_for(ENTRIES[file])["comments"]
    histogram: dict[int, int] = {}
    for c in comments:
        histogram[c["depth"]] = histogram.get(c["depth"], 0) + 1
    assert histogram == DEPTHS[file]


@ids(list(DECLARED))
def test_declared_count(file):
    assert record_for(ENTRIES[file])["declared_comment_count"] == DECLARED[file]


@ids(THREADS)
def test_the_reply_form_is_never_a_comment(file):
    doc = page(file)
    form_texts = {" ".join(p.text_content().split()) for p in doc.xpath(
        "//*[@id='respond' or contains(@class,'comment-respond')]//p | //form//p")}
    form_texts = {t for t in form_texts if len(t) >= 20}  # not "Name", "Email": words a comment may use
    comments = record_for(ENTRIES[file])["comments"]
    assert comments and all(c["text"] for c in comments)
    for c in comments:
        assert not any(t in c["text"] for t in form_texts), c["id"]


@ids(THREADS)
def test_comment_ids_and_bypostauthor_as_marked_up(file):
    """Every comment is an li carrying its id (li#comment-N, li#li-comment-N); bypostauthor
    on that li is by_post_author."""
    doc = page(file)
    comments = record_for(ENTRIES[file])["comments"]
    for c in comments:
        li = doc.xpath(f"//li[@id='comment-{c['id']}' or @id='li-comment-{c['id']}']")
        assert len(li) == 1, c["id"]
        assert c["by_post_author"] == ("bypostauthor" in (li[0].get("class") or "").split()), c["id"]
    if file in ("flawlessfood-comments.html",):  # every reply there is the post author's
        assert all(c["by_post_author"] for c in comments if c["depth"] > 1)


@ids(THREADS)
def test_dates_are_read_or_reported(file, caplog):
    entry = ENTRIES[file]
    from crawler.extract import extract_page

    with caplog.at_level(logging.WARNING, logger="crawler.extract.comments"):
        record = extract_page(entry["url"], (PAGES / file).read_bytes(), content_type="text/html")
    dates = [c["posted_at"] for c in record["comments"]]
    if file in YEARLESS_DATES:
        assert dates and all(d is None for d in dates)
        assert sum("unreadable date" in r.getMessage() for r in caplog.records) == len(dates)
    else:
        assert all(dates), [c["id"] for c in record["comments"] if not c["posted_at"]]


@ids(THREADS)
def test_native_threads_name_wordpress_and_the_post(file):
    record = record_for(ENTRIES[file])
    assert (record["comments_system"], record["comments_thread_id"]) == ("wordpress", None)
    doc = page(file)
    body_class = doc.xpath("string(//body/@class)").split()
    if any(c.startswith("postid-") for c in body_class):
        assert f"postid-{record['post_id']}" in body_class
    else:  # WordPress.com: the post's element id
        assert doc.xpath(f"//*[@id='post-{record['post_id']}']")
    if record["api_root"]:
        assert urlsplit(record["api_root"]).path == "/wp-json/"


def test_script_loaded_systems():
    def system(file):
        record = record_for(ENTRIES[file])
        assert record["comments"] == [] and record["comment_count"] == 0
        return record["comments_system"], record["comments_thread_id"]

    md = ENTRIES["moderndiplomacy-ukraine.html"]
    post_id = record_for(md)["post_id"]
    # what the Disqus iframe on the saved page asked for: the WordPress plugin's "ID SHORTLINK"
    assert system(md["file"]) == ("disqus", f"{post_id} https://{urlsplit(md['url']).netloc}/?p={post_id}")
    assert system("nationalinterest-kim.html") == ("disqus", None)      # an empty placeholder only
    tc = record_for(ENTRIES["techcrunch-image-credits.html"])
    assert system("techcrunch-image-credits.html") == ("openweb", tc["post_id"])
    name, thread = system("ottawacitizen-defence-watch.html")
    assert name == "viafoura" and thread
    name, thread = system("telegraph-zimbabwe.html")
    assert name == "livefyre" and thread
    assert system("aviationist-su24.html") == (None, None)
