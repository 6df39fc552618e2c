"""normalize_record: pure, idempotent; NormalizePipeline applies it to items."""
import copy

from crawler.extract import empty_record
from crawler.sites import get_profile
from pipelines.normalize import NormalizePipeline, normalize_record

SAMPLE = get_profile("dca-sample")
URL = "http://127.0.0.1:8000/2024/03/05/tank/comment-page-2/"


def messy() -> dict:
    r = empty_record(URL, "dca-sample")
    r.update(
        title="  Cafe\u0301   story ", subtitle="", section=" Land\nWarfare ", tags=[" NATO ", "NATO", ""],
        canonical_url="/2024/03/05/tank/comment-page-2/#comments",
        authors=[{"name": "Ann Alpha and Bob Beta", "url": "http://x/author/a/", "bio": "both"},
                 {"name": " Cy  Delta ", "url": None, "bio": "  Writes. "}],
        published_at="March 5, 2019 9:30 am", modified_at="2024-03-05T14:30:00Z",
        body_text="  one \n two \n\n\n  three  ", body_html="<p>x</p> ",
        images=[{"src": "http://x/i.jpg", "alt": " ", "caption": "A tank. Image Credit: DVIDS.", "credit": None, "is_lead": 1}],
        related_links=[{"url": "http://x/a/", "text": " A ", "label": "MORE:"}],
        comments=[{"id": 12, "parent_id": None, "author": " W ", "author_url": "", "posted_at": "February 3, 2023 at 6:37 pm",
                   "text": "a  b\n\nc", "depth": 1}],
        comment_count=7, comment_pages=["http://x/p/comment-page-3/#comments"],
    )
    return r


def test_normalize_fields():
    r = normalize_record(messy(), SAMPLE)
    assert r["title"] == "Café story" and r["subtitle"] is None and r["section"] == "Land Warfare"
    assert r["tags"] == ["NATO"]
    assert r["canonical_url"] == "http://127.0.0.1:8000/2024/03/05/tank/"
    assert r["authors"] == [
        {"name": "Ann Alpha", "url": None, "bio": None}, {"name": "Bob Beta", "url": None, "bio": None},
        {"name": "Cy Delta", "url": None, "bio": "Writes."}]
    assert r["published_at"] == "2019-03-05T09:30:00-05:00"
    assert r["modified_at"] == "2024-03-05T14:30:00+00:00"
    assert r["body_text"] == "one two\n\nthree" and r["body_html"] == "<p>x</p>"
    assert r["images"] == [{"src": "http://x/i.jpg", "alt": None, "caption": "A tank.", "credit": "DVIDS", "is_lead": True}]
    assert r["related_links"] == [{"url": "http://x/a/", "text": "A", "label": "MORE"}]
    assert r["comments"] == [{"id": "12", "parent_id": None, "author": "W", "author_url": None,
                              "posted_at": "2023-02-03T18:37:00-05:00", "text": "a b\n\nc", "depth": 1,
                              "by_post_author": False}]
    assert r["comment_count"] == 1
    assert r["comment_pages"] == ["http://x/p/comment-page-3/"]


def test_idempotent_and_pure():
    original = messy()
    snapshot = copy.deepcopy(original)
    once = normalize_record(original, SAMPLE)
    assert original == snapshot
    assert normalize_record(once, SAMPLE) == once
    assert normalize_record(once) == once  # profile looked up from record["site"]


def test_unknown_site_falls_back_to_generic_profile():
    r = empty_record("https://example.org/a/", "no-such-site")
    r["published_at"] = "2020-01-02T03:04:05"
    assert normalize_record(r)["published_at"] == "2020-01-02T03:04:05+00:00"


def test_pipeline():
    item = {"record": messy(), "capture": {"url": URL}}
    out = NormalizePipeline().process_item(item, spider=None)
    assert out is item and out["record"] == normalize_record(messy(), SAMPLE)
    assert out["capture"] == {"url": URL}
