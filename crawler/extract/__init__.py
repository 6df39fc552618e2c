"""Pure extraction: (url, body bytes, content type, profile) -> page record.

The one entry point used by the crawl, `dca extract` and `dca rebuild`. No I/O,
no network, no clock. See docs/contracts.md for the record.
"""
from __future__ import annotations

import logging

from . import article, authors as authors_mod, comments as comments_mod, images as images_mod
from . import comment_systems, generic, jsonld, meta
from .dates import parse_date, parse_time
from .fallback import fallback_body
from .html import BadInput, absolute, ancestors, check_body, document_base, indexed, parse_body, select_first, text_of

log = logging.getLogger(__name__)

RECORD_KEYS = (
    "url", "canonical_url", "comment_page", "comment_pages", "site", "page_type", "title",
    "subtitle", "section", "tags", "authors", "published_at", "modified_at", "body_text",
    "body_html", "images", "related_links", "comments", "comment_count", "pingback_count",
    "declared_comment_count", "language", "post_id", "api_root", "comments_system", "comments_thread_id",
    "sources",
)
_HTML_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/plain")


def empty_record(url: str, site: str) -> dict:
    return {
        "url": url, "canonical_url": comments_mod.strip_comment_page(url) if url else url,
        "comment_page": comments_mod.comment_page_number(url) if url else 1, "comment_pages": [],
        "site": site, "page_type": "other", "title": None, "subtitle": None, "section": None,
        "tags": [], "authors": [], "published_at": None, "modified_at": None, "body_text": None,
        "body_html": None, "images": [], "related_links": [], "comments": [], "comment_count": 0,
        "pingback_count": 0, "declared_comment_count": None, "language": None, "post_id": None,
        "api_root": None, "comments_system": None, "comments_thread_id": None, "sources": {},
    }


