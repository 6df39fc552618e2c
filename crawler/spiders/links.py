"""Which links of a WordPress site the spider follows, and which page requisites it archives."""

import re
from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree
from parsel.csstranslator import HTMLTranslator

# Crawler traps and machinery no reader sees: reply links multiply every article by
# its comment count, and admin, login, feeds and API paths are not commentary.
NEVER_FOLLOW = re.compile(
    r"[?&](replytocom|share|amp|preview|s)=|/wp-(admin|login|json|includes)|xmlrpc\.php"
    r"|/feed/?$|/comments/feed|/embed/?$|/trackback/?$|/comment-page-\d+|[?&]cpage=",
    re.IGNORECASE,
)
NOT_A_PAGE = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|avif|ico|css|js|json|xml|pdf|zip|gz|mp[34]|mov|woff2?|ttf)$",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def _attribute_values(css: str) -> etree.XPath:
    """selector.css(css).getall() as one compiled XPath of plain strings: parsel's own
    translation, without a Selector object made for every link of every page."""
    return etree.XPath(HTMLTranslator().css_to_xpath(css), smart_strings=False)


_PAGE_HREFS = _attribute_values("a::attr(href)")
_REQUISITE_REFS = _attribute_values(
    "link[rel~=stylesheet]::attr(href), link[rel~=icon]::attr(href), script::attr(src),"
    " img::attr(src), img::attr(data-src), video::attr(poster)")
_SRCSETS = _attribute_values("img::attr(srcset), source::attr(srcset), img::attr(data-srcset)")


class SeenUrls:
    """URLs a spider has already asked for.

    Every page of a WordPress site links to the same menus, sidebars and recent
    posts; building a Request for each only to have the dupefilter drop it costs
    more than the crawl's own work. Scrapy's dupefilter still guards the rest.
    """

    def __init__(self, limit: int = 2_000_000):
        self.urls: set[str] = set()
        self.limit = limit

    def new(self, urls):
        for url in urls:
            if url not in self.urls:
                if len(self.urls) < self.limit:
                    self.urls.add(url)
                yield url


@lru_cache(maxsize=20_000)
def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


@lru_cache(maxsize=20_000)
def _absolute(link: str, base_scheme: str) -> str:
    # An absolute link resolves the same against any base of the same scheme (urljoin only
    # looks at the base's scheme then): pages share most of these (menus, sidebars, requisites).
    return urldefrag(urljoin(base_scheme + "://_/", link))[0]


def absolute_link(link: str, base: str) -> str:
    """urljoin(base, link) without its fragment."""
    if link.startswith(("http://", "https://")) and link.partition("//")[2][:1] not in ("", "/", "?", "#", "\\"):
        return _absolute(link, base.partition(":")[0])
    return urldefrag(urljoin(base, link))[0]


def clean_link(href: str, base: str) -> str | None:
    """Absolute URL without fragment, or None for mailto:, javascript: and the like."""
    href = (href or "").strip()
    return _web_only(absolute_link(href, base)) if _may_be_web(href) else None


def _may_be_web(stripped: str) -> bool:
    return bool(stripped) and not stripped.startswith(("mailto:", "javascript:", "tel:", "data:"))


def _web_only(url: str) -> str | None:
    return url if url.startswith(("http://", "https://")) else None


class PageLinks:
    """absolute_link and clean_link for the links of one page, each distinct value resolved
    once: the extraction worker reads a page's links, requisites and outlinks in three passes
    over the same values, and a page repeats its menus, sidebars and image URLs."""

    def __init__(self, base: str):
        self.base = base
        self._absolute: dict[str, str] = {}

    def absolute(self, link: str) -> str:
        """absolute_link(link.strip(), base)."""
        url = self._absolute.get(link)
        if url is None:
            url = self._absolute[link] = absolute_link(link.strip(), self.base)
        return url

    def clean(self, href: str) -> str | None:
        """clean_link(href, base)."""
        return _web_only(self.absolute(href)) if _may_be_web((href or "").strip()) else None


@lru_cache(maxsize=20_000)
def _worth_following(url: str, root_netloc: str) -> bool:
    """Same site, not machinery (NEVER_FOLLOW), not a file (NOT_A_PAGE): decided once per URL."""
    parts = urlsplit(url)
    return (parts.netloc.lower() == root_netloc and not NEVER_FOLLOW.search(url)
            and not NOT_A_PAGE.search(parts.path))


def page_links(doc, base: str, root: str, is_denied=lambda url: False, resolved: PageLinks | None = None) -> list[str]:
    """Same-site page links of an lxml document worth visiting, in document order, without duplicates."""
    root_netloc = urlsplit(root).netloc.lower()
    resolved = resolved or PageLinks(base)
    seen, links = set(), []
    for href in _PAGE_HREFS(doc):
        url = resolved.clean(href)
        if not url or url in seen or not _worth_following(url, root_netloc) or is_denied(url):
            continue
        seen.add(url)
        links.append(url)
    return links


def srcset_urls(srcset: str) -> list[str]:
    return [part.strip().split()[0] for part in (srcset or "").split(",") if part.strip()]


def requisite_links(doc, base: str, root: str, resolved: PageLinks | None = None) -> list[str]:
    """Same-site CSS, scripts, icons and every image candidate a replay may ask for, in an lxml document."""
    refs = _REQUISITE_REFS(doc)
    for srcset in _SRCSETS(doc):
        refs.extend(srcset_urls(srcset))
    return _unique_same_site(refs, base, root, resolved)


def css_links(css_text: str, base: str, root: str) -> list[str]:
    """url(...) references inside a stylesheet: backgrounds, fonts, imports."""
    return _unique_same_site(CSS_URL.findall(css_text), base, root)


def _unique_same_site(refs, base, root, resolved: PageLinks | None = None) -> list[str]:
    resolved = resolved or PageLinks(base)
    root_netloc = urlsplit(root).netloc.lower()
    seen, links = set(), []
    for ref in refs:
        url = resolved.clean(ref)
        if url and url not in seen and _netloc(url) == root_netloc:
            seen.add(url)
            links.append(url)
    return links
