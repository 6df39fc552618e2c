"""The WordPress REST API source (crawler/extract/rest.py) against the sample site's API,
whose ground truth (expected_api_comments, expected_record) is the oracle, and against
small invented answers where the API and the HTML disagree."""
import json
import logging

import pytest

from crawler.extract import extract_page, merge_comment_pages, rest
from crawler.sites import get_profile

data = pytest.importorskip("tests.sample_site.data")
render_mod = pytest.importorskip("tests.sample_site.render")

BASE = "http://127.0.0.1:8765"
API = BASE + "/wp-json/"
NY = "America/New_York"
PROFILE = get_profile("dca-sample")
SITE38 = data.build_site(38)
KEYS = ("id", "parent_id", "author", "author_url", "posted_at", "text", "depth", "by_post_author")


# -- URLs ----------------------------------------------------------------------
def test_urls_under_both_api_roots():
    assert rest.comments_url(API, 90000) == (
        BASE + "/wp-json/wp/v2/comments?post=90000&per_page=100&page=1&order=asc")
    assert rest.comments_url(BASE + "/wp-json", "7", page=3).endswith("/wp-json/wp/v2/comments?post=7&per_page=100&page=3&order=asc")
    assert rest.post_url(API, 90000) == BASE + "/wp-json/wp/v2/posts/90000"
    plain = BASE + "/?rest_route=/"
    assert rest.comments_url(plain, 5, 2) == BASE + "/?rest_route=/wp/v2/comments&post=5&per_page=100&page=2&order=asc"
    assert rest.post_url(plain, 5) == BASE + "/?rest_route=/wp/v2/posts/5"


def test_is_rest_url():
    assert rest.is_rest_url(BASE + "/wp-json/wp/v2/comments?post=1")
    assert rest.is_rest_url(BASE + "/wp-json/")
    assert rest.is_rest_url(BASE + "/wp-json")
    assert rest.is_rest_url(BASE + "/?rest_route=/wp/v2/posts/5")
    assert not rest.is_rest_url(BASE + "/2024/03/05/wp-jsonish/")
    assert not rest.is_rest_url(BASE + "/?p=5")


def test_urls_the_sample_site_answers():
    article = SITE38.articles[data.BIG_THREAD]
    for api_root in (API, BASE + "/?rest_route=/"):
        page = _get(rest.comments_url(api_root, article.post_id, 2))
        assert page.status == 200
        assert json.loads(page.body) == data.expected_api_comments(article, BASE)[100:200]
        assert _get(rest.post_url(api_root, article.post_id)).status == 200


# -- parsing -------------------------------------------------------------------
def _get(url: str, site=SITE38):
    return render_mod.render(site, url[len(BASE):], BASE)


def _rest_pages(site, article) -> list[dict]:
    pages, number = [], 1
    while True:
        response = _get(rest.comments_url(API, article.post_id, number), site)
        parsed = rest.parse_comments_page(response.body, dict(response.headers), NY)
        pages.append(parsed)
        if number >= (parsed["total_pages"] or 0):
            return pages
        number += 1


def _post(site, article):
    return rest.parse_post(_get(rest.post_url(API, article.post_id), site).body, NY)


def test_parse_comments_page_of_the_big_thread():
    article = SITE38.articles[data.BIG_THREAD]
    pages = _rest_pages(SITE38, article)
    api = data.expected_api_comments(article, BASE)
    assert len(pages) == 4 and [p["total_pages"] for p in pages] == [4] * 4
    assert all(p["total"] == len(api) for p in pages)
    got = [c for p in pages for c in p["comments"]]
    truth = {c["id"]: c for c in data.expected_record(article, BASE)["comments"]}
    assert [c["id"] for c in got] == [str(c["id"]) for c in api]
    for c in got:
        want = truth[c["id"]]
        assert (c["parent_id"], c["author"], c["author_url"], c["posted_at"], c["text"]) == (
            want["parent_id"], want["author"], want["author_url"], want["posted_at"], want["text"])
        assert c["depth"] is None


def test_parse_post():
    article = SITE38.articles[data.BIG_THREAD]
    post = _post(SITE38, article)
    assert post == {
        "post_id": str(article.post_id), "title": article.title,
        "published_at": data.iso(article.published),
        "modified_at": data.iso(article.modified or article.published),
        "author_id": data.author_user_id(article.authors[0].slug),
    }


@pytest.mark.parametrize("body", [
    b'{"code":"rest_forbidden","message":"Sorry, you are not allowed to do that.","data":{"status":401}}',
    b"<!doctype html><html><body>Not JSON</body></html>", b'[{"id": 1, "content"', b"", b"[1, 2]",
])
def test_bad_answers_are_refused_with_a_reason(body, caplog):
    with caplog.at_level(logging.WARNING, logger="crawler.extract.rest"):
        assert rest.parse_comments_page(body, {}, NY) is None
        assert rest.parse_post(body, NY) is None
    assert len(caplog.records) == 2


def test_a_classic_article_answers_401():
    article = next(a for a in SITE38.articles if not a.rest_api)
    response = _get(rest.comments_url(API, article.post_id))
    assert response.status == 401 and rest.parse_comments_page(response.body, dict(response.headers), NY) is None


