"""extract_page on whole pages written after tests/sample_site/SPEC.md, and its robustness."""
import json
import os

import pytest

from crawler.extract import RECORD_KEYS, extract_page, merge_comment_pages
from crawler.sites import get_profile
from pipelines.normalize import normalize_record

BASE = "http://127.0.0.1:8000"
URL = BASE + "/2024/03/05/tank-story/"
SAMPLE = get_profile("dca-sample")

FORTYFIVE = f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>The Tank Story &#8211; The Forward Line</title>
<link rel="canonical" href="{URL}"><meta property="og:title" content="The Tank Story">
<meta property="article:published_time" content="2024-03-05T09:30:00-05:00"></head>
<body class="post-template-default single single-post postid-12">
<aside><article class="post"><h2><a href="/x/">Sidebar teaser</a></h2><span class="byline">By <a class="author-name" href="/author/z/">Zed</a></span></article></aside>
<article id="post-12" class="post-12 post type-post">
 <header class="entry-header"><h1 class="entry-title">The Tank Story</h1><h2 class="entry-subtitle">Why tanks still matter</h2>
  <div class="entry-meta"><span class="byline">By <a class="author-name" href="/author/ann/">Ann Alpha</a> and <a class="author-name" href="/author/bob/">Bob Beta</a></span>
   <time class="entry-date published" datetime="2024-03-05T09:30:00-05:00">March 5, 2024</time><time class="updated" datetime="2024-03-06T10:00:00-05:00">March 6, 2024</time></div>
  <span class="cat-links"><a href="/category/land/" rel="category tag">Land Warfare</a></span></header>
 <figure class="wp-caption lead-image"><img src="/wp-content/uploads/2024/03/t.jpg" srcset="/wp-content/uploads/2024/03/t-300x169.jpg 300w, /wp-content/uploads/2024/03/t.jpg 1200w" alt="A tank">
  <figcaption class="wp-caption-text">A T-84 tank. Image Credit: Creative Commons.</figcaption></figure>
 <div class="entry-content">
  <p>First   para with <a href="/2024/01/01/old/">a link</a>.</p><h2>A heading</h2>
  <p><strong>MORE: </strong><a href="{BASE}/2024/01/01/other/">Other title</a></p>
  <figure class="wp-caption"><img src="data:image/gif;base64,R0l" data-src="/wp-content/uploads/2024/03/t-2.jpg" alt="Inline"><figcaption class="wp-caption-text">Second image. Image Credit: DVIDS.</figcaption></figure>
  <div class="newsletter-box"><p>Sign up now</p></div><div class="ad-slot"><p>AD</p></div><div class="sharedaddy"><p>Share this</p></div>
  <p>Last para.</p></div>
 <footer class="entry-footer"><span class="tags-links"><a href="/tag/nato/" rel="tag">NATO</a>, <a href="/tag/t/" rel="tag">Tanks</a></span></footer>
 <div class="author-box"><div class="author-bio"><h4 class="author-title"><a href="/author/ann/">Ann Alpha</a></h4><p>Ann writes about armor.</p></div>
  <div class="author-bio"><h4 class="author-title"><a href="/author/bob/">Bob Beta</a></h4><p>Bob writes about ships.</p></div></div>
</article>
<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts on &ldquo;The Tank Story&rdquo;</h2>
 <ol class="comment-list"><li id="comment-123" class="comment depth-1"><article id="div-comment-123" class="comment-body">
  <footer class="comment-meta"><div class="comment-author vcard"><b class="fn">Walker</b> <span class="says">says:</span></div>
  <div class="comment-metadata"><a href="{URL}#comment-123"><time datetime="2024-03-06T18:37:00-05:00">March 6, 2024 at 6:37 pm</time></a></div></footer>
  <div class="comment-content"><p>Nice.</p></div></article></li>
  <li id="comment-124" class="pingback depth-1"><div class="comment-body">Pingback: <a href="http://x.example/">X</a></div></li></ol>
 <div id="respond" class="comment-respond"><form><p><textarea></textarea></p></form></div></div>
