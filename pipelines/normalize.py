"""Normalization of page records: pure and idempotent.

extract_page applies it before returning; NormalizePipeline applies it again to
items (a no-op for fresh records, a fix-up for records built elsewhere).
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin

from crawler.extract.authors import dedupe, split_byline
from crawler.extract.comments import strip_comment_page
from crawler.extract.dates import parse_date
from crawler.extract.html import collapse, or_none, strip_fragment
from crawler.extract.images import split_credit, tidy_credit

_TEXT_FIELDS = ("title", "subtitle", "section", "language")
_BLOCK_SPLIT = re.compile(r"\n\s*\n")


def _profile_for(record: dict):
    from crawler.sites import get_profile

    try:
        return get_profile(record.get("site"))
    except KeyError:
        return get_profile(None)


def normalize_record(record: dict, profile=None) -> dict:
    """A normalized copy of a page record (the input is not modified)."""
    profile = profile or _profile_for(record)
    tz = profile.timezone
    r = dict(record)
    for field in _TEXT_FIELDS:
        r[field] = or_none(r.get(field))
    r["tags"] = list(dict.fromkeys(t for t in (collapse(t) for t in r.get("tags") or []) if t))
    r["body_text"] = normalize_blocks(r.get("body_text"))
    r["body_html"] = _nfc(r.get("body_html")).strip() or None if r.get("body_html") else None
    r["published_at"] = parse_date(r.get("published_at"), tz)
    r["modified_at"] = parse_date(r.get("modified_at"), tz)
    r["authors"] = normalize_authors(r.get("authors") or [])
    r["images"] = [normalize_image(i) for i in r.get("images") or []]
    r["related_links"] = [normalize_link(l) for l in r.get("related_links") or []]
    r["comments"] = [normalize_comment(c, tz) for c in r.get("comments") or []]
    r["comment_count"] = len(r["comments"])
    r["pingback_count"] = int(r.get("pingback_count") or 0)
    r["canonical_url"] = normalize_canonical(r.get("url"), r.get("canonical_url"))
    r["comment_pages"] = list(dict.fromkeys(strip_fragment(u) for u in r.get("comment_pages") or []))
    r["sources"] = dict(r.get("sources") or {})
    return r


def _nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def normalize_blocks(text: str | None) -> str | None:
    """Each "\\n\\n"-separated block collapsed to one line; empty blocks dropped."""
    if not text:
        return None
    blocks = [collapse(b) for b in _BLOCK_SPLIT.split(text)]
    return "\n\n".join(b for b in blocks if b) or None


def normalize_authors(authors: list[dict]) -> list[dict]:
    out = []
    for a in authors:
        names = split_byline(a.get("name")) if " and " in collapse(a.get("name")) else [collapse(a.get("name"))]
        single = len(names) == 1
        for name in names:
            if name:
                out.append({
                    "name": name,
                    "url": (a.get("url") or None) if single else None,
                    "bio": or_none(a.get("bio")) if single else None,
                })
    return dedupe(out)


def normalize_image(image: dict) -> dict:
    caption, credit = or_none(image.get("caption")), tidy_credit(image.get("credit"))
    if credit is None and caption:
        caption, credit = split_credit(caption)
    return {
        "src": image.get("src"), "alt": or_none(image.get("alt")), "caption": caption,
        "credit": credit, "is_lead": bool(image.get("is_lead")),
    }


def normalize_link(link: dict) -> dict:
    label = collapse(link.get("label")).rstrip(":").strip() or None
    return {"url": link.get("url"), "text": or_none(link.get("text")), "label": label}


def normalize_comment(comment: dict, tz: str) -> dict:
    def as_id(value):
        return None if value in (None, "") else str(value)

    return {
        "id": as_id(comment.get("id")), "parent_id": as_id(comment.get("parent_id")),
        "author": or_none(comment.get("author")), "author_url": comment.get("author_url") or None,
        "posted_at": parse_date(comment.get("posted_at"), tz),
        "text": normalize_blocks(comment.get("text")), "depth": int(comment.get("depth") or 1),
        "by_post_author": bool(comment.get("by_post_author")),
    }


def normalize_canonical(url: str | None, canonical: str | None) -> str | None:
    target = canonical or url
    if not target:
        return None
    return strip_comment_page(strip_fragment(urljoin(url or "", target.strip())))


class NormalizePipeline:
    """Scrapy item pipeline: item["record"] through normalize_record with the site's profile."""

    def process_item(self, item, spider=None):
        record = item["record"]
        item["record"] = normalize_record(record, _profile_for(record))
        return item
