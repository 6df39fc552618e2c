"""Pure rendering of the sample site: (site data, path, base url) -> Page.

No clocks and no randomness: the same data always gives the same bytes.  Rendered
pages are kept in a bounded per-site cache, so a 2,500-article site serves fast.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from .data import (
    LANGUAGE, RETIRED_PATH, SITE_NAME, SITE_TAGLINE, THEMES, Article, Comment, Image,
    SiteData, display_date, display_datetime, display_time, iso, slugify,
)

ASSETS = Path(__file__).resolve().parent / "assets"
LOGO_PATH = "/wp-content/uploads/2019/01/forward-line-logo.png"
AVATAR_PATH = "/wp-content/uploads/avatar-default.png"
LISTING_THEME = "forwardline"
PER_PAGE = 10
SITEMAP_MAX = 2000
WP_VERSION = "6.4.3"
HTML_TYPE = "text/html; charset=UTF-8"
CACHE_MAX_ENTRIES = 3000


@dataclass(frozen=True)
class Page:
    status: int
    headers: list[tuple[str, str]]   # Content-Type included; framing headers are the server's
    body: bytes
    content_type: str
    mode: str = "identity"           # 'identity' | 'chunked' | 'gzip' (when the client accepts)


def e(text: str | None) -> str:
    return escape(text or "", quote=True)


# --------------------------------------------------------------------------- cache + index

class _LRU:
    def __init__(self, max_entries: int | None):
        self.max = max_entries
        self.d: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            v = self.d.get(key)
            if v is not None:
                self.d.move_to_end(key)
            return v

    def put(self, key, value):
        with self.lock:
            self.d[key] = value
            self.d.move_to_end(key)
            while self.max is not None and len(self.d) > self.max:
                self.d.popitem(last=False)


_ASSET_BYTES: dict[str, bytes] = {}


def asset(name: str) -> bytes:
    b = _ASSET_BYTES.get(name)
    if b is None:
        b = _ASSET_BYTES[name] = (ASSETS / name).read_bytes()
    return b


class _Index:
    def __init__(self, site: SiteData):
        self.articles = site.listed                        # newest first
        self.valid = [a for a in self.articles if not a.expect_invalid]
        self.by_path = {a.path: a for a in site.articles}
        self.by_slug = {a.slug: a for a in site.articles}
        self.categories = {c.slug: c for c in site.categories}
        self.authors = {a.slug: a for a in site.authors}
        self.by_category: dict[str, list[Article]] = {c.slug: [] for c in site.categories}
        self.by_author: dict[str, list[Article]] = {a.slug: [] for a in site.authors}
        self.tags: dict[str, str] = {}
        self.by_tag: dict[str, list[Article]] = {}
        self.uploads: dict[str, str] = {
            LOGO_PATH: "logo.png", AVATAR_PATH: "avatar.png"}
        for a in self.articles:
            self.by_category[a.category.slug].append(a)
            for au in a.authors:
                self.by_author[au.slug].append(a)
            for t in a.tags:
                s = slugify(t)
                self.tags.setdefault(s, t)
                self.by_tag.setdefault(s, []).append(a)
            for im in a.images:
                k = zlib.crc32(im.file.encode()) % 4
                self.uploads[im.path] = f"photo{k}.jpg"
                self.uploads[im.thumb_path] = f"thumb{k}.jpg"
        steady = site.valid_articles                       # index order: the pick stays put
        self.pick = steady[min(len(steady) - 1, 8)] if steady else None
        self.by_post_id = {a.post_id: a for a in site.articles}


def _index(site: SiteData) -> _Index:
    idx = site.cache.get("index")
    if idx is None:
        idx = site.cache["index"] = _Index(site)
    return idx


def _cache(site: SiteData) -> _LRU:
    c = site.cache.get("pages")
    if c is None:
        c = site.cache.setdefault("pages", _LRU(None if keeps_everything(site) else CACHE_MAX_ENTRIES))
    return c


def keep_everything(site: SiteData) -> SiteData:
    """Never drop a rendered page (nor a compressed body, server.py) of ``site``: after one
    crawl, serving costs no rendering. For the benchmark, whose crawls share the machine's
    cores with the site; a real site renders on its own machine. Memory grows with the site
    (about 220 MB for 2,000 articles)."""
    site.cache["keep_everything"] = True
    return site


def keeps_everything(site: SiteData) -> bool:
    return site.cache.get("keep_everything", False)


def render(site: SiteData, path: str, base_url: str) -> Page:
    """Render ``path`` (path + optional query) of ``site`` served at ``base_url``."""
    base_url = base_url.rstrip("/")
    key = (base_url, path)
    cache = _cache(site)
    page = cache.get(key)
    if page is None:
        page = _route(site, path, base_url)
        cache.put(key, page)
    return page


# --------------------------------------------------------------------------- responses

def _html(status: int, text: str, extra: list[tuple[str, str]] | None = None,
          mode: str = "identity") -> Page:
    headers = [("Content-Type", HTML_TYPE)] + (extra or [])
    return Page(status, headers, text.encode("utf-8"), HTML_TYPE, mode)


def _redirect(location: str, status: int = 301) -> Page:
    return Page(status, [("Content-Type", HTML_TYPE), ("Location", location),
                         ("X-Redirect-By", "WordPress")], b"", HTML_TYPE)


def _plain(body: str | bytes, ctype: str, mode: str = "identity", status: int = 200) -> Page:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Page(status, [("Content-Type", ctype)], body, ctype, mode)


def _not_found(site: SiteData, base: str) -> Page:
    body = _document(
        site, base, title=f"Page not found &#8211; {e(SITE_NAME)}", canonical=None,
        head_extra="", theme=LISTING_THEME, body_class="error404",
        main=('<section class="error-404 not-found"><header class="page-header">'
              '<h1 class="page-title">Oops! That page can&rsquo;t be found.</h1></header>'
              '<div class="page-content"><p>It looks like nothing was found at this location. '
              'Maybe try a search?</p></div></section>'))
    return _html(404, body)


def _forbidden() -> Page:
    return _html(403, '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="utf-8">'
                      '<title>403 Forbidden</title></head><body><h1>Forbidden</h1>'
                      '<p>You don&#8217;t have permission to access this resource.</p>'
                      '</body></html>\n')


def _route(site: SiteData, raw: str, base: str) -> Page:
    path, _, query = raw.partition("?")
    q = parse_qs(query)
    idx = _index(site)
    if not path.startswith("/"):
        return _not_found(site, base)
    if path == "/" and "p" in q:
        a = next((x for x in idx.articles if str(x.post_id) == q["p"][0]), None)
        return _redirect(a.permalink(base)) if a else _not_found(site, base)
    if path == "/wp-json":
        return _redirect(base + "/wp-json/")
    if path.startswith("/wp-json/"):
        return rest.route(site, idx, path[len("/wp-json"):], query, base)
    if path == "/" and "rest_route" in q:
        return rest.route(site, idx, q["rest_route"][0], query, base)
    if query and not path.startswith("/wp-content/"):
        # WordPress ignores unknown query vars (?share=..., ?replytocom=...)
        a = idx.by_path.get(path)
        if a is not None and "cpage" in q:
            try:
                n = int(q["cpage"][0])
            except ValueError:
                n = 0
            if 1 <= n <= a.n_comment_pages:
                if a.cpage_served:          # served as is; canonical = /comment-page-N/
                    return _article_page(site, idx, a, n, base)
                return _redirect(a.comment_page_url(base, n))
            return _not_found(site, base)
        page = render(site, path, base)
        return page
    if path == "/robots.txt":
        return _plain(_robots(base), "text/plain; charset=utf-8")
    if path.startswith("/wp-sitemap"):
        return _sitemap(site, idx, path, base)
    if path == "/feed/":
        return _plain(_feed(site, idx, base), "application/rss+xml; charset=UTF-8")
    if path.startswith("/wp-content/"):
        return _static(idx, path)
    if path.startswith("/private/") or path == "/private" or path.startswith("/wp-admin"):
        return _forbidden()
    if path.startswith("/go/"):
        slug = path[4:].strip("/")
        a = idx.by_slug.get(slug)
        if a is not None and not a.expect_invalid and path == f"/go/{slug}/":
            return _redirect(a.permalink(base))
        return _not_found(site, base)
    if not path.endswith("/"):
        target = render(site, path + "/", base)
        if target.status == 200 and target.content_type == HTML_TYPE:
            return _redirect(base + path + "/")
        return _not_found(site, base)
    # listings
    parts = [p for p in path.split("/") if p]
    pageno = 1
    if len(parts) >= 2 and parts[-2] == "page" and parts[-1].isdigit():
        pageno = int(parts[-1])
        parts = parts[:-2]
        if pageno == 1:
            return _redirect(base + "/" + "".join(p + "/" for p in parts))
    if not parts:
        return _listing(site, idx, base, "/", "home", idx.articles, pageno, None, None)
    if len(parts) == 2 and parts[0] == "category" and parts[1] in idx.categories:
        c = idx.categories[parts[1]]
        return _listing(site, idx, base, path_prefix(parts), "category",
                        idx.by_category[c.slug], pageno, f"Category: {c.name}", None)
    if len(parts) == 2 and parts[0] == "tag" and parts[1] in idx.tags:
        return _listing(site, idx, base, path_prefix(parts), "tag", idx.by_tag[parts[1]],
                        pageno, f"Tag: {idx.tags[parts[1]]}", None)
    if len(parts) == 2 and parts[0] == "author" and parts[1] in idx.authors:
        au = idx.authors[parts[1]]
        return _listing(site, idx, base, path_prefix(parts), "author", idx.by_author[au.slug],
                        pageno, f"Author: {au.name}", au.bio)
    if pageno != 1:
        return _not_found(site, base)
    # articles and comment pages
    a = idx.by_path.get(path)
    if a is not None:
        return _article_page(site, idx, a, 1, base)
    if len(parts) == 5 and parts[4].startswith("comment-page-"):
        a = idx.by_path.get("/" + "/".join(parts[:4]) + "/")
        num = parts[4][len("comment-page-"):]
        if a is not None and num.isdigit():
            n = int(num)
            if n == 1:
                return _redirect(a.permalink(base))
            if 2 <= n <= a.n_comment_pages:
                return _article_page(site, idx, a, n, base)
    return _not_found(site, base)


def path_prefix(parts: list[str]) -> str:
    return "/" + "".join(p + "/" for p in parts)


# --------------------------------------------------------------------------- text files

def _robots(base: str) -> str:
    return ("User-agent: *\nDisallow: /wp-admin/\nDisallow: /private/\n"
            "Allow: /wp-admin/admin-ajax.php\n\n"
            f"Sitemap: {base}/wp-sitemap.xml\n")


def _x(text: str) -> str:
    return escape(text, quote=False)


def _sitemap(site: SiteData, idx: _Index, path: str, base: str) -> Page:
    ctype = "application/xml; charset=UTF-8"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    n_post_maps = max(1, -(-len(idx.articles) // SITEMAP_MAX))
    if path == "/wp-sitemap.xml":
        locs = [f"{base}/wp-sitemap-posts-post-{k}.xml" for k in range(1, n_post_maps + 1)]
        locs += [f"{base}/wp-sitemap-taxonomies-category-1.xml",
                 f"{base}/wp-sitemap-taxonomies-post_tag-1.xml",
                 f"{base}/wp-sitemap-users-1.xml"]
        body = head + f"<sitemapindex {ns}>" + "".join(
            f"<sitemap><loc>{_x(u)}</loc></sitemap>" for u in locs) + "</sitemapindex>\n"
        return _plain(body, ctype)
    urls: list[tuple[str, str | None]] | None = None
    if path.startswith("/wp-sitemap-posts-post-") and path.endswith(".xml"):
        num = path[len("/wp-sitemap-posts-post-"):-4]
        if num.isdigit() and 1 <= int(num) <= n_post_maps:
            k = int(num)
            chunk = idx.articles[(k - 1) * SITEMAP_MAX:k * SITEMAP_MAX]
            urls = [(a.permalink(base), iso(a.lastmod)) for a in chunk]
    elif path == "/wp-sitemap-taxonomies-category-1.xml":
        urls = [(c.url(base), None) for c in site.categories]
    elif path == "/wp-sitemap-taxonomies-post_tag-1.xml":
        urls = [(f"{base}/tag/{s}/", None) for s in sorted(idx.tags)]
    elif path == "/wp-sitemap-users-1.xml":
        urls = [(au.url(base), None) for au in site.authors]
    if urls is None:
        return _not_found(site, base)
    body = head + f"<urlset {ns}>" + "".join(
        f"<url><loc>{_x(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>"
        for u, m in urls) + "</urlset>\n"
    return _plain(body, ctype)


def _rfc822(dt) -> str:
    return format_datetime(dt.astimezone(timezone.utc))


def _excerpt(a: Article, words: int = 40) -> str:
    first = next((t for tag, t in a.blocks if tag == "p"), "")
    ws = first.split()
    return " ".join(ws[:words]) + (" […]" if len(ws) > words else "")


def _feed(site: SiteData, idx: _Index, base: str) -> str:
    items = idx.articles[:10]
    last = max((a.lastmod for a in items), default=None)
    out = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
           '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
           '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
           '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
           '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
           '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
           '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n<channel>\n',
           f"\t<title>{_x(SITE_NAME)}</title>\n",
           f'\t<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />\n',
           f"\t<link>{base}</link>\n\t<description>{_x(SITE_TAGLINE)}</description>\n"]
    if last is not None:
        out.append(f"\t<lastBuildDate>{_rfc822(last)}</lastBuildDate>\n")
    out.append(f"\t<language>{LANGUAGE}</language>\n\t<sy:updatePeriod>hourly</sy:updatePeriod>\n"
               f"\t<generator>https://wordpress.org/?v={WP_VERSION}</generator>\n")
    for a in items:
        link = a.permalink(base)
        out.append("\t<item>\n")
        out.append(f"\t\t<title>{_x(a.title)}</title>\n\t\t<link>{_x(link)}</link>\n")
        out.append(f"\t\t<comments>{_x(link)}#respond</comments>\n")
        for au in a.authors:
            out.append(f"\t\t<dc:creator><![CDATA[{au.name}]]></dc:creator>\n")
        out.append(f"\t\t<pubDate>{_rfc822(a.published)}</pubDate>\n")
        out.append(f"\t\t<category><![CDATA[{a.section}]]></category>\n")
        for t in a.tags:
            out.append(f"\t\t<category><![CDATA[{t}]]></category>\n")
        out.append(f'\t\t<guid isPermaLink="false">{base}/?p={a.post_id}</guid>\n')
        out.append(f"\t\t<description><![CDATA[{_excerpt(a)}]]></description>\n")
        out.append(f"\t\t<wfw:commentRss>{_x(link)}feed/</wfw:commentRss>\n")
        out.append(f"\t\t<slash:comments>{len(a.comments)}</slash:comments>\n\t</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out)


_CSS = """/*
Theme Name: {name}
Author: The Forward Line web team
Version: 1.4
*/
html{{-webkit-text-size-adjust:100%}}
body{{margin:0;font:18px/1.6 {font};color:#1d1f22;background:#f5f4f0 url(img/bg.png) repeat}}
a{{color:{accent};text-decoration:none}}a:hover{{text-decoration:underline}}
.site-header{{background:#14202d;color:#fff;padding:12px 24px}}
.site-title a{{color:#fff;font-weight:700}}
.main-navigation ul{{list-style:none;margin:0;padding:0;display:flex;gap:18px}}
.site-content{{display:grid;grid-template-columns:minmax(0,1fr) 300px;gap:40px;max-width:1180px;margin:0 auto;padding:24px}}
.entry-title,.wp-block-post-title{{font-size:2.4rem;line-height:1.15;margin:.3em 0}}
.entry-subtitle{{font-size:1.3rem;font-weight:400;color:#555}}
.entry-meta,.wp-block-post-date,.comment-metadata{{font-size:.85rem;color:#666}}
figure{{margin:1.5em 0}}figure img,.wp-caption img{{max-width:100%;height:auto}}
.wp-caption-text,.wp-element-caption{{font-size:.8rem;color:#555}}
.image-credit{{font-style:italic}}
blockquote{{border-left:4px solid {accent};margin:1.5em 0;padding:0 1em;font-style:italic}}
.newsletter-box{{background:#14202d;color:#fff;padding:16px;margin:2em 0}}
.ad-slot{{min-height:250px;background:#eee;text-align:center}}
.sharedaddy ul{{list-style:none;display:flex;gap:10px;padding:0}}
.author-box{{border-top:1px solid #ddd;margin-top:2em;padding-top:1em}}
.comment-list,.commentlist,.wp-block-comment-template{{list-style:none;padding:0}}
.children{{list-style:none;padding-left:2em;border-left:1px dotted #ccc}}
.avatar{{border-radius:50%;float:left;margin-right:10px}}
.pingback{{font-size:.85rem;color:#777}}
.widget-area{{font-size:.9rem}}.widget-title{{font-size:1rem;text-transform:uppercase}}
.site-footer{{background:#14202d;color:#ccc;padding:24px;text-align:center}}
.page-numbers{{display:inline-block;padding:4px 10px;border:1px solid #ccc}}
.page-numbers.current{{background:{accent};color:#fff}}
@media (max-width:800px){{.site-content{{grid-template-columns:1fr}}}}
"""
_THEME_STYLE = {
    "fortyfive": ("Helvetica Neue,Arial,sans-serif", "#b3261e"),
    "gutenberg": ("system-ui,sans-serif", "#1f4e79"),
    "classic": ("Georgia,Times New Roman,serif", "#0066cc"),
    LISTING_THEME: ("Helvetica Neue,Arial,sans-serif", "#b3261e"),
}


def _static(idx: _Index, path: str) -> Page:
    if path.startswith("/wp-content/themes/"):
        rest = path[len("/wp-content/themes/"):].split("/")
        if len(rest) == 2 and rest[0] in _THEME_STYLE and rest[1] == "style.css":
            font, accent = _THEME_STYLE[rest[0]]
            css = _CSS.format(name=rest[0], font=font, accent=accent)
            return _plain(css, "text/css; charset=utf-8", mode="gzip")
        if len(rest) == 3 and rest[0] in _THEME_STYLE and rest[1:] == ["img", "bg.png"]:
            return _plain(asset("bg.png"), "image/png")
    name = idx.uploads.get(path)
    if name is not None:
        return _plain(asset(name), "image/png" if name.endswith(".png") else "image/jpeg")
    return _Missing


_Missing = Page(404, [("Content-Type", HTML_TYPE)],
                b"<!DOCTYPE html>\n<html lang=\"en-US\"><head><meta charset=\"utf-8\">"
                b"<title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n",
                HTML_TYPE)


# --------------------------------------------------------------------------- page furniture

def _document(site: SiteData, base: str, *, title: str, canonical: str | None, head_extra: str,
              theme: str, body_class: str, main: str, sidebar: bool = True) -> str:
    """``title`` and ``main`` are already-escaped HTML."""
    idx = _index(site)
    q = "'" if theme == "classic" else '"'
    canon = (f"<link rel={q}canonical{q} href={q}{e(canonical)}{q} />\n" if canonical else "")
    nav = "".join(f'<li class="menu-item"><a href="{e(c.url(base))}">{e(c.name)}</a></li>'
                  for c in site.categories[:6])
    parts = [
        "<!DOCTYPE html>\n",
        f'<html lang="{LANGUAGE}">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{title}</title>\n",
        f"<link rel={q}stylesheet{q} id={q}{theme}-style-css{q} "
        f"href={q}{base}/wp-content/themes/{theme}/style.css?ver=1.4{q} media={q}all{q} />\n",
        f'<link rel="alternate" type="application/rss+xml" title="{e(SITE_NAME)} &raquo; Feed" '
        f'href="{base}/feed/" />\n',
        f'<link rel="https://api.w.org/" href="{base}/wp-json/" />\n',
        f'<meta name="generator" content="WordPress {WP_VERSION}" />\n',
        canon, head_extra,
        f'</head>\n<body class="{body_class}">\n<div id="page" class="site">\n',
        '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>\n',
        '<header id="masthead" class="site-header">\n',
        f'<div class="site-branding"><a href="{base}/" class="custom-logo-link" rel="home">'
        f'<img src="{base}{LOGO_PATH}" class="custom-logo" alt="{e(SITE_NAME)}" width="240" height="48"></a>\n',
        f'<p class="site-title"><a href="{base}/" rel="home">{e(SITE_NAME)}</a></p>\n',
        f'<p class="site-description">{e(SITE_TAGLINE)}</p></div>\n',
        '<nav id="site-navigation" class="main-navigation" aria-label="Primary">'
        f'<ul id="primary-menu" class="menu"><li class="menu-item"><a href="{base}/">Home</a></li>'
        f'{nav}</ul></nav>\n',
        f'<form role="search" method="get" class="search-form" action="{base}/">'
        '<label><span class="screen-reader-text">Search for:</span>'
        '<input type="search" class="search-field" placeholder="Search &hellip;" value="" name="s"></label>'
        '<input type="submit" class="search-submit" value="Search"></form>\n',
        '</header>\n<div id="content" class="site-content">\n<div id="primary" class="content-area">\n',
        main,
        "\n</div><!-- #primary -->\n",
    ]
    if sidebar:
        recent = "".join(f'<li><a href="{e(a.permalink(base))}">{e(a.title)}</a></li>'
                         for a in idx.valid[:5])
        parts.append('<aside id="secondary" class="widget-area">\n'
                     '<section id="recent-posts-2" class="widget widget_recent_entries">'
                     f'<h2 class="widget-title">Recent Posts</h2><ul>{recent}</ul></section>\n')
        if idx.pick is not None:
            parts.append('<section id="text-3" class="widget widget_text">'
                         '<h2 class="widget-title">Editor&#8217;s Pick</h2>'
                         f'<div class="textwidget"><p><a href="{base}/go/{e(idx.pick.slug)}/">'
                         f'{e(idx.pick.title)}</a></p></div></section>\n')
        cats = "".join(f'<li class="cat-item"><a href="{e(c.url(base))}">{e(c.name)}</a></li>'
                       for c in site.categories)
        parts.append('<section id="categories-2" class="widget widget_categories">'
                     f'<h2 class="widget-title">Sections</h2><ul>{cats}</ul></section>\n</aside>\n')
    parts.append(
        '</div><!-- #content -->\n<footer id="colophon" class="site-footer">\n'
        '<nav class="footer-navigation" aria-label="Footer"><ul>'
        f'<li><a href="{base}/private/staff-directory/">Staff directory</a></li>'
        f'<li><a href="{base}/private/drafts/">Editorial drafts</a></li>'
        f'<li><a href="{base}/wp-admin/">Log in</a></li>'
        f'<li><a href="{base}/feed/">RSS</a></li>'
        f'<li><a href="{base}/wp-sitemap.xml">Sitemap</a></li></ul></nav>\n'
        f'<div class="site-info">&copy; 2025 {e(SITE_NAME)}. Opinions are the authors&#8217; own.</div>\n'
        '</footer>\n</div><!-- #page -->\n</body>\n</html>\n')
    return "".join(parts)


# --------------------------------------------------------------------------- listings

def _listing(site: SiteData, idx: _Index, base: str, prefix: str, kind: str,
             posts: list[Article], pageno: int, heading: str | None, bio: str | None) -> Page:
    pages = max(1, -(-len(posts) // PER_PAGE))
    if pageno > pages:
        return _not_found(site, base)
    chunk = posts[(pageno - 1) * PER_PAGE:pageno * PER_PAGE]

    def url(n: int) -> str:
        return f"{base}{prefix}" if n == 1 else f"{base}{prefix}page/{n}/"

    out = ['<main id="main" class="site-main">\n']
    if heading:
        out.append(f'<header class="page-header"><h1 class="page-title">{e(heading)}</h1>')
        if bio:
            out.append(f'<div class="archive-description author-bio"><p>{e(bio)}</p></div>')
        out.append("</header>\n")
    for a in chunk:
        byline = " and ".join(f'<a class="author-name" href="{e(au.url(base))}">{e(au.name)}</a>'
                              for au in a.authors)
        out.append(
            f'<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish '
            f'hentry category-{a.category.slug}">\n'
            f'<header class="entry-header"><h2 class="entry-title"><a href="{e(a.permalink(base))}" '
            f'rel="bookmark">{e(a.title)}</a></h2>\n'
            f'<div class="entry-meta"><span class="byline">By {byline}</span> '
            f'<time class="entry-date published" datetime="{iso(a.published)}">'
            f'{display_date(a.published)}</time> <span class="cat-links"><a href="{e(a.category.url(base))}" '
            f'rel="category tag">{e(a.section)}</a></span></div></header>\n')
        if a.images:
            im = a.images[0]
            out.append(f'<a class="post-thumbnail" href="{e(a.permalink(base))}" aria-hidden="true">'
                       f'<img width="300" height="169" src="{base}{e(im.thumb_path)}" '
                       f'class="attachment-medium size-medium wp-post-image" alt="{e(im.alt)}" '
                       f'loading="lazy"></a>\n')
        out.append(f'<div class="entry-summary"><p>{e(_excerpt(a))}</p></div>\n</article>\n')
    if pages > 1:
        nav = ['<nav class="navigation pagination" aria-label="Posts">'
               '<h2 class="screen-reader-text">Posts navigation</h2><div class="nav-links">']
        if pageno > 1:
            nav.append(f'<a class="prev page-numbers" href="{url(pageno - 1)}">&laquo; Previous</a>')
        shown = sorted({1, pageno - 1, pageno, pageno + 1, pages} & set(range(1, pages + 1)))
        last = 0
        for n in shown:
            if n > last + 1:
                nav.append('<span class="page-numbers dots">&hellip;</span>')
            if n == pageno:
                nav.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                nav.append(f'<a class="page-numbers" href="{url(n)}">{n}</a>')
            last = n
        if pageno < pages:
            nav.append(f'<a class="next page-numbers" href="{url(pageno + 1)}">Next &raquo;</a>')
        nav.append("</div></nav>\n")
        out.extend(nav)
    out.append("</main>\n")
    title = e(heading or SITE_NAME)
    if heading:
        title += f" &#8211; {e(SITE_NAME)}"
    if pageno > 1:
        title += f" &#8211; Page {pageno}"
    body_class = {"home": "home blog", "category": "archive category", "tag": "archive tag",
                  "author": "archive author"}[kind]
    html = _document(site, base, title=title, canonical=url(pageno), head_extra="",
                     theme=LISTING_THEME, body_class=body_class, main="".join(out))
    return _html(200, html, [("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"')])


# --------------------------------------------------------------------------- articles

def _block_html(a: Article, k: int, tag: str, text: str, base: str, theme: str) -> str:
    inner = e(text)
    for link in a.links:
        if link.block == k:
            href = base + link.href if link.href.startswith("/") else link.href
            inner = inner.replace(e(link.text), f'<a href="{e(href)}">{e(link.text)}</a>', 1)
    if tag in ("h2", "h3"):
        cls = ' class="wp-block-heading"' if theme == "gutenberg" else ""
        return f"<{tag}{cls}>{inner}</{tag}>"
    if tag == "blockquote":
        cls = ' class="wp-block-quote"' if theme == "gutenberg" else ""
        return f"<blockquote{cls}><p>{inner}</p></blockquote>"
    if tag == "li":
        return f"<li>{inner}</li>"
    return f"<p>{inner}</p>"


def _img_tag(im: Image, base: str, cls: str) -> str:
    src = base + im.path
    return (f'<img width="{im.width}" height="{im.height}" src="{e(src)}" class="{cls}" '
            f'alt="{e(im.alt)}" decoding="async" srcset="{e(base + im.thumb_path)} 300w, {e(src)} '
            f'{im.width}w" sizes="(max-width: {im.width}px) 100vw, {im.width}px">')


def _figure(im: Image, base: str, theme: str) -> str:
    if theme == "fortyfive":
        cls = "wp-caption lead-image" if im.is_lead else "wp-caption aligncenter"
        cap = e(im.caption) + (f" Image Credit: {e(im.credit)}." if im.credit else "")
        img_cls = ("attachment-full size-full wp-post-image" if im.is_lead
                   else f"size-full wp-image-{im.attachment_id}")
        return (f'<figure class="{cls}">{_img_tag(im, base, img_cls)}'
                f'<figcaption class="wp-caption-text">{cap}</figcaption></figure>')
    if theme == "gutenberg":
        cred = f' <span class="image-credit">{e(im.credit)}</span>' if im.credit else ""
        return (f'<figure class="wp-block-image size-large">'
                f'{_img_tag(im, base, f"wp-image-{im.attachment_id}")}'
                f'<figcaption class="wp-element-caption">{e(im.caption)}{cred}</figcaption></figure>')
    cred = f" Photo: {e(im.credit)}" if im.credit else ""
    return (f'<div id="attachment_{im.attachment_id}" class="wp-caption aligncenter" '
            f'style="width: 610px">{_img_tag(im, base, f"size-full wp-image-{im.attachment_id}")}'
            f'<p class="wp-caption-text">{e(im.caption)}{cred}</p></div>')


def _promo(p, base: str) -> str:
    href = e(base + p.target_path)
    if p.label == "MORE":
        return f'<p><strong>MORE: </strong><a href="{href}">{e(p.target_title)}</a></p>'
    return f'<p><strong>{e(p.label)}:</strong> <a href="{href}">{e(p.target_title)}</a></p>'


def _content(a: Article, base: str, theme: str) -> list[str]:
    """Body blocks with inline images and promos, in page order."""
    out: list[str] = []
    open_list = False
    ul_cls = ' class="wp-block-list"' if theme == "gutenberg" else ""
    inline = [im for im in a.images if not im.is_lead]
    for k, (tag, text) in enumerate(a.blocks):
        if tag == "li" and not open_list:
            out.append(f"<ul{ul_cls}>")
            open_list = True
        elif tag != "li" and open_list:
            out.append("</ul>")
            open_list = False
        out.append(_block_html(a, k, tag, text, base, theme))
        nxt = a.blocks[k + 1][0] if k + 1 < len(a.blocks) else None
        if tag == "li" and nxt == "li":
            continue
        if tag == "li":
            out.append("</ul>")
            open_list = False
        for im in inline:
            if im.after_block == k:
                out.append(_figure(im, base, theme))
        for p in a.promos:
            if p.after_block == k:
                out.append(_promo(p, base))
    if open_list:
        out.append("</ul>")
    return out


def _article_headers(a: Article, base: str) -> list[tuple[str, str]]:
    h = zlib.crc32(a.slug.encode()) & 0xFFFFFFFF
    return [
        ("Link", f'<{base}/wp-json/>; rel="https://api.w.org/"'),
        ("Link", f"<{base}/?p={a.post_id}>; rel=shortlink"),
        ("Set-Cookie", f"fl_visitor={h:08x}{a.post_id:x}; path=/; HttpOnly; SameSite=Lax"),
        ("Set-Cookie", f"fl_ab_bucket={'ab'[h % 2]}; Max-Age=2592000; path=/"),
    ]


def _article_page(site: SiteData, idx: _Index, a: Article, n: int, base: str) -> Page:
    page_url = a.comment_page_url(base, n)
    renderer = {"fortyfive": _fortyfive, "gutenberg": _gutenberg, "classic": _classic}[a.theme]
    head_extra, main = renderer(a, n, base, page_url)
    if a.head_shortlink:
        head_extra += f"<link rel='shortlink' href='{e(a.shortlink(base))}' />\n"
    title = (e(a.title) + " &#8211; " if a.title else "") + e(SITE_NAME)
    if n > 1:
        title = f"{e(a.title)} &#8211; Comment page {n} &#8211; {e(SITE_NAME)}"
    html = _document(site, base, title=title, canonical=page_url, head_extra=head_extra,
                     theme=a.theme,
                     body_class=f"post-template-default single single-post postid-{a.post_id} "
                                f"single-format-standard theme-{a.theme}",
                     main=main)
    return _html(200, html, _article_headers(a, base), mode=a.response_mode)


def _og(a: Article, base: str, page_url: str) -> str:
    out = [f'<meta property="og:locale" content="en_US" />',
           f'<meta property="og:type" content="article" />',
           f'<meta property="og:title" content="{e(a.title)}" />',
           f'<meta property="og:url" content="{e(page_url)}" />',
           f'<meta property="og:site_name" content="{e(SITE_NAME)}" />',
           f'<meta property="article:published_time" content="{iso(a.published)}" />']
    if a.modified:
        out.append(f'<meta property="article:modified_time" content="{iso(a.modified)}" />')
    if a.images:
        out.append(f'<meta property="og:image" content="{e(a.images[0].src(base))}" />')
    if a.blocks:
        out.append(f'<meta name="description" content="{e(_excerpt(a, 25))}" />')
    return "\n".join(out) + "\n"


# ----- comments

def _children_map(comments: list[Comment]) -> tuple[list[Comment], dict[int, list[Comment]]]:
    ids = {c.id for c in comments}
    tops: list[Comment] = []
    kids: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id is None or c.parent_id not in ids:
            tops.append(c)
        else:
            kids.setdefault(c.parent_id, []).append(c)
    return tops, kids


class _Alt:
    """WordPress's even/odd and thread-even/thread-odd comment classes."""
    def __init__(self):
        self.n = 0
        self.t = 0

    def classes(self, c: Comment, has_kids: bool) -> str:
        cls = [c.kind]
        if c.post_author:
            cls += ["byuser", f"comment-author-{c.post_author}", "bypostauthor"]
        cls += ["odd", "alt"] if self.n % 2 else ["even"]
        self.n += 1
        if c.depth == 1:
            cls += ["thread-odd", "thread-alt"] if self.t % 2 else ["thread-even"]
            self.t += 1
        cls.append(f"depth-{c.depth}")
        if has_kids:
            cls.append("parent")
        return " ".join(cls)


def _paras(c: Comment) -> str:
    return "".join(f"<p>{e(p)}</p>" for p in c.paragraphs)


def _avatar(base: str, size: int, q: str = '"') -> str:
    return (f"<img alt={q}{q} src={q}{base}{AVATAR_PATH}{q} class={q}avatar avatar-{size} photo{q} "
            f"height={q}{size}{q} width={q}{size}{q} loading={q}lazy{q} decoding={q}async{q}>")


def _comment_heading(theme: str, total: int, title: str) -> str:
    t = e(title)
    if theme == "fortyfive":
        txt = (f"One thought on &ldquo;{t}&rdquo;" if total == 1
               else f"{total} thoughts on &ldquo;{t}&rdquo;")
        return f'<h2 class="comments-title">{txt}</h2>'
    if theme == "gutenberg":
        txt = (f"One response to &ldquo;{t}&rdquo;" if total == 1
               else f"{total} responses to &ldquo;{t}&rdquo;")
        return f'<h2 class="wp-block-comments-title">{txt}</h2>'
    txt = (f"One Response to <em>{t}</em>" if total == 1
           else f"{total} Responses to <em>{t}</em>")
    return f'<h3 id="comments-title">{txt}</h3>'


def _comment_nav(a: Article, n: int, base: str, theme: str) -> str:
    pages = a.n_comment_pages
    if pages < 2:
        return ""
    prev = (a.permalink(base) if n == 2 else a.comment_page_url(base, n - 1)) + "#comments"
    nxt = a.comment_page_url(base, n + 1) + "#comments"
    if theme == "gutenberg":
        links = ""
        if n > 1:
            links += f'<a href="{prev}" class="wp-block-comments-pagination-previous">Older Comments</a>'
        if n < pages:
            links += f'<a href="{nxt}" class="wp-block-comments-pagination-next">Newer Comments</a>'
        return f'<div class="wp-block-comments-pagination">{links}</div>'
    larr, rarr = ("&larr; ", " &rarr;") if theme == "classic" else ("", "")
    p = f'<div class="nav-previous"><a href="{prev}">{larr}Older Comments</a></div>' if n > 1 else ""
    x = f'<div class="nav-next"><a href="{nxt}">Newer Comments{rarr}</a></div>' if n < pages else ""
    if theme == "classic":
        return f'<div class="navigation">{p}{x}</div>'
    return (f'<nav class="navigation comment-navigation" aria-label="Comments">'
            f'<div class="nav-links">{p}{x}</div></nav>')


def _respond(a: Article, base: str, theme: str) -> str:
    cls = "comment-respond wp-block-post-comments-form" if theme == "gutenberg" else "comment-respond"
    return (f'<div id="respond" class="{cls}"><h3 id="reply-title" class="comment-reply-title">'
            f'Leave a Reply <small><a rel="nofollow" id="cancel-comment-reply-link" '
            f'href="{e(a.permalink(base))}#respond" style="display:none;">Cancel reply</a></small></h3>'
            f'<form action="{base}/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
            f'<p class="comment-notes">Your email address will not be published.</p>'
            f'<p class="comment-form-comment"><label for="comment">Comment</label>'
            f'<textarea id="comment" name="comment" cols="45" rows="8"></textarea></p>'
            f'<p class="comment-form-author"><label for="author">Name</label>'
            f'<input id="author" name="author" type="text" value="" size="30"></p>'
            f'<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
            f'value="Post Comment"><input type="hidden" name="comment_post_ID" value="{a.post_id}" '
            f'id="comment_post_ID"><input type="hidden" name="comment_parent" id="comment_parent" '
            f'value="0"></p></form></div>')


def _comments_disqus(a: Article, base: str) -> str:
    """What the Disqus plugin puts where the native thread would be: an empty
    container and the embed script; the comments arrive from disqus.com at run time."""
    def js(text: str) -> str:          # a single-quoted JavaScript string literal's content
        return text.replace("\\", "\\\\").replace("'", "\\'").replace("</", "<\\/")

    ident, url = js(a.disqus_identifier(base)), js(a.permalink(base))
    return ('<div id="comments" class="comments-area comments-disqus">\n'
            '<div id="disqus_thread"></div>\n'
            '<script>\n'
            'var disqus_config = function () {\n'
            f"this.page.url = '{url}';\n"
            f"this.page.identifier = '{ident}';\n"
            f"this.page.title = '{js(a.title)}';\n"
            '};\n'
            '(function() {\n'
            'var d = document, s = d.createElement(\'script\');\n'
            f"s.src = 'https://{a.disqus_shortname}.disqus.com/embed.js';\n"
            "s.setAttribute('data-timestamp', +new Date());\n"
            '(d.head || d.body).appendChild(s);\n'
            '})();\n'
            '</script>\n'
            '<noscript>Please enable JavaScript to view the <a href="https://disqus.com/?ref_noscript" '
            'rel="nofollow">comments powered by Disqus.</a></noscript>\n'
            '</div><!-- #comments -->')


def _comments_fortyfive(a: Article, n: int, base: str, page_url: str) -> str:
    if a.comments_system == "disqus":
        return _comments_disqus(a, base)
    shown = a.comment_pages()[n - 1]
    tops, kids = _children_map(shown)
    alt = _Alt()

    def li(c: Comment) -> str:
        ch = kids.get(c.id, [])
        cls = alt.classes(c, bool(ch))
        if c.is_ping:
            label = "Pingback" if c.kind == "pingback" else "Trackback"
            return (f'<li id="comment-{c.id}" class="{cls}"><div class="comment-body">{label}: '
                    f'<a href="{e(c.author_url)}" class="url" rel="ugc external nofollow">'
                    f'{e(c.author)}</a></div></li>')
        who = (f'<a href="{e(c.author_url)}" class="url" rel="ugc external nofollow">{e(c.author)}</a>'
               if c.author_url else e(c.author))
        out = [f'<li id="comment-{c.id}" class="{cls}">',
               f'<article id="div-comment-{c.id}" class="comment-body">',
               f'<footer class="comment-meta"><div class="comment-author vcard">{_avatar(base, 60)} '
               f'<b class="fn">{who}</b> <span class="says">says:</span></div>',
               f'<div class="comment-metadata"><a href="{e(page_url)}#comment-{c.id}">'
               f'<time datetime="{iso(c.posted_at)}">{display_datetime(c.posted_at)}</time></a></div>'
               f'</footer>',
               f'<div class="comment-content">{_paras(c)}</div>',
               f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
               f'href="?replytocom={c.id}#respond" data-commentid="{c.id}" data-postid="{a.post_id}" '
               f'aria-label="Reply to {e(c.author)}">Reply</a></div>',
               '</article>']
        if ch:
            out.append('<ul class="children">' + "".join(li(x) for x in ch) + "</ul>")
        out.append("</li>")
        return "".join(out)

    parts = ['<div id="comments" class="comments-area">']
    if a.comments:
        parts.append(_comment_heading("fortyfive", len(a.comments), a.title))
        parts.append('<ol class="comment-list">' + "\n".join(li(c) for c in tops) + "</ol>")
        parts.append(_comment_nav(a, n, base, "fortyfive"))
    parts.append(_respond(a, base, "fortyfive"))
    parts.append("</div><!-- #comments -->")
    return "\n".join(p for p in parts if p)


def _comments_gutenberg(a: Article, n: int, base: str, page_url: str) -> str:
    if a.comments_system == "disqus":
        return _comments_disqus(a, base)
    shown = a.comment_pages()[n - 1]
    tops, kids = _children_map(shown)
    alt = _Alt()

    def li(c: Comment) -> str:
        ch = kids.get(c.id, [])
        cls = alt.classes(c, bool(ch))
        who = (f'<a rel="external nofollow ugc" href="{e(c.author_url)}" target="_self">{e(c.author)}</a>'
               if c.author_url else e(c.author))
        out = [f'<li id="comment-{c.id}" class="{cls}">',
               '<div class="wp-block-group">',
               f'<div class="wp-block-comment-author-name">{who}</div>',
               f'<div class="wp-block-comment-date"><time datetime="{iso(c.posted_at)}">'
               f'<a href="{e(page_url)}#comment-{c.id}">{display_datetime(c.posted_at)}</a></time></div>',
               f'<div class="wp-block-comment-content">{_paras(c)}</div>']
        if not c.is_ping:
            out.append(f'<div class="wp-block-comment-reply-link"><a rel="nofollow" '
                       f'class="comment-reply-link" href="?replytocom={c.id}#respond" '
                       f'data-commentid="{c.id}" data-postid="{a.post_id}">Reply</a></div>')
        out.append("</div>")
        if ch:
            out.append('<ol class="children">' + "".join(li(x) for x in ch) + "</ol>")
        out.append("</li>")
        return "".join(out)

    parts = ['<div class="wp-block-comments" id="comments">']
    if a.comments:
        parts.append(_comment_heading("gutenberg", len(a.comments), a.title))
        parts.append('<ol class="wp-block-comment-template">' + "\n".join(li(c) for c in tops)
                     + "</ol>")
        parts.append(_comment_nav(a, n, base, "gutenberg"))
    parts.append(_respond(a, base, "gutenberg"))
    parts.append("</div>")
    return "\n".join(p for p in parts if p)


def _comments_classic(a: Article, n: int, base: str, page_url: str) -> str:
    if a.comments_system == "disqus":
        return _comments_disqus(a, base)
    shown = a.comment_pages()[n - 1]
    tops, kids = _children_map(shown)
    alt = _Alt()

    def li(c: Comment) -> str:
        ch = kids.get(c.id, [])
        cls = alt.classes(c, bool(ch))
        if c.is_ping:
            return (f'<li class="post pingback"><p>Pingback: <a href="{e(c.author_url)}" '
                    f'rel="external nofollow" class="url">{e(c.author)}</a></p></li>')
        who = (f'<a href="{e(c.author_url)}" rel="external nofollow" class="url">{e(c.author)}</a>'
               if c.author_url else e(c.author))
        out = [f'<li class="{cls}" id="li-comment-{c.id}">',
               f'<div id="comment-{c.id}">',
               f'<div class="comment-author vcard">{_avatar(base, 40, chr(39))}'
               f'<cite class="fn">{who}</cite> <span class="says">says:</span></div>',
               f'<div class="comment-meta commentmetadata"><a href="{e(page_url)}#comment-{c.id}">'
               f'{display_datetime(c.posted_at)}</a></div>',
               f'<div class="comment-body">{_paras(c)}</div>',
               f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
               f'href="?replytocom={c.id}#respond">Reply</a></div></div>']
        if ch:
            out.append('<ul class="children">' + "".join(li(x) for x in ch) + "</ul>")
        out.append("</li>")
        return "".join(out)

    parts = ['<div id="comments">']
    if a.comments:
        parts.append(_comment_heading("classic", len(a.comments), a.title))
        parts.append('<ol class="commentlist">' + "\n".join(li(c) for c in tops) + "</ol>")
        parts.append(_comment_nav(a, n, base, "classic"))
    parts.append(_respond(a, base, "classic"))
    parts.append("</div><!-- #comments -->")
    return "\n".join(p for p in parts if p)


# ----- themes

def _tags_html(a: Article, base: str, sep: str = ", ") -> str:
    return sep.join(f'<a href="{base}/tag/{slugify(t)}/" rel="tag">{e(t)}</a>' for t in a.tags)


def _fortyfive(a: Article, n: int, base: str, page_url: str) -> tuple[str, str]:
    byline = " and ".join(f'<a class="author-name" href="{e(au.url(base))}">{e(au.name)}</a>'
                          for au in a.authors)
    updated = (f'<time class="updated" datetime="{iso(a.modified)}">{display_date(a.modified)}</time>'
               if a.modified else "")
    out = [f'<main id="main" class="site-main">',
           f'<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish '
           f'format-standard has-post-thumbnail hentry category-{a.category.slug}">',
           '<header class="entry-header">',
           f'<h1 class="entry-title">{e(a.title)}</h1>']
    if a.subtitle:
        out.append(f'<h2 class="entry-subtitle">{e(a.subtitle)}</h2>')
    out += [f'<div class="entry-meta"><span class="byline">By {byline}</span> '
            f'<time class="entry-date published" datetime="{iso(a.published)}">'
            f'{display_date(a.published)}</time>{updated}</div>',
            f'<span class="cat-links"><a href="{e(a.category.url(base))}" rel="category tag">'
            f'{e(a.section)}</a></span>',
            '</header>']
    lead = [im for im in a.images if im.is_lead]
    if lead:
        out.append(_figure(lead[0], base, "fortyfive"))
    body = _content(a, base, "fortyfive")
    half = len(body) // 2
    share = e(a.permalink(base))
    furniture_mid = ('<div class="newsletter-box"><h3>Get The Forward Line in your inbox</h3>'
                     '<p>Sharp analysis of defense &amp; foreign policy, three times a week. '
                     'No spam, ever.</p><form class="newsletter-form" action="#" method="post">'
                     '<input type="email" name="email" placeholder="you@example.com">'
                     '<button type="submit">Subscribe</button></form></div>')
    ad = ('<div class="ad-slot" data-slot="in-article-1"><p class="ad-label">Advertisement</p>'
          '</div>')
    sharebox = ('<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>'
                f'<ul><li><a rel="nofollow noopener noreferrer" href="{share}?share=twitter" '
                f'class="share-twitter">X</a></li><li><a rel="nofollow noopener noreferrer" '
                f'href="{share}?share=facebook" class="share-facebook">Facebook</a></li>'
                f'<li><a rel="nofollow noopener noreferrer" href="{share}?share=email" '
                f'class="share-email">Email</a></li></ul></div>')
    content = body[:half] + ([furniture_mid, ad] if body else []) + body[half:] + [sharebox]
    out.append('<div class="entry-content">\n' + "\n".join(content) + "\n</div>")
    if a.tags:
        out.append(f'<footer class="entry-footer"><span class="tags-links">{_tags_html(a, base)}'
                   f'</span></footer>')
    for au in a.authors:
        out.append(f'<div class="author-box"><div class="author-avatar">{_avatar(base, 96)}</div>'
                   f'<div class="author-bio"><h4 class="author-title"><a href="{e(au.url(base))}">'
                   f'{e(au.name)}</a></h4><p>{e(au.bio)}</p></div></div>')
    out.append("</article>")
    out.append(_comments_fortyfive(a, n, base, page_url))
    out.append("</main>")
    return _og(a, base, page_url), "\n".join(out)


def _jsonld(a: Article, base: str, page_url: str) -> str:
    perma = a.permalink(base)
    people = [{"@type": "Person", "@id": f"{base}/#/schema/person/{au.slug}", "name": au.name,
               "url": au.url(base), "description": au.bio} for au in a.authors]
    art = {"@type": "NewsArticle", "@id": f"{perma}#article", "isPartOf": {"@id": perma},
           "headline": a.title, "datePublished": iso(a.published),
           "dateModified": iso(a.modified or a.published),
           "author": [{"@id": p["@id"]} for p in people],
           "mainEntityOfPage": {"@id": perma},
           "wordCount": sum(len(t.split()) for _, t in a.blocks),
           "commentCount": len(a.comments),
           "publisher": {"@id": f"{base}/#organization"},
           "articleSection": [a.section], "keywords": list(a.tags), "inLanguage": LANGUAGE}
    graph: list[dict] = [art]
    webpage = {"@type": "WebPage", "@id": perma, "url": perma, "name": f"{a.title} - {SITE_NAME}",
               "isPartOf": {"@id": f"{base}/#website"}, "datePublished": iso(a.published),
               "dateModified": iso(a.modified or a.published), "inLanguage": LANGUAGE}
    graph.append(webpage)
    if a.images:
        im = a.images[0]
        art["image"] = {"@id": f"{perma}#primaryimage"}
        art["thumbnailUrl"] = im.src(base)
        webpage["primaryImageOfPage"] = {"@id": f"{perma}#primaryimage"}
        graph.append({"@type": "ImageObject", "inLanguage": LANGUAGE, "@id": f"{perma}#primaryimage",
                      "url": im.src(base), "contentUrl": im.src(base), "width": im.width,
                      "height": im.height, "caption": im.caption})
    graph.append({"@type": "WebSite", "@id": f"{base}/#website", "url": f"{base}/",
                  "name": SITE_NAME, "description": SITE_TAGLINE,
                  "publisher": {"@id": f"{base}/#organization"}, "inLanguage": LANGUAGE})
    graph.append({"@type": "Organization", "@id": f"{base}/#organization", "name": SITE_NAME,
                  "url": f"{base}/", "logo": {"@type": "ImageObject", "url": base + LOGO_PATH}})
    graph += people
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False,
                      separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/ld+json" class="yoast-schema-graph">{text}</script>\n'


def _gutenberg(a: Article, n: int, base: str, page_url: str) -> tuple[str, str]:
    authors = "".join(
        f'<div class="wp-block-post-author-name"><a href="{e(au.url(base))}" target="_self" '
        f'class="wp-block-post-author-name__link">{e(au.name)}</a></div>' for au in a.authors)
    out = ['<main class="wp-block-group is-layout-constrained" id="wp--skip-link--target">',
           f'<div class="taxonomy-category wp-block-post-terms"><a href="{e(a.category.url(base))}" '
           f'rel="tag">{e(a.section)}</a></div>',
           f'<h1 class="wp-block-post-title">{e(a.title)}</h1>',
           f'<div class="wp-block-group is-layout-flex">{authors}'
           f'<div class="wp-block-post-date"><time datetime="{iso(a.published)}">'
           f'{display_date(a.published)}</time></div></div>']
    content = []
    lead = [im for im in a.images if im.is_lead]
    if lead:
        content.append(_figure(lead[0], base, "gutenberg"))
    content += _content(a, base, "gutenberg")
    out.append('<div class="entry-content wp-block-post-content is-layout-flow">\n'
               + "\n".join(content) + "\n</div>")
    if a.tags:
        out.append('<div class="taxonomy-post_tag wp-block-post-terms">'
                   + _tags_html(a, base, '<span class="wp-block-post-terms__separator">, </span>')
                   + "</div>")
    out.append(_comments_gutenberg(a, n, base, page_url))
    out.append("</main>")
    return _og(a, base, page_url) + _jsonld(a, base, page_url), "\n".join(out)


def _classic(a: Article, n: int, base: str, page_url: str) -> tuple[str, str]:
    au = a.authors[0]
    perma = e(a.permalink(base))
    out = ['<div id="container"><div id="content" role="main">',
           f'<div id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish '
           f'format-standard hentry category-{a.category.slug}">',
           f'<h1 class="entry-title">{e(a.title)}</h1>',
           f'<div class="entry-meta"><span class="meta-prep meta-prep-author">Posted on</span> '
           f'<a href="{perma}" title="{display_time(a.published)}" rel="bookmark">'
           f'<span class="entry-date">{display_date(a.published)}</span></a> '
           f'<span class="meta-sep">by</span> <span class="author vcard"><a class="url fn n" '
           f'href="{e(au.url(base))}" title="View all posts by {e(au.name)}">{e(au.name)}</a></span></div>']
    content = []
    lead = [im for im in a.images if im.is_lead]
    if lead:
        content.append(_figure(lead[0], base, "classic"))
    content += _content(a, base, "classic")
    out.append('<div class="entry-content">\n' + "\n".join(content) + "\n</div>")
    out.append(f'<div id="entry-author-info"><div id="author-avatar">{_avatar(base, 60, chr(39))}</div>'
               f'<div id="author-description"><h2>About {e(au.name)}</h2>{e(au.bio)}</div></div>')
    tagged = f' <span class="meta-sep">|</span> Tagged {_tags_html(a, base)}' if a.tags else ""
    out.append(f'<div class="entry-utility">Posted in <a href="{e(a.category.url(base))}" '
               f'rel="category tag">{e(a.section)}</a>{tagged}</div>')
    out.append("</div><!-- #post -->")
    out.append(_comments_classic(a, n, base, page_url))
    out.append("</div></div>")
    return "", "\n".join(out)


from . import rest  # noqa: E402 - rest.py builds on this module

__all__ = ["Page", "render", "asset", "LOGO_PATH", "AVATAR_PATH", "RETIRED_PATH", "THEMES"]