</body></html>"""


def test_fortyfive_page():
    r = extract_page(URL, FORTYFIVE.encode(), content_type="text/html; charset=utf-8", profile=SAMPLE)
    assert list(r) == list(RECORD_KEYS)
    assert r["site"] == "dca-sample" and r["page_type"] == "article"
    assert (r["title"], r["subtitle"], r["section"]) == ("The Tank Story", "Why tanks still matter", "Land Warfare")
    assert r["tags"] == ["NATO", "Tanks"]
    assert r["authors"] == [
        {"name": "Ann Alpha", "url": BASE + "/author/ann/", "bio": "Ann writes about armor."},
        {"name": "Bob Beta", "url": BASE + "/author/bob/", "bio": "Bob writes about ships."},
    ]
    assert r["published_at"] == "2024-03-05T09:30:00-05:00" and r["modified_at"] == "2024-03-06T10:00:00-05:00"
    assert r["body_text"] == "First para with a link.\n\nA heading\n\nLast para."
    assert r["body_html"].startswith(f'<p>First para with <a href="{BASE}/2024/01/01/old/">a link</a>.</p>')
    assert "Sign up" not in r["body_html"] and "MORE" not in r["body_html"]
    assert r["related_links"] == [{"url": BASE + "/2024/01/01/other/", "text": "Other title", "label": "MORE"}]
    assert r["images"] == [
        {"src": BASE + "/wp-content/uploads/2024/03/t.jpg", "alt": "A tank", "caption": "A T-84 tank.",
         "credit": "Creative Commons", "is_lead": True},
        {"src": BASE + "/wp-content/uploads/2024/03/t-2.jpg", "alt": "Inline", "caption": "Second image.",
         "credit": "DVIDS", "is_lead": False},
    ]
    assert [c["author"] for c in r["comments"]] == ["Walker"]
    assert (r["comment_count"], r["pingback_count"], r["declared_comment_count"]) == (1, 1, 2)
    assert r["language"] == "en-US" and r["canonical_url"] == URL and r["comment_page"] == 1
    assert r["sources"]["body_text"] == "selector" and "error" not in r["sources"]


GUTENBERG = f"""<html lang="en-US"><head>
<script type="application/ld+json" class="yoast-schema-graph">{json.dumps({"@context": "https://schema.org", "@graph": [
    {"@type": "NewsArticle", "@id": URL + "#article", "headline": "Drones &amp; the Sea",
     "datePublished": "2024-03-05T09:30:00-05:00", "dateModified": "2024-03-07T11:00:00-05:00",
     "author": [{"@id": BASE + "/#/schema/person/ann"}], "image": {"@id": URL + "#primaryimage"},
     "articleSection": ["Naval"], "keywords": ["Drones", "Shipbuilding"], "inLanguage": "en-US",
     "mainEntityOfPage": {"@id": URL}},
    {"@type": "WebPage", "@id": URL, "url": URL},
    {"@type": "ImageObject", "@id": URL + "#primaryimage", "url": BASE + "/wp-content/uploads/d.jpg", "caption": "A drone."},
    {"@type": "Person", "@id": BASE + "/#/schema/person/ann", "name": "Ann Alpha", "url": BASE + "/author/ann/",
     "description": "Ann writes."}]})}</script></head>
