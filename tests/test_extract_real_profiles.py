"""Site profiles against the real saved pages in ../shared/pages (read in place, never copied).

Each profile is written for a site with a real page here; these tests check that its
own selectors, not the generic fallback, read that page.
"""
import json
from datetime import date
from pathlib import Path

import pytest

from crawler.extract import extract_page
from crawler.sites import get_profile, profile_for_url

PAGES = Path(__file__).resolve().parents[2] / "shared" / "pages"
MANIFEST = PAGES / "manifest.json"
pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"{PAGES} not present")


def _entry(name):
    return next(e for e in json.loads(MANIFEST.read_text(encoding="utf-8")) if e["file"] == name)


def _record(name):
    entry = _entry(name)
    return entry, extract_page(entry["url"], (PAGES / name).read_bytes(), content_type="text/html")


@pytest.mark.parametrize("name, site", [
    ("nationalinterest-kim.html", "nationalinterest"),
    ("moderndiplomacy-ukraine.html", "moderndiplomacy"),
    ("ottawacitizen-defence-watch.html", "ottawacitizen"),
])
def test_profile_reads_its_page_with_its_selectors(name, site):
    entry, r = _record(name)
    assert profile_for_url(entry["url"]).id == site and r["site"] == site
    assert r["page_type"] == "article" and r["sources"]["body_text"] == "selector"
    assert r["title"] == entry["facts"]["title"]
    assert [a["name"] for a in r["authors"]] == entry["facts"]["authors"]
    assert len(r["body_text"]) > 2000


def test_moderndiplomacy_appended_articles_stay_out():
    _, r = _record("moderndiplomacy-ukraine.html")
    assert "Lithuania" not in r["body_text"] and "Economics as a Weapon" not in r["body_text"]
    # JSON-LD dateModified is earlier than datePublished: dropped, and the record says why.
    assert r["modified_at"] is None and r["sources"]["modified_at"].startswith("dropped")


def test_nationalinterest_closing_paragraphs():
    _, r = _record("nationalinterest-kim.html")
    lead = r["images"][0]
    assert lead["is_lead"] and lead["src"].endswith("9457018577_d799b281ee_k.jpg")
    assert lead["credit"].startswith("Flickr / ") and "Image:" not in r["body_text"]
    # The closing italic paragraph is the author's bio, not body text.
    assert r["authors"][0]["bio"].endswith("Defense Priorities.")
    assert "Defense Priorities" not in r["body_text"]


def test_nationalinterest_layouts_are_versioned():
    p = get_profile("nationalinterest")
    assert p.layout_for(date(2017, 4, 10)).get("body") == ("div.detail__content",) + p.layouts[1].get("body")
    assert p.layout_for(date(2025, 1, 1)) is p.current_layout and p.current_layout.valid_until is None


def test_ottawacitizen_credit_runs_to_the_distributor():
    _, r = _record("ottawacitizen-defence-watch.html")
    lead = r["images"][0]
    assert (lead["caption"], lead["credit"]) == (
        "The façade of the headquarters of the Department of National Defence in Ottawa.",
        "Photo by Adrian Wyld /THE CANADIAN PRESS")
    assert all(i["alt"] != "Tracker" for i in r["images"])


def test_visible_title_beats_promotional_og_title():
    entry, r = _record("politicalinsider.html")
    assert r["title"] == entry["facts"]["title"] and r["sources"]["title"] == "selector"
