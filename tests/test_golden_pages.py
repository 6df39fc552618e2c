"""Manifest facts of the real saved pages in ../shared/pages (never copied into the repo).

Skipped when the folder is absent (a fresh clone). Every fact must hold.
"""
import json
from pathlib import Path

import pytest

from crawler.extract import extract_page

PAGES = Path(__file__).resolve().parents[2] / "shared" / "pages"
MANIFEST = PAGES / "manifest.json"
FACTS = ("title", "authors", "published", "comment_count", "pingback_count", "comment_max_depth",
         "first_comment", "images_with_credit")

def _entries():
    if not MANIFEST.exists():
        return []
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


_CACHE: dict = {}


def record_for(entry):
    if entry["file"] not in _CACHE:
        body = (PAGES / entry["file"]).read_bytes()
        _CACHE[entry["file"]] = extract_page(entry["url"], body, content_type="text/html")
    return _CACHE[entry["file"]]


def observed(record, fact):
    comments = record["comments"]
    if fact == "title":
        return record["title"]
    if fact == "authors":
        return [a["name"] for a in record["authors"]]
    if fact == "published":
        return (record["published_at"] or "")[:10] or None
    if fact == "comment_count":
        return record["comment_count"]
    if fact == "pingback_count":
        return record["pingback_count"]
    if fact == "comment_max_depth":
        return max((c["depth"] for c in comments), default=0)
    if fact == "first_comment":
        if not comments:
            return None
        return {"author": comments[0]["author"], "text_starts": (comments[0]["text"] or "")[:50]}
    if fact == "images_with_credit":
        return [{"caption": i["caption"], "credit": i["credit"]} for i in record["images"] if i["credit"]]
    raise KeyError(fact)


def expected(entry, fact):
    value = entry["facts"][fact]
    if fact == "images_with_credit":
        return [{"caption": i["caption"], "credit": i["credit"]} for i in value]
    if fact == "first_comment" and value:
        return {"author": value["author"], "text_starts": value["text_starts"][:50]}
    return value


def _cases():
    for entry in _entries():
        for fact in FACTS:
            if fact not in entry["facts"]:
                continue
            yield pytest.param(entry, fact, id=f"{entry['file']}-{fact}")


pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{PAGES} not present")


@pytest.mark.parametrize("entry, fact", list(_cases()))
def test_manifest_fact(entry, fact):
    record = record_for(entry)
    assert "error" not in record["sources"]
    assert record["page_type"] == "article"
    assert observed(record, fact) == expected(entry, fact)