def extract_page(url: str, body, *, content_type: str | None = None, profile=None) -> dict:
    """The normalized page record of one response. Never raises on bad input."""
    from crawler.sites import profile_for_url
    from pipelines.normalize import normalize_record

    profile = profile or profile_for_url(url)
    record = empty_record(url, profile.id)
    if not _is_html_type(content_type):
        return _rejected(record, f"not HTML ({content_type})", profile)
    try:
        check_body(body)
        _Extraction(url, body, content_type, profile, record).run()
    except BadInput as exc:
        return _rejected(empty_record(url, profile.id), str(exc), profile)
    except Exception as exc:  # a parser bug must not stop a crawl; the record says so
        log.exception("extraction failed on %s", url)
        record = empty_record(url, profile.id)
        record["sources"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return normalize_record(record, profile)


def _rejected(record: dict, reason: str, profile) -> dict:
    """A page that cannot be read: page_type 'other', the reason logged and kept in sources."""
    from pipelines.normalize import normalize_record

    log.warning("not a readable page: %s: %s", record["url"], reason)
    record["sources"] = {"page_type": f"bad input: {reason}"}
    return normalize_record(record, profile)


def _is_html_type(content_type: str | None) -> bool:
    if not content_type:
        return True
    mime = content_type.split(";")[0].strip().lower()
    return not mime or mime.startswith(_HTML_TYPES) or mime.endswith("+xml")


class _Extraction:
    """One page's extraction; each step fills some record fields and their sources."""

    def __init__(self, url, body, content_type, profile, record):
        self.url, self.profile, self.record = url, profile, record
        self.doc = parse_body(body, content_type, strict=True)

    def set(self, field: str, value, source: str) -> None:
        if value not in (None, "", []):
            self.record[field] = value
            self.record["sources"][field] = source

    def run(self) -> None:
        if self.doc is None:
            return
        with indexed(self.doc):
            self._run()

    def _run(self) -> None:
        self.base = document_base(self.doc, self.url)
        self.ld, self.meta = jsonld.extract(self.doc), meta.extract(self.doc)
        self.layout = self.profile.layout_for(self._layout_date())
        self.root = article.find_root(self.doc, self.layout)
        self.body = article.find_body(self.root, self.layout)
        self._page_fields()
        page_type = article.page_type(
            self.url, self.doc, self.profile, jsonld=self.ld, meta=self.meta,
            has_title=self.record["title"] is not None, has_body=self.body is not None,
        )
        self.record["page_type"] = page_type
        if page_type != "article":
            self._page_title()
        else:
            self._article_fields()
            self._body_fields()
            self._comment_fields()

    def _layout_date(self):
        from datetime import datetime

        value = parse_date(self.ld.get("published") or self.meta.get("published"), self.profile.timezone)
        return datetime.fromisoformat(value) if value else None

    # -- fields of every page -------------------------------------------------
    def _page_fields(self) -> None:
        r = self.record
        self.set("language", self.meta.get("language") or self.ld.get("language"), "meta")
        for key, source in (("canonical", "meta"), ("og_url", "meta")):
            if absolute(self.base, self.meta.get(key)):
                self.set("canonical_url", comments_mod.strip_comment_page(absolute(self.base, self.meta[key])), source)
                break
        else:
            if absolute(self.base, self.ld.get("url")):
                self.set("canonical_url", comments_mod.strip_comment_page(absolute(self.base, self.ld["url"])), "jsonld")
        names = (self.meta.get("site_name"), self.ld.get("site_name"))
        headline = article.title(self.root, self.layout, names)
        for value, source in (
            (self.ld.get("title"), "jsonld"), (self.meta.get("title"), "meta"),
            (headline, "selector"), (article.html_title(self.doc), "html-title"),
        ):
            value = article.strip_site_suffix(value, names, headline)
            if value and value.casefold() not in {n.casefold() for n in names if n}:  # a bare site name is no title
                self.set("title", value, source)
                break
        self._visible_title(headline)
        r["comment_page"] = comments_mod.comment_page_number(self.url)
        r["api_root"] = comment_systems.api_root(self.doc, self.base)

    def _visible_title(self, headline: str | None) -> None:
        """The page contradicts itself (og:title a different, promotional headline): the
        visible headline wins when another of the page's own sources names it too."""
        chosen = self.record["title"]
        if not headline or not chosen or article.same_text(headline, chosen):
            return
        if any(article.same_text(headline, vote) for vote in self.meta.get("title_votes", ())):
            log.warning("title conflict on %s: %s %r, visible %r; visible wins",
                        self.url, self.record["sources"].get("title"), chosen, headline)
            self.set("title", headline, "selector")

    def _page_title(self) -> None:
        """A listing's or other page's own title, not the first teaser's headline."""
        self.record["title"] = None
        self.record["sources"].pop("title", None)
        for value, source in ((self.meta.get("title"), "meta"), (article.html_title(self.doc), "html-title")):
            if value:
                self.set("title", value, source)
                return

    # -- article fields ------------------------------------------------------------
    def _first(self, field: str, candidates) -> None:
        for value, source in candidates:
            if value not in (None, "", []):
                self.set(field, value, source)
                return

    def _article_fields(self) -> None:
        root, layout = self.root, self.layout
        self._first("subtitle", [(article.subtitle(root, layout), "selector")])
        self._first("section", [
            (self.ld.get("section"), "jsonld"), (self.meta.get("section"), "meta"),
            (article.section(root, layout), "selector"),
        ])
        self._first("tags", [
            (self.ld.get("tags"), "jsonld"), (self.meta.get("tags"), "meta"), (article.tags(root, layout), "selector"),
        ])
        self._dates()
        self._authors()

    def _dates(self) -> None:
        tz = self.profile.timezone
        self._first("published_at", [
            (parse_date(self.ld.get("published"), tz), "jsonld"),
            (parse_date(self.meta.get("published"), tz), "meta"),
            (self._selector_date("published"), "selector"),
        ])
        self._first("modified_at", [
            (parse_date(self.ld.get("modified"), tz), "jsonld"),
            (parse_date(self.meta.get("modified"), tz), "meta"),
            (self._selector_date("modified"), "selector"),
        ])
        published, modified = self.record["published_at"], self.record["modified_at"]
        if published and modified and _instant(modified) < _instant(published):
            log.warning("modified before published on %s: %s < %s; modified dropped", self.url, modified, published)
            self.record["modified_at"] = None
            self.record["sources"]["modified_at"] = "dropped: earlier than published"

    def _selector_date(self, field: str) -> str | None:
        el = select_first(self.root, self.layout.get(field))
        if el is None:
            return None
        value = el.get("datetime") or el.get("content") or text_of(el)
        return parse_date(value, self.profile.timezone, time_text=_time_hint(el), languages=self._languages())

    def _languages(self) -> list[str]:
        primary = (self.record["language"] or "").split("-")[0].lower()
        return list(dict.fromkeys([l for l in (primary, *self.profile.languages) if l]))

    def _authors(self) -> None:
        root, layout, base = self.root, self.layout, self.base
        candidates = [
            (self.ld.get("authors", []), "jsonld"),
            (authors_mod.from_links(root, layout.get("byline"), base, self.body), "selector"),
            (authors_mod.from_text(root, layout.get("byline_text"), self.body), "selector"),
            (authors_mod.from_meta(self.meta.get("author")), "meta"),
        ]
        primary, source = next(((a, s) for a, s in candidates if a), ([], None))
        visible = candidates[1][0] or candidates[2][0]
        if source == "jsonld" and visible and not authors_mod.overlap(primary, visible):
            # JSON-LD naming the uploading editor while the byline names the writer.
            log.warning("author conflict on %s: JSON-LD %s, byline %s; byline wins", self.url,
                        [a["name"] for a in primary], [a["name"] for a in visible])
            primary, source = visible, "selector"
            candidates = candidates[1:]
        for other, _ in candidates:
            primary = authors_mod.merge(primary, other) if other is not primary else primary
        bio_map = authors_mod.bios(self.doc, layout.get("author_box"), base)
        self.set("authors", authors_mod.attach_bios(authors_mod.dedupe(primary), bio_map), source)

    # -- body, images, links ------------------------------------------------------
    def _body_fields(self) -> None:
        """Profile selectors first; the generic container when they find nothing or a
        fragment; trafilatura only when both come up short."""
        body_el, source = self.body, "selector"
        kept, related = article.body_parts(self.body, self.layout, self.base) if self.body is not None else ([], [])
        text = article.body_text(kept) or ""
        # An alternative must beat what the profile found; beating an empty body
        # matched by the profile (a draft) takes a real article's length.
        floor = _SHORT_BODY if self.body is not None else 0
        if len(text) < _CHECK_BODY:
            container = generic.find_container(self.doc)
            if container is not None and container is not self.body:
                g_kept, g_related = article.body_parts(container, self.layout, self.base)
                g_text = article.body_text(g_kept) or ""
                # The profile's body wins unless it is nearly empty or a fragment of the article.
                if len(g_text) > max(len(text) * (2 if text else 1), floor):
                    body_el, kept, related, text, source = container, g_kept, g_related, g_text, "heuristic"
        kept, lead_credit = images_mod.take_image_credit_paragraph(kept)
        kept = self._closing_bio(kept)
        text = article.body_text(kept) or ""
        if len(text) < _SHORT_BODY:
            t_text, t_html = fallback_body(self.doc, self.url)
            if t_text and len(t_text) > max(len(text), floor):
                self.set("body_text", t_text, "trafilatura")
                self.set("body_html", t_html, "trafilatura")
                kept = None
        if kept:
            self.set("body_text", text, source)
            self.set("body_html", article.body_html(kept, self.base), source)
        self.set("related_links", related, source)
        hint = absolute(self.base, (self.ld.get("image") or {}).get("url") or self.meta.get("image"))
        images = images_mod.extract(self.root, body_el, self.layout, self.base, hint_src=hint)
        images = images_mod.apply_lead_credit(images, lead_credit, hint, self.base)
        self.set("images", images, "selector")

    def _closing_bio(self, kept: list) -> list:
        """A closing italic paragraph about an author ("<em>Jane Doe is a fellow at ...</em>")
        is that author's bio, not body text."""
        authors = self.record["authors"]
        for i in range(len(kept) - 1, max(-1, len(kept) - 3), -1):
            el = kept[i]
            if el.tag != "p" or not images_mod.is_italic(el):
                continue
            text = text_of(el)
            author = authors_mod.bio_subject(text, authors)
            if author is None:
                continue
            if not author.get("bio"):
                author["bio"] = text
                self.record["sources"]["authors"] = self.record["sources"].get("authors", "selector") + "+bio-paragraph"
            return kept[:i] + kept[i + 1:]
        return kept

    # -- comments ------------------------------------------------------------------
    def _comment_fields(self) -> None:
        found, pings = comments_mod.extract(
            self.doc, self.layout, self.base, self.profile.timezone, self._languages(), self.record["language"]
        )
        r = self.record
        self.set("comments", found, "selector")
        r["comment_count"], r["pingback_count"] = len(found), pings
        r["declared_comment_count"] = comments_mod.declared_count(
            self.doc, self.layout, self.base, (self.url, r["canonical_url"]) if (found or pings) else ())
        r["comment_pages"] = comments_mod.page_links(self.doc, self.layout, self.base, self.url)
        native_list = bool(comments_mod.top_lists(self.doc, self.layout))
        r["comments_system"], r["comments_thread_id"] = comment_systems.detect(
            self.doc, bool(found or pings), native_list, self.url)
        r["post_id"] = comment_systems.post_id(self.doc, bool(r["api_root"]) or r["comments_system"] == "wordpress")


_SHORT_BODY = 200  # characters: less than this and the next, costlier source is tried
_CHECK_BODY = 1500  # characters: a profile body shorter than this is checked against the heuristic


def _instant(iso: str):
    from datetime import datetime

    return datetime.fromisoformat(iso)


def _time_hint(el) -> str | None:
    """A display time kept beside a date, e.g. Twenty Ten's <a title="9:30 am"> around it."""
    for node in [el, *list(ancestors(el))[:2]]:
        title = node.get("title")
        if title and parse_time(title):
            return title
    return None


def merge_comment_pages(records: list[dict]) -> dict:
    """One record for an article from the records of its comment pages.

    Fields come from comment page 1 (else the lowest page); comments are
    concatenated in page-number order and deduplicated by id.
    """
    if not records:
        raise ValueError("merge_comment_pages needs at least one record")
    ordered = sorted(records, key=lambda r: r.get("comment_page") or 1)
    merged = {**ordered[0], "sources": dict(ordered[0].get("sources") or {})}
    seen: set[str] = set()
    comments: list[dict] = []
    for record in ordered:
        for comment in record.get("comments") or []:
            if comment["id"] not in seen:
                seen.add(comment["id"])
                comments.append(comment)
    merged["comments"] = comments
    merged["comment_count"] = len(comments)
    merged["pingback_count"] = sum(r.get("pingback_count") or 0 for r in ordered)
    merged["declared_comment_count"] = next(
        (r["declared_comment_count"] for r in ordered if r.get("declared_comment_count") is not None), None
    )
    merged["comment_pages"] = _merged_pages(ordered)
    return merged


def _merged_pages(ordered: list[dict]) -> list[str]:
    first = ordered[0]["url"]
    pages = {u for r in ordered for u in r.get("comment_pages") or []} | {r["url"] for r in ordered[1:]}
    pages.discard(first)
    return sorted(pages, key=lambda u: (comments_mod.comment_page_number(u), u))


__all__ = ["extract_page", "merge_comment_pages", "empty_record", "RECORD_KEYS"]