def test_junk_fields_are_kept_as_nulls(caplog):
    body = json.dumps([
        {"id": 5, "parent": 0, "author_name": "", "date_gmt": "yesterday", "content": {"rendered": ""}},
        {"id": "x"}, {"id": 6, "parent": 5, "author_name": "Kit", "date": "2024-03-05T09:30:00",
                      "content": {"rendered": "<p>a &amp; b</p>\n<blockquote><p>quoted</p></blockquote>"}},
    ]).encode()
    with caplog.at_level(logging.WARNING, logger="crawler.extract.rest"):
        page = rest.parse_comments_page(body, {"x-wp-total": "2", "X-WP-TotalPages": "1"}, NY)
    assert page["total"] == 2 and page["total_pages"] == 1
    first, second = page["comments"]
    assert (first["author"], first["posted_at"], first["text"]) == (None, None, None)
    assert second["parent_id"] == "5" and second["posted_at"] == "2024-03-05T09:30:00-05:00"
    assert second["text"] == "a & b\n\nquoted"
    assert sum("no readable" in r.getMessage() for r in caplog.records) == 3
    assert any("without an id" in r.getMessage() for r in caplog.records)


# -- reconciliation over the sample site -----------------------------------------
def html_record(site, article) -> dict:
    pages = []
    for n in range(1, article.n_comment_pages + 1):
        page = render_mod.render(site, article.comment_page_path(n), BASE)
        pages.append(extract_page(BASE + article.comment_page_path(n), page.body,
                                  content_type=page.content_type, profile=PROFILE))
    return merge_comment_pages(pages)


def _comments(record) -> list[dict]:
    return [{k: c.get(k) for k in KEYS} for c in record["comments"]]


def _expected_comments(article) -> list[dict]:
    return [{k: c.get(k) for k in KEYS} for c in data.expected_record(article, BASE)["comments"]]


@pytest.mark.parametrize("day", [0, 1])
def test_rest_over_html_gives_the_ground_truth(day):
    site = data.build_site(38, day=day)
    checked = 0
    for article in site.articles:
        if not article.rest_api or not article.comments:
            continue
        record = html_record(site, article)
        out = rest.apply_rest(record, _post(site, article), _rest_pages(site, article), True)
        assert _comments(out) == _expected_comments(article), article.index
        assert out["comment_count"] == len(out["comments"]) and out["sources"]["comments"] == "rest+selector"
        expected = data.expected_record(article, BASE)
        assert (out["title"], out["published_at"], out["modified_at"]) == (
            expected["title"], expected["published_at"], expected["modified_at"])
        assert out["sources"]["title"] == out["sources"]["published_at"] == "rest"
        assert record["sources"]["title"] != "rest"  # the input record is left alone
        checked += 1
    assert checked >= 20


def test_rest_alone_gives_the_thread_of_the_big_article():
    """Only comment page 1 of the HTML, the whole thread from the API: every comment of
    the other pages is placed by its parent or, top level, by date, as the pages show it."""
    article = SITE38.articles[data.BIG_THREAD]
    page = render_mod.render(SITE38, article.path, BASE)
    first = extract_page(BASE + article.path, page.body, content_type=page.content_type, profile=PROFILE)
    out = rest.apply_rest(first, _post(SITE38, article), _rest_pages(SITE38, article), True)
    assert _comments(out) == _expected_comments(article)


# -- reconciliation when the sources disagree -------------------------------------
def _api_comment(cid, parent, text, minute, author="Reader", user=0):
    return {"id": cid, "post": 1, "parent": parent, "author": user, "author_name": author, "author_url": "",
            "date": None, "date_gmt": f"2024-03-05T15:{minute:02d}:00", "content": {"rendered": f"<p>{text}</p>\n"}}


def _html_comment(cid, parent, text, minute, depth, author="Reader"):
    return {"id": str(cid), "parent_id": str(parent) if parent else None, "author": author, "author_url": None,
            "posted_at": f"2024-03-05T10:{minute:02d}:00-05:00", "text": text, "depth": depth,
            "by_post_author": False}


def _page(items):
    return rest.parse_comments_page(json.dumps(items).encode(), {"X-WP-Total": str(len(items)), "X-WP-TotalPages": "1"}, NY)


def _record(comments):
    return {"url": "http://x.example/a/", "title": "T", "comments": comments, "comment_count": len(comments),
            "sources": {"comments": "selector"}}


def test_a_comment_only_in_the_api_goes_after_its_parents_subtree():
    html = [_html_comment(1, 0, "one", 1, 1), _html_comment(2, 1, "two", 2, 2), _html_comment(3, 2, "three", 3, 3),
            _html_comment(4, 0, "four", 4, 1)]
    api = [_api_comment(1, 0, "one", 1), _api_comment(2, 1, "two", 2), _api_comment(3, 2, "three", 3),
           _api_comment(4, 0, "four", 4), _api_comment(5, 1, "late reply", 9), _api_comment(6, 0, "late top", 8)]
    out = rest.apply_rest(_record(html), None, [_page(api)], True)
    assert [(c["id"], c["parent_id"], c["depth"]) for c in out["comments"]] == [
        ("1", None, 1), ("2", "1", 2), ("3", "2", 3), ("5", "1", 2), ("4", None, 1), ("6", None, 1)]
    assert out["comment_count"] == 6 and out["sources"]["comments"] == "rest+selector"