<body class="wp-site-blocks"><main class="wp-block-group"><h1 class="wp-block-post-title">Drones &amp; the Sea</h1>
 <div class="wp-block-post-author-name"><a href="/author/ann/">Ann Alpha</a></div>
 <div class="wp-block-post-date"><time datetime="2024-03-05T09:30:00-05:00">March 5, 2024</time></div>
 <div class="entry-content wp-block-post-content">
  <figure class="wp-block-image size-large"><img src="/wp-content/uploads/d.jpg" alt="Drone"><figcaption class="wp-element-caption">A drone. <span class="image-credit">U.S. Navy</span></figcaption></figure>
  <p>Intro.</p><h2 class="wp-block-heading">Why</h2><ul class="wp-block-list"><li>One</li><li>Two</li></ul>
  <blockquote class="wp-block-quote"><p>Quoted.</p></blockquote>
  <p><strong>Related:</strong> <a href="{BASE}/2024/02/02/b/">B title</a></p><p>End.</p>
 </div>
 <div class="wp-block-post-terms taxonomy-post_tag"><a href="/tag/d/" rel="tag">Drones</a><a href="/tag/s/" rel="tag">Shipbuilding</a></div>
</main></body></html>"""


def test_gutenberg_page_with_yoast_graph():
    r = extract_page(URL, GUTENBERG.encode(), profile=SAMPLE)
    assert r["page_type"] == "article" and r["title"] == "Drones & the Sea"
    assert r["sources"]["title"] == "jsonld"
    assert r["authors"] == [{"name": "Ann Alpha", "url": BASE + "/author/ann/", "bio": "Ann writes."}]
    assert (r["section"], r["tags"]) == ("Naval", ["Drones", "Shipbuilding"])
    assert r["modified_at"] == "2024-03-07T11:00:00-05:00"
    assert r["body_text"] == "Intro.\n\nWhy\n\nOne\n\nTwo\n\nQuoted.\n\nEnd."
    assert "<ul><li>One</li><li>Two</li></ul>" in r["body_html"]
    assert "<blockquote><p>Quoted.</p></blockquote>" in r["body_html"]
    assert r["related_links"] == [{"url": BASE + "/2024/02/02/b/", "text": "B title", "label": "Related"}]
    assert r["images"] == [{"src": BASE + "/wp-content/uploads/d.jpg", "alt": "Drone", "caption": "A drone.",
                            "credit": "U.S. Navy", "is_lead": True}]


CLASSIC = f"""<html lang="en-US"><head><title>Old post | The Forward Line</title></head><body class="single">
<div id="post-9" class="post-9 post type-post hentry"><h1 class="entry-title">Old post</h1>
 <div class="entry-meta"><span class="meta-prep meta-prep-author">Posted on</span> <a href="{URL}" title="9:30 am" rel="bookmark"><span class="entry-date">March 5, 2019</span></a>
  <span class="meta-sep">by</span> <span class="author vcard"><a class="url fn n" href="/author/ann/" title="View all posts by Ann Alpha">Ann Alpha</a></span></div>
 <div class="entry-content"><div id="attachment_5" class="wp-caption aligncenter"><img src="/wp-content/uploads/o.jpg" alt="Old"><p class="wp-caption-text">An old photo. Photo: Wikimedia Commons</p></div>
  <p>Body one.</p><h3>Sub</h3><blockquote>Bare quote.</blockquote></div>
 <div id="entry-author-info"><div id="author-description"><h2>About Ann Alpha</h2>Ann has written here since 2009.</div></div>
 <div class="entry-utility">Posted in <a href="/category/history/" rel="category tag">History</a> | Tagged <a href="/tag/a/" rel="tag">Archives</a>, <a href="/tag/b/" rel="tag">Cold War</a></div>
