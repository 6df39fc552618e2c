"""The sample site: data, ground truth, rendering and the real HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import subprocess
import sys
import textwrap
import time
import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest

from tests.sample_site import (SampleSite, build_response, build_site, expected_record, render,
                               site_totals)
from tests.sample_site.data import (DRAFT, PAGINATED_2, PAGINATED_3, RETIRED_PATH, THEMES, TZ,
                                    iso, slugify)

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def site():
    return build_site()


@pytest.fixture(scope="module")
def server():
    with SampleSite() as s:
        yield s


# --------------------------------------------------------------------------- data

def test_counts_and_special_cases(site):
    t = site_totals(site)
    assert t["articles"] >= 36
    assert t["per_theme"] == {"fortyfive": 12, "gutenberg": 12, "classic": 12}
    assert t["comments"] >= 300
    assert t["max_comment_depth"] >= 5
    assert t["valid_articles"] == t["articles"] - 1
    arts = site.articles
    assert sum(1 for a in arts if a.pingbacks) >= 3
    for theme in THEMES:
        assert any(c.depth >= 2 for a in arts if a.theme == theme for c in a.comments), theme
    commenters = [c for a in arts for c in a.real_comments]
    assert any(c.author_url for c in commenters) and any(not c.author_url for c in commenters)
    paginated = {a.index: (a.theme, a.n_comment_pages) for a in arts if a.n_comment_pages > 1}
    assert paginated == {PAGINATED_2: ("fortyfive", 2), PAGINATED_3: ("classic", 3)}
    assert any(len(a.authors) == 2 for a in arts if a.theme == "fortyfive")
    assert all(len(a.authors) == 1 for a in arts if a.theme != "fortyfive")
    assert sum(1 for a in arts if any(not im.is_lead for im in a.images)) >= 3
    assert all(a.promos for a in arts if a.theme in ("fortyfive", "gutenberg") and not a.expect_invalid)
    draft = arts[DRAFT]
    assert draft.expect_invalid and not draft.title and not draft.blocks
    assert sum(1 for a in arts if any(l.href == RETIRED_PATH for l in a.links)) == 1
    assert all(a.subtitle is None for a in arts if a.theme != "fortyfive")
    assert any(a.subtitle for a in arts)
    ids = [c.id for a in arts for c in a.comments]
    assert len(ids) == len(set(ids))
    text = " ".join(t for a in arts for _, t in a.blocks) + " ".join(
        p for a in arts for c in a.comments for p in c.paragraphs)
    for ch in ("&", '"', "é", "’", "—"):
        assert ch in text or any(ch in a.title for a in arts) or ch in " ".join(
            c.author for a in arts for c in a.comments), ch


def test_comments_are_threads_in_page_order(site):
    for a in site.articles:
        seen = {}
        for c in a.comments:
            assert c.posted_at.tzinfo is not None
            if c.parent_id is None:
                assert c.depth == 1
            else:
                parent = seen[c.parent_id]            # parents come first
                assert c.depth == parent.depth + 1
                assert c.posted_at > parent.posted_at
            if c.is_ping:
                assert c.depth == 1 and c.author_url
            seen[c.id] = c
        pages = a.comment_pages()
        assert [c for p in pages for c in p] == a.comments
        for p in pages:                               # replies travel with their thread
            ids = {c.id for c in p}
            assert all(c.parent_id is None or c.parent_id in ids for c in p)
        if a.comments_per_page:
            assert all(sum(c.depth == 1 for c in p) <= a.comments_per_page for p in pages)


def test_build_is_deterministic_and_fast():
    assert build_site() == build_site()
    assert build_site(seed=8) != build_site()
    t0 = time.perf_counter()
    big = build_site(2500)
    elapsed = time.perf_counter() - t0
    assert elapsed < 8, elapsed
    assert len(big.articles) == 2500
    assert len({a.path for a in big.articles}) == 2500
    assert big.articles[:36] == build_site().articles
    assert site_totals(big)["comments"] > 10 * site_totals(build_site())["comments"]


def test_expected_record_shape(site):
    rec = expected_record(site.articles[0], BASE + "/")
    assert rec["url"] == rec["canonical_url"] == BASE + site.articles[0].path
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00[-+]\d\d:\d\d", rec["published_at"])
    assert rec["language"] == "en-US" and rec["page_type"] == "article"
    assert "site" not in rec and "body_html" not in rec
    assert rec["comment_count"] == len(rec["comments"])
    assert all(isinstance(c["id"], str) for c in rec["comments"])
    a = site.articles[PAGINATED_3]
    merged = expected_record(a, BASE)
    parts = [expected_record(a, BASE, n) for n in (1, 2, 3)]
    assert sum((p["comments"] for p in parts), []) == merged["comments"]
    assert parts[1]["comment_pages"] == [BASE + a.path, BASE + a.path + "comment-page-3/"]
    assert parts[2]["url"] == BASE + a.path + "comment-page-3/"
    assert {p["canonical_url"] for p in parts} == {BASE + a.path}
    assert all(p["declared_comment_count"] == len(a.comments) for p in parts)
    d = expected_record(site.articles[DRAFT], BASE)
    assert d["title"] is None and d["body_text"] is None and d["declared_comment_count"] is None


# --------------------------------------------------------------------------- a reference parse

def _text(el) -> str:
    return " ".join(el.text_content().split())


def _parse_display(s: str) -> str:
    dt = datetime.strptime(s.strip(), "%B %d, %Y at %I:%M %p").replace(tzinfo=TZ)
    return iso(dt)


def reference_extract(html: bytes, url: str) -> dict:
    """A small, theme-aware parse of the documented markup: checks that the ground
    truth in data.py matches what render.py puts on the page."""
    doc = lxml.html.fromstring(html.decode("utf-8"), base_url=url)
    doc.make_links_absolute(url)
    one = lambda xp: (doc.xpath(xp) or [None])[0]  # noqa: E731
    rec: dict = {"language": doc.get("lang")}
    canon = one("//link[@rel='canonical']/@href")
    rec["canonical_url"] = re.sub(r"comment-page-\d+/$", "", canon)
    theme = ("gutenberg" if one("//main[contains(@class,'wp-block-group')]") is not None
             else "classic" if one("//div[@id='container']") is not None else "fortyfive")
    if theme == "fortyfive":
        content = one("//article[contains(@class,'type-post')]//div[@class='entry-content']")
        title = one("//h1[@class='entry-title']")
        rec["subtitle"] = (lambda h: _text(h) if h is not None else None)(one("//h2[@class='entry-subtitle']"))
        bios = {_text(b.xpath(".//h4")[0]): _text(b.xpath(".//p")[0])
                for b in doc.xpath("//div[@class='author-bio']")}
        rec["authors"] = [{"name": _text(a), "url": a.get("href"), "bio": bios.get(_text(a))}
                          for a in doc.xpath("//span[@class='byline']/a[@class='author-name']")]
        rec["published_at"] = one("//time[contains(@class,'published')]/@datetime")
        rec["modified_at"] = one("//time[@class='updated']/@datetime")
        rec["section"] = _text(one("//span[@class='cat-links']/a"))
        rec["tags"] = [_text(a) for a in doc.xpath("//span[@class='tags-links']/a")]
        skip = {"newsletter-box", "ad-slot", "sharedaddy"}
    elif theme == "gutenberg":
        content = one("//div[contains(@class,'wp-block-post-content')]")
        title = one("//h1[contains(@class,'wp-block-post-title')]")
        rec["subtitle"] = None
        graph = json.loads(one("//script[@type='application/ld+json']/text()"))["@graph"]
        art = next(n for n in graph if n["@type"] == "NewsArticle")
        people = {n["@id"]: n for n in graph if n["@type"] == "Person"}
        rec["authors"] = [{"name": people[x["@id"]]["name"], "url": people[x["@id"]]["url"],
                           "bio": people[x["@id"]]["description"]} for x in art["author"]]
        rec["published_at"] = art["datePublished"]
        rec["modified_at"] = art["dateModified"]
        rec["section"] = art["articleSection"][0]
        rec["tags"] = [_text(a) for a in doc.xpath("//div[contains(@class,'taxonomy-post_tag')]/a")]
        assert rec["tags"] == art["keywords"]
        skip = set()
    else:
        content = one("//div[contains(@class,'hentry')]/div[@class='entry-content']")
        title = one("//h1[@class='entry-title']")
        rec["subtitle"] = None
        a = one("//span[contains(@class,'author')]/a")
        desc = one("//div[@id='author-description']")
        bio = " ".join("".join(desc.xpath("text()")).split())
        rec["authors"] = [{"name": _text(a), "url": a.get("href"), "bio": bio}]
        link = one("//div[@class='entry-meta']/a[@rel='bookmark']")
        rec["published_at"] = _parse_display(f"{_text(link)} at {link.get('title')}")
        rec["modified_at"] = None
        rec["section"] = _text(one("//div[@class='entry-utility']/a[@rel='category tag']"))
        rec["tags"] = [_text(a) for a in doc.xpath("//div[@class='entry-utility']/a[@rel='tag']")]
        skip = set()
    rec["title"] = (_text(title) or None) if title is not None else None

    blocks, related, images = [], [], []
    for el in content.iter("p", "h2", "h3", "li", "figure", "div"):
        anc = [x for x in el.iterancestors() if x is not content]
        if any(set((x.get("class") or "").split()) & skip for x in anc + [el]):
            continue
        if any(x.tag == "figure" or "wp-caption" in (x.get("class") or "") for x in anc):
            continue
        cls = el.get("class") or ""
        if el.tag == "figure" or "wp-caption" in cls.split():
            images.append(_image(el, theme))
            continue
        if el.tag == "div":
            continue
        strong = el.xpath("./strong")
        if el.tag == "p" and strong and not (el.text or "").strip() and _text(strong[0]).endswith(":"):
            link = el.xpath("./a")[0]
            related.append({"url": link.get("href"), "text": _text(link),
                            "label": _text(strong[0]).rstrip(":").strip()})
            continue
        blocks.append(_text(el))
    if theme == "fortyfive":
        lead = one("//figure[contains(@class,'lead-image')]")
        if lead is not None:
            images.insert(0, _image(lead, theme))
    for i, im in enumerate(images):
        im["is_lead"] = i == 0
    rec["body_text"] = "\n\n".join(blocks) or None
    rec["images"] = images
    rec["related_links"] = related

    comments, pings = [], 0
    if theme == "fortyfive":
        lis = doc.xpath("//ol[@class='comment-list']//li")
    elif theme == "gutenberg":
        lis = doc.xpath("//ol[@class='wp-block-comment-template']//li")
    else:
        lis = doc.xpath("//ol[@class='commentlist']//li")
    for li in lis:
        cls = (li.get("class") or "").split()
        if "pingback" in cls or "trackback" in cls:
            pings += 1
            continue
        par = next((x for x in li.iterancestors("li")), None)
        cid = lambda x: re.sub(r"^(li-)?comment-", "", x.get("id"))  # noqa: E731
        if theme == "fortyfive":
            fn = li.xpath("./article//b[@class='fn']")[0]
            when = li.xpath("./article//time/@datetime")[0]
            paras = li.xpath("./article/div[@class='comment-content']/p")
        elif theme == "gutenberg":
            fn = li.xpath("./div/div[@class='wp-block-comment-author-name']")[0]
            when = li.xpath("./div//time/@datetime")[0]
            paras = li.xpath("./div/div[@class='wp-block-comment-content']/p")
        else:
            fn = li.xpath("./div//cite[@class='fn']")[0]
            when = _parse_display(_text(li.xpath("./div/div[contains(@class,'comment-meta')]/a")[0]))
            paras = li.xpath("./div/div[@class='comment-body']/p")
        a = fn.xpath("./a")
        comments.append({
            "id": cid(li), "parent_id": cid(par) if par is not None else None,
            "author": _text(fn), "author_url": a[0].get("href") if a else None,
            "posted_at": when, "text": "\n\n".join(_text(p) for p in paras),
            "depth": int(next(c for c in cls if c.startswith("depth-"))[6:]),
        })
    rec["comments"] = comments
    rec["comment_count"] = len(comments)
    rec["pingback_count"] = pings
    head = one("//*[contains(@class,'comments-title') or @id='comments-title']")
    if head is None:
        rec["declared_comment_count"] = None
    else:
        word = _text(head).split()[0]
        rec["declared_comment_count"] = 1 if word == "One" else int(word)
    return rec


def _image(el, theme: str) -> dict:
    img = el.xpath(".//img")[0]
    assert img.get("srcset") and "300w" in img.get("srcset")
    if theme == "gutenberg":
        cap_el = el.xpath(".//figcaption")[0]
        credit = el.xpath(".//span[@class='image-credit']")
        credit_text = _text(credit[0]) if credit else None
        if credit:
            credit[0].drop_tree()
        caption = _text(cap_el)
    else:
        caption = _text(el.xpath(".//*[contains(@class,'wp-caption-text')]")[0])
        sep = " Image Credit: " if theme == "fortyfive" else " Photo: "
        caption, _, credit_text = caption.partition(sep)
        credit_text = credit_text.rstrip(".") if credit_text else None
    return {"src": img.get("src"), "alt": img.get("alt"), "caption": caption,
            "credit": credit_text, "is_lead": False}


def test_ground_truth_matches_markup(site):
    """Every article and comment page, parsed with the documented selectors, gives
    exactly expected_record (minus url)."""
    checked = 0
    for a in site.articles:
        merged: dict | None = None
        for n in range(1, a.n_comment_pages + 1):
            page = render(site, a.comment_page_path(n), BASE)
            assert page.status == 200
            got = reference_extract(page.body, BASE + a.comment_page_path(n))
            want = expected_record(a, BASE, n)
            for key in got:
                assert got[key] == want[key], (a.index, n, key)
            if merged is None:
                merged = got
            else:
                merged["comments"] += got["comments"]
                merged["pingback_count"] += got["pingback_count"]
            checked += 1
        want = expected_record(a, BASE)
        assert merged["comments"] == want["comments"]
        assert merged["pingback_count"] == want["pingback_count"]
    assert checked == 36 + 1 + 2


def test_render_is_deterministic_and_escaped(site):
    other = build_site()
    for path in ["/", "/feed/", site.articles[0].path, site.articles[3].path,
                 site.articles[6].path + "comment-page-2/", "/wp-sitemap-posts-post-1.xml"]:
        assert render(site, path, BASE) == render(other, path, BASE)
    html = render(site, site.articles[0].path, BASE).body.decode("utf-8")
    assert '<meta charset="utf-8">' in html and '<html lang="en-US">' in html
    assert "&amp;" in render(site, "/", BASE).body.decode()
    lxml.html.fromstring(html)
    ping = render(site, site.articles[PAGINATED_2].path + "comment-page-2/", BASE)
    assert f'<link rel="canonical" href="{BASE}{site.articles[PAGINATED_2].path}comment-page-2/"' \
        in ping.body.decode()


def test_listings_link_everything(site):
    seen = set()
    n = 1
    while True:
        page = render(site, "/" if n == 1 else f"/page/{n}/", BASE)
        assert page.status == 200
        doc = lxml.html.fromstring(page.body)
        seen |= set(doc.xpath("//main//h2[@class='entry-title']/a/@href"))
        nxt = doc.xpath("//a[contains(@class,'next') and contains(@class,'page-numbers')]/@href")
        if not nxt:
            break
        n += 1
    assert seen == {BASE + a.path for a in site.articles}       # the draft too
    assert render(site, f"/page/{n + 1}/", BASE).status == 404
    for c in site.categories:
        assert render(site, f"/category/{c.slug}/", BASE).status == 200
    for au in site.authors:
        page = render(site, f"/author/{au.slug}/", BASE)
        assert page.status == 200 and au.bio.split()[0] in page.body.decode()


# --------------------------------------------------------------------------- the default site is frozen

# sha256 over every page of the default site (build_site(), day 0) as render() and the
# server's framing produce it, plus every expected_record: computed from the code as it
# was before the comment-thread extensions (issue 3).  Other tests rely on the default
# site byte for byte; new things live behind parameters or beyond index 35.
DEFAULT_SITE_DIGEST = "752f46181338a6793a4da756dcf7a913bc3ae95edeaf3070c52e61d3931565cc"


def default_site_paths(site):
    arts = site.articles
    paths = ["/", "/robots.txt", "/feed/", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml",
             "/wp-sitemap-posts-post-2.xml", "/wp-sitemap-taxonomies-category-1.xml",
             "/wp-sitemap-taxonomies-post_tag-1.xml", "/wp-sitemap-users-1.xml",
             RETIRED_PATH, "/private/staff-directory/", "/private/drafts/", "/wp-admin/",
             "/no/such/page/", "/page/1/", "/wp-content/uploads/avatar-default.png",
             "/wp-content/uploads/2019/01/forward-line-logo.png", "/wp-content/uploads/nope.jpg",
             "/?s=tank", "/feed", "/go/nothing/"]
    for t in ("fortyfive", "gutenberg", "classic", "forwardline"):
        paths += [f"/wp-content/themes/{t}/style.css", f"/wp-content/themes/{t}/style.css?ver=1.4",
                  f"/wp-content/themes/{t}/img/bg.png"]
    listings = ["/"] + [c.url("")[0:] for c in site.categories] + [a.url("") for a in site.authors]
    tags = sorted({slugify(t) for a in arts for t in a.tags})
    listings += [f"/tag/{s}/" for s in tags]
    for l in listings:
        paths.append(l)
        for n in range(2, 6):
            paths.append(f"{l}page/{n}/")
    for a in arts:
        p = a.path
        paths += [p, p.rstrip("/"), p + "?replytocom=123", p + "?share=twitter", p + "comment-page-1/",
                  f"/?p={a.post_id}", f"/go/{a.slug}/", p + "?cpage=1", p + "?cpage=9",
                  p + f"comment-page-{a.n_comment_pages + 1}/"]
        for n in range(2, a.n_comment_pages + 1):
            paths += [p + f"comment-page-{n}/", p + f"?cpage={n}"]
        for im in a.images:
            paths += [im.path, im.thumb_path]
    return paths

def default_site_digest(site):
    h = hashlib.sha256()
    for path in default_site_paths(site):
        pg = render(site, path, BASE)
        h.update(json.dumps([path, pg.status, pg.headers, pg.content_type, pg.mode]).encode())
        h.update(pg.body)
        for method, ae in (("GET", "gzip"), ("HEAD", None)):
            r = build_response(site, BASE, method, path, ae)
            h.update(json.dumps([r.status, r.headers]).encode())
            h.update(r.wire_body)
    for a in site.articles:
        h.update(json.dumps(expected_record(a, BASE), sort_keys=True).encode())
        for n in range(1, a.n_comment_pages + 1):
            h.update(json.dumps(expected_record(a, BASE, n), sort_keys=True).encode())
    h.update(json.dumps(site_totals(site), sort_keys=True).encode())
    return h.hexdigest()


def test_default_site_is_unchanged(site):
    assert len(default_site_paths(site)) > 700
    assert default_site_digest(site) == DEFAULT_SITE_DIGEST

# --------------------------------------------------------------------------- the server

def test_robots_sitemap_feed(server):
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(server.fetch_exact("/robots.txt").body.decode().splitlines())
    assert not rp.can_fetch("dca", server.url("/private/staff-directory/"))
    assert not rp.can_fetch("dca", server.url("/wp-admin/"))
    assert rp.can_fetch("dca", server.url(server.data.articles[0].path))
    assert rp.site_maps() == [server.url("/wp-sitemap.xml")]

    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.fromstring(server.fetch_exact("/wp-sitemap.xml").body)
    maps = [e.text for e in index.findall("sm:sitemap/sm:loc", ns)]
    assert server.url("/wp-sitemap-posts-post-1.xml") in maps
    locs = {}
    for m in maps:
        r = server.fetch_exact(m[len(server.base_url):])
        assert r.status == 200 and r.header("Content-Type").startswith("application/xml")
        for u in ET.fromstring(r.body).findall("sm:url", ns):
            locs[u.find("sm:loc", ns).text] = u.find("sm:lastmod", ns)
    for a in server.data.articles:
        assert locs[server.url(a.path)] is not None
    assert server.url("/author/renee-castellanos/") in locs
    assert server.url("/category/russia-ukraine/") in locs

    feed = ET.fromstring(server.fetch_exact("/feed/").body)
    items = feed.findall("channel/item")
    assert len(items) == 10
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    for it, a in zip(items, server.data.articles):
        assert it.findtext("link") == server.url(a.path)
        assert it.findtext("title") == a.title
        assert [x.text for x in it.findall(dc)] == [au.name for au in a.authors]
        assert it.findtext("pubDate").endswith("+0000")


def test_response_modes(server):
    arts = server.data.articles
    # chunked: real framing, several chunks, no Content-Length
    r = server.fetch_exact(arts[0].path, "gzip")
    assert r.header("Transfer-Encoding") == "chunked" and r.header("Content-Length") is None
    assert r.wire_body.count(b"\r\n") >= 8 and r.wire_body.endswith(b"0\r\n\r\n")
    assert r.body == render(server.data, arts[0].path, server.base_url).body
    # gzip when accepted
    r = server.fetch_exact(arts[1].path, "gzip, deflate, br")
    assert r.header("Content-Encoding") == "gzip"
    assert int(r.header("Content-Length")) == len(r.body) and r.body[:2] == b"\x1f\x8b"
    assert r.decoded == render(server.data, arts[1].path, server.base_url).body
    assert r.header("Vary") == "Accept-Encoding"
    r2 = server.fetch_exact(arts[1].path, "identity")
    assert r2.header("Content-Encoding") is None and r2.body == r.decoded
    assert server.fetch_exact(arts[1].path, "gzip;q=0").header("Content-Encoding") is None
    # identity
    r = server.fetch_exact(arts[2].path, "gzip")
    assert r.header("Content-Encoding") is None and int(r.header("Content-Length")) == len(r.body)
    # css gzip, images
    r = server.fetch_exact("/wp-content/themes/classic/style.css?ver=1.4", "gzip")
    assert r.header("Content-Encoding") == "gzip" and b"bg.png" in r.decoded
    assert server.fetch_exact("/wp-content/themes/classic/img/bg.png").body[:4] == b"\x89PNG"
    im = arts[0].images[0]
    r = server.fetch_exact(im.path)
    assert r.status == 200 and r.header("Content-Type") == "image/jpeg" and r.body[:2] == b"\xff\xd8"
    assert 500 < len(r.body) < 20000
    assert server.fetch_exact(im.thumb_path).body[:2] == b"\xff\xd8"


def test_article_headers_and_head(server):
    a = server.data.articles[2]
    r = server.fetch_exact(a.path)
    assert r.status == 200 and r.http_version == "HTTP/1.1"
    assert len(r.header_list("Set-Cookie")) == 2
    links = r.header_list("Link")
    assert len(links) == 2 and any("api.w.org" in x for x in links)
    assert any("shortlink" in x for x in links)
    h = server.fetch_exact(a.path, method="HEAD")
    assert h.headers == r.headers and h.body == b""
    hc = server.fetch_exact(server.data.articles[0].path, method="HEAD")
    assert hc.header("Transfer-Encoding") == "chunked" and hc.body == b""
    # http.client sees both cookies too
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", server.data.articles[1].path)
    resp = conn.getresponse()
    resp.read()
    assert len([v for k, v in resp.getheaders() if k == "Set-Cookie"]) == 2
    conn.close()


def test_redirects_and_errors(server):
    data = server.data
    pick = data.articles[8]
    r = server.fetch_exact(f"/go/{pick.slug}/")
    assert r.status == 301 and r.header("Location") == server.url(pick.path)
    assert r.header("Content-Length") == "0"
    assert f'/go/{pick.slug}/'.encode() in server.fetch_exact("/").body
    assert server.fetch_exact(RETIRED_PATH).status == 404
    linker = next(a for a in data.articles if any(l.href == RETIRED_PATH for l in a.links))
    assert server.url(RETIRED_PATH).encode() in server.fetch_exact(linker.path).decoded
    assert server.fetch_exact("/no/such/page/").status == 404
    assert server.fetch_exact("/wp-content/uploads/nope.jpg").status == 404
    assert server.fetch_exact("/private/staff-directory/").status == 403
    a = data.articles[PAGINATED_3]
    assert server.fetch_exact(a.path + "comment-page-3/").status == 200
    assert server.fetch_exact(a.path + "comment-page-4/").status == 404
    r = server.fetch_exact(a.path + "comment-page-1/")
    assert r.status == 301 and r.header("Location") == server.url(a.path)
    r = server.fetch_exact(f"/?p={a.post_id}")
    assert r.status == 301 and r.header("Location") == server.url(a.path)
    r = server.fetch_exact(a.path.rstrip("/"))
    assert r.status == 301 and r.header("Location") == server.url(a.path)
    assert server.fetch_exact(data.articles[DRAFT].path).status == 200


def test_exact_bytes_and_keep_alive(server):
    path = server.data.articles[0].path
    r1 = server.fetch_exact(path)
    r2 = server.fetch_exact(path)
    assert r1.raw == r2.raw
    exp = server.expected_response(path)
    assert r1.wire_body == exp.wire_body and r1.body == exp.body
    assert [h for h in r1.headers if h[0] not in ("Server", "Date")] == exp.headers
    exp = build_response(server.data, server.base_url, "GET", server.data.articles[1].path, "gzip")
    assert server.fetch_exact(server.data.articles[1].path, "gzip").body == exp.body

    server.clear_log()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for p in ["/", server.data.articles[0].path, server.data.articles[1].path, "/feed/",
              "/go/" + server.data.articles[8].slug + "/"]:
        conn.request("GET", p, headers={"Accept-Encoding": "gzip", "X-Test": "1"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status in (200, 301)
    sock = conn.sock
    assert sock is not None                       # still the same open connection
    conn.close()
    log = server.requests()
    assert [e.path for e in log][:2] == ["/", server.data.articles[0].path]
    assert log[0].method == "GET" and log[0].headers["x-test"] == ["1"]


def test_stop_is_clean():
    s = SampleSite(n_articles=7)
    s.start()
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    conn.request("GET", "/")
    conn.getresponse().read()                     # an idle keep-alive connection stays open
    t0 = time.perf_counter()
    s.stop()
    assert time.perf_counter() - t0 < 3
    conn.close()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", s.port, timeout=2).request("GET", "/")


def test_big_site_serves_fast():
    t0 = time.perf_counter()
    with SampleSite(n_articles=2500) as s:
        a = s.data.articles[-1]
        assert s.fetch_exact(a.path).status == 200
        assert s.fetch_exact("/page/250/").status == 200
        assert s.fetch_exact("/wp-sitemap-posts-post-2.xml").status == 200
    assert time.perf_counter() - t0 < 10


SCRAPY_SCRIPT = textwrap.dedent("""
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    base, paths = sys.argv[1], json.loads(sys.argv[2])
    seen = []

    class S(scrapy.Spider):
        name = "s"
        async def start(self):
            for p in paths:
                yield scrapy.Request(base + p, dont_filter=True)
                yield scrapy.Request(base + p, method="HEAD", dont_filter=True)
        def parse(self, response):
            seen.append([response.request.method, response.url, response.status, len(response.body),
                         [v.decode() for v in response.headers.getlist("Set-Cookie")]])

    p = CrawlerProcess({"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
                        "CONCURRENT_REQUESTS": 4, "RETRY_ENABLED": False, "COOKIES_ENABLED": False,
                        "REDIRECT_ENABLED": False, "HTTPERROR_ALLOW_ALL": True})
    p.crawl(S)
    p.start()
    print(json.dumps(seen))
""")


def test_scrapy_fetches_every_mode(server):
    data = server.data
    paths = [data.articles[i].path for i in range(6)] + [
        "/", "/feed/", "/wp-content/themes/fortyfive/style.css", data.articles[0].images[0].path,
        data.articles[PAGINATED_3].path + "comment-page-2/", RETIRED_PATH]
    out = subprocess.run([sys.executable, "-c", SCRAPY_SCRIPT, server.base_url, json.dumps(paths)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(seen) == 2 * len(paths)
    for method, url, status, size, cookies in seen:
        path = url[len(server.base_url):]
        page = render(data, path, server.base_url)
        assert status == page.status
        if method == "GET":
            assert size == len(page.body), path          # gzip and chunks undone by Scrapy
        else:
            assert size == 0
        if path in [a.path for a in data.articles]:
            assert len(cookies) == 2