def test_a_parent_only_in_the_api():
    """The page shows a reply as top level (its parent held back); the API knows the parent."""
    html = [_html_comment(1, 0, "one", 1, 1), _html_comment(3, 0, "orphan", 3, 1)]
    api = [_api_comment(1, 0, "one", 1), _api_comment(2, 0, "hidden parent", 2), _api_comment(3, 2, "orphan", 3)]
    out = rest.apply_rest(_record(html), None, [_page(api)], True)
    assert [(c["id"], c["parent_id"], c["depth"]) for c in out["comments"]] == [
        ("1", None, 1), ("2", None, 1), ("3", "2", 2)]


def test_a_reply_whose_parent_is_gone_keeps_its_parent_id():
    html = [_html_comment(7, 6, "reply to a deleted comment", 5, 2)]
    out = rest.apply_rest(_record(html), None, [_page([_api_comment(7, 6, "reply to a deleted comment", 5)])], True)
    assert [(c["id"], c["parent_id"], c["depth"]) for c in out["comments"]] == [("7", "6", 2)]


def test_a_text_edit_only_in_the_api_wins_and_html_order_is_kept(caplog):
    html = [_html_comment(2, 0, "second, earlier on the page", 2, 1), _html_comment(1, 0, "old text", 1, 1),
            _html_comment(9, 0, "only on the page", 3, 1)]
    api = [_api_comment(1, 0, "new text", 1, author="Renamed"), _api_comment(2, 0, "second, earlier on the page", 2)]
    with caplog.at_level(logging.WARNING, logger="crawler.extract.rest"):
        out = rest.apply_rest(_record(html), None, [_page(api)], True)
    assert [(c["id"], c["text"], c["author"]) for c in out["comments"]] == [
        ("2", "second, earlier on the page", "Reader"), ("1", "new text", "Renamed"), ("9", "only on the page", "Reader")]
    assert any("not in the complete REST listing" in r.getMessage() for r in caplog.records)
    assert out["comments"][1]["posted_at"] == "2024-03-05T10:01:00-05:00"


def test_by_post_author_from_the_api_user():
    post = {"post_id": "1", "title": None, "published_at": None, "modified_at": None, "author_id": 3}
    api = [_api_comment(1, 0, "staff", 1, user=3), _api_comment(2, 0, "other staff", 2, user=4), _api_comment(3, 0, "guest", 3)]
    out = rest.apply_rest(_record([]), post, [_page(api)], True)
    assert [c["by_post_author"] for c in out["comments"]] == [True, False, False]
    assert out["sources"]["comments"] == "rest" and "author_id" not in out["comments"][0]


def test_no_rest_pages_leaves_the_comments_alone():
    html = [_html_comment(1, 0, "one", 1, 1)]
    out = rest.apply_rest(_record(html), None, [], False)
    assert out["comments"] == html and out["sources"]["comments"] == "selector"


def test_the_examples_in_docs_comments_run(capsys):
    """docs/comments.md's examples are runnable: each heredoc'd Python block runs here."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "comments.md").read_text(encoding="utf-8")
    blocks = re.findall(r"\.venv/bin/python - <<'EOF'\n(.*?)\nEOF\n", doc, re.S)
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "docs/comments.md", "exec"), {"__name__": "docs_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wordpress {data.build_site().articles[0].post_id} {API}"
    assert "343 comments; rest+selector" in printed[-2]
    assert printed[-1].startswith("disqus '") and printed[-1].endswith("[]")


def test_junk_in_the_api_does_not_erase_the_page_and_cycles_end():
    html = [_html_comment(1, 0, "page text", 1, 1, author="Page Name")]
    junk = _api_comment(1, 0, "", 1, author="")
    junk["date_gmt"] = "not a date"
    out = rest.apply_rest(_record(html), None, [_page([junk])], True)
    assert (out["comments"][0]["author"], out["comments"][0]["text"], out["comments"][0]["posted_at"]) == (
        "Page Name", "page text", "2024-03-05T10:01:00-05:00")
    looped = [_api_comment(1, 2, "a", 1), _api_comment(2, 1, "b", 2)] + [
        _api_comment(n, n - 1, "deep", 3) for n in range(3, 1503)]
    out = rest.apply_rest(_record([]), None, [_page(looped)], True)
    depths = {c["id"]: c["depth"] for c in out["comments"]}
    assert len(depths) == 1502 and depths["1502"] == depths["3"] + 1499


def test_pingbacks_in_an_answer_are_not_comments():
    ping = {**_api_comment(8, 0, "[...] linked [...]", 2), "type": "pingback"}
    page = _page([_api_comment(7, 0, "real", 1), ping])
    assert [c["id"] for c in page["comments"]] == ["7"]
