"""Extraction rules on small hand-written pages: bad input, dates, author conflicts,
bios, credits, the generic body and its filters."""
import logging

import pytest

from crawler.extract import extract_page
from crawler.extract.images import image_paragraph, split_credit
from crawler.sites import get_profile

URL = "http://127.0.0.1:8000/2024/03/05/tank-story/"
SAMPLE = get_profile("dca-sample")
PARAS = "".join(f"<p>Paragraph {i} of the article, long enough, with commas, clauses, and words to score.</p>" for i in range(6))


def page(head="", body="", body_class="single"):
    return f"<html lang='en'><head>{head}</head><body class='{body_class}'>{body}</body></html>".encode()


@pytest.mark.parametrize("body, reason", [
    (b"", "empty body"),
    (b"   \n ", "empty body"),
    (b"\x00\x01binary\x00\x02" * 50, "binary"),
    (b"<html><head><title>T</title></head><body class='single'><article><div class='entry-content'><p>cut", "truncated"),
    (("<html><body>" + "<div>" * 5000 + "<p>deep</p>" + "</div>" * 5000 + "</body></html>").encode(), "nested deeper"),
    ("<html><body>".encode() + bytes(range(128, 256)) * 40 + b"</body></html>", "undecodable"),
])
def test_bad_input_is_other_with_a_logged_reason(body, reason, caplog):
    with caplog.at_level(logging.WARNING, logger="crawler.extract"):
        r = extract_page(URL, body, content_type="text/html; charset=utf-8")
    assert r["page_type"] == "other" and r["body_text"] is None
    assert reason in r["sources"]["page_type"]
    assert any(reason in m for m in caplog.messages)


def test_mislabelled_charset_is_read_as_utf8():
    html = page(body="<article class='post'><h1 class='entry-title'>Café Zürich</h1><div class='entry-content'><p>Crème brûlée</p></div></article>")
    r = extract_page(URL, html, content_type="text/html; charset=iso-8859-1")
    assert r["title"] == "Café Zürich" and r["body_text"] == "Crème brûlée"


def test_modified_before_published_is_dropped(caplog):
    head = ('<meta property="article:published_time" content="2024-03-05T09:30:00-05:00">'
            '<meta property="article:modified_time" content="2024-03-04T09:30:00-05:00">')
    with caplog.at_level(logging.WARNING, logger="crawler.extract"):
        r = extract_page(URL, page(head, f"<article class='post'><div class='entry-content'>{PARAS}</div></article>"), profile=SAMPLE)
    assert r["published_at"] == "2024-03-05T09:30:00-05:00" and r["modified_at"] is None
    assert any("modified before published" in m for m in caplog.messages)


def test_display_date_without_zone_takes_the_site_zone():
    body = f"<article class='post'><time class='entry-date published'>March 5, 2024 9:30 am</time><div class='entry-content'>{PARAS}</div></article>"
    assert extract_page(URL, page(body=body), profile=SAMPLE)["published_at"] == "2024-03-05T09:30:00-05:00"


def test_visible_byline_beats_jsonld_editor(caplog):
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "T", "author": {"@type": "Person", "name": "Web Editor"}}</script>'
    body = (f"<article class='post'><span class='byline'>By <a rel='author' href='/author/ann/'>Ann Alpha</a> and "
            f"<a rel='author' href='/author/bob/'>Bob Beta</a></span><div class='entry-content'>{PARAS}</div></article>")
    with caplog.at_level(logging.WARNING, logger="crawler.extract"):
        r = extract_page(URL, page(head, body), profile=SAMPLE)
    assert [a["name"] for a in r["authors"]] == ["Ann Alpha", "Bob Beta"] and r["sources"]["authors"] == "selector"
    assert any("author conflict" in m for m in caplog.messages)


def test_closing_italic_bio_paragraph():
    body = (f"<article class='post'><span class='byline'>By <a rel='author' href='/author/ann/'>Ann Alpha</a></span>"
            f"<div class='entry-content'>{PARAS}<p><em>Ann Alpha is a senior fellow at the Example Institute.</em></p></div></article>")
    r = extract_page(URL, page(body=body), profile=SAMPLE)
    assert r["authors"][0]["bio"] == "Ann Alpha is a senior fellow at the Example Institute."
    assert "Example Institute" not in r["body_text"]