</div></body></html>"""


def test_classic_page():
    r = extract_page(URL, CLASSIC.encode(), profile=SAMPLE)
    assert r["page_type"] == "article" and r["title"] == "Old post"
    assert r["published_at"] == "2019-03-05T09:30:00-05:00" and r["modified_at"] is None
    assert r["authors"] == [{"name": "Ann Alpha", "url": BASE + "/author/ann/", "bio": "Ann has written here since 2009."}]
    assert (r["section"], r["tags"]) == ("History", ["Archives", "Cold War"])
    assert r["body_text"] == "Body one.\n\nSub\n\nBare quote."
    assert r["images"] == [{"src": BASE + "/wp-content/uploads/o.jpg", "alt": "Old", "caption": "An old photo.",
                            "credit": "Wikimedia Commons", "is_lead": True}]


@pytest.mark.parametrize("body, content_type", [
    (b"", None), (None, None), (os.urandom(4096), None), (b"\x00\x01\x02\xff" * 100, "text/html"),
    (b"<html><body><p>unclosed <div><span>", None), (b"<<<>>>&&&", None),
    (b'<?xml version="1.0" encoding="utf-8"?><html><body>x</body></html>', None),
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"<html><head><script type='application/ld+json'>{bad json</script></head></html>", None),
])
def test_junk_never_raises(body, content_type):
    r = extract_page(URL, body, content_type=content_type)
    assert list(r) == list(RECORD_KEYS)
    assert r["page_type"] == "other" and r["comments"] == [] and "error" not in r["sources"]


def test_listing_page():
    html = b"""<html lang="en-US"><body class="home blog"><article class="post"><h2 class="entry-title"><a href="/2024/03/05/a/">A</a></h2>
    <div class="entry-content"><p>Teaser</p></div></article><article class="post"><h2 class="entry-title">B</h2></article>
    <a class="next page-numbers" href="/page/2/">Next</a></body></html>"""
    r = extract_page(BASE + "/", html, profile=SAMPLE)
    assert r["page_type"] == "listing" and r["body_text"] is None and r["authors"] == []


def test_comment_page_record():
    page2 = FORTYFIVE.replace('id="comment-123"', 'id="comment-150"').replace(
        '</ol>', f'</ol><nav class="comment-navigation"><div class="nav-previous"><a href="{URL}#comments">Older Comments</a></div></nav>', 1)
    r = extract_page(URL + "comment-page-2/", page2.encode(), profile=SAMPLE)
    assert r["comment_page"] == 2 and r["canonical_url"] == URL and r["comment_pages"] == [URL]


def test_merge_comment_pages():
    first = extract_page(URL, FORTYFIVE.encode(), profile=SAMPLE)
    page2 = FORTYFIVE.replace('id="comment-123"', 'id="comment-150"').replace("Walker", "Second")
    second = extract_page(URL + "comment-page-2/", page2.encode(), profile=SAMPLE)
    merged = merge_comment_pages([second, first, second])
    assert merged["url"] == URL and merged["comment_page"] == 1
    assert [c["id"] for c in merged["comments"]] == ["123", "150"]
    assert merged["comment_count"] == 2 and merged["pingback_count"] == 3
    assert merged["declared_comment_count"] == 2
    assert merged["title"] == first["title"]


def test_extract_page_output_is_normalized():
    for html in (FORTYFIVE, GUTENBERG, CLASSIC):
        r = extract_page(URL, html.encode(), profile=SAMPLE)
        assert normalize_record(r, SAMPLE) == r


def test_charset_from_meta_and_http():
    html = '<html><head><meta charset="iso-8859-1"></head><body class="single"><article class="post"><h1 class="entry-title">Café</h1><div class="entry-content"><p>Crème</p></div></article></body></html>'
    r = extract_page(URL, html.encode("latin-1"))
    assert (r["title"], r["body_text"]) == ("Café", "Crème")
    r = extract_page(URL, html.replace("iso-8859-1", "utf-8").encode("latin-1"), content_type="text/html; charset=latin-1")
    assert r["title"] == "Café"


def test_fallback_body_when_no_selector_matches():
    paras = "".join(f"<p>Paragraph number {i} has enough words to count as real article text for the extractor.</p>" for i in range(8))
    html = f'<html><head><meta property="og:type" content="article"><meta property="og:title" content="Odd theme"></head><body><div class="weird">{paras}</div></body></html>'
    r = extract_page("https://example.org/2020/01/02/odd/", html.encode())
    assert r["page_type"] == "article" and r["sources"].get("body_text") == "heuristic"
    assert r["body_text"].startswith("Paragraph number 0")