def test_image_paragraph_at_the_end_of_the_body_credits_the_lead_image():
    head = '<meta property="og:image" content="http://127.0.0.1:8000/hero.jpg">'
    body = (f"<img class='hero' src='/hero.jpg'><article class='post'><div class='entry-content'>{PARAS}"
            "<p><em><a href='https://flickr.com/x'>Image:</a> Tanks on a range in 2013. Flickr / U.S. Army / Sgt. A. Smith.</em></p></div></article>")
    r = extract_page(URL, page(head, body), profile=SAMPLE)
    assert r["images"][0] == {"src": "http://127.0.0.1:8000/hero.jpg", "alt": None, "caption": "Tanks on a range in 2013.",
                              "credit": "Flickr / U.S. Army / Sgt. A. Smith.", "is_lead": True}
    assert "Image:" not in r["body_text"]


@pytest.mark.parametrize("text, caption, credit", [
    ("Troops on patrol. Photo by Jane Roe", "Troops on patrol.", "Jane Roe"),
    ("Troops on patrol. Image Credits: DoD", "Troops on patrol.", "DoD"),
    ("A tank in Kyiv (Efrem Lukatsky/AP)", "A tank in Kyiv", "Efrem Lukatsky/AP"),
    ("Credit: Reuters", None, "Reuters"),
])
def test_credit_patterns(text, caption, credit):
    assert split_credit(text) == (caption, credit)


def test_image_paragraph_rules():
    assert image_paragraph("Image: Reuters") == (None, "Reuters")
    assert image_paragraph("Photo: A ship at sea. Photo by U.S. Navy") == ("A ship at sea.", "U.S. Navy")
    assert image_paragraph("Imagine a world") is None


def test_credit_span_caption_span_and_credit_only_figcaption():
    body = (f"<article class='post'><div class='entry-content'>{PARAS}"
            "<figure><img src='/a.jpg' alt='A'><figcaption><span class='caption'>A ship.</span> <span class='credit'>Photo by X</span> /<span class='distributor'>AP</span></figcaption></figure>"
            "<figure><img data-src='/b.jpg' src='data:image/gif;base64,R0l'><figcaption>Image Credit: U.S. Navy</figcaption></figure>"
            "<figure><img srcset='/c-300.jpg 300w, /c.jpg 1200w'><figcaption>Getty Images</figcaption></figure>"
            f"{PARAS}</div></article>")
    r = extract_page(URL, page(body=body), profile=SAMPLE)
    got = [(i["src"].rsplit("/", 1)[-1], i["caption"], i["credit"]) for i in r["images"]]
    assert got[:2] == [("a.jpg", "A ship.", "Photo by X /AP"), ("b.jpg", None, "U.S. Navy")]
    assert got[2][0] == "c-300.jpg"


def test_generic_body_keeps_article_drops_promos_and_boxes():
    body = ("<div class='site'><nav><p>Home, World, Politics, and more sections here to click</p></nav>"
            "<div class='story'><h1>Headline</h1><div class='story-text'>" + PARAS +
            "<h2>A subheading</h2><ul><li>First point of the list</li></ul><blockquote><p>A quoted line.</p></blockquote>"
            "<p><strong>Read more:</strong> <a href='/other/'>Another story</a></p>"
            "<div class='newsletter-signup'><p>Sign up for our newsletter, every morning, with news and more.</p></div>"
            "<div class='share-bar'><p>Share this on Facebook, Twitter, and email to your friends now.</p></div>"
            "<p>ADVERTISEMENT</p>" + PARAS + "</div></div>"
            "<div class='comments'><p>A reader comment, with commas, and opinions, and more opinions.</p></div></div>")
    r = extract_page("https://news.example/story/1", page('<meta property="og:type" content="article">', body, ""))
    assert r["sources"]["body_text"] == "heuristic"
    text = r["body_text"]
    assert "A subheading" in text and "First point of the list" in text and "A quoted line." in text
    for junk in ("Sign up", "Share this", "ADVERTISEMENT", "reader comment", "Home, World", "Read more"):
        assert junk not in text
    assert r["related_links"] == [{"url": "https://news.example/other/", "text": "Another story", "label": "Read more"}]
