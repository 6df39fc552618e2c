"""OpenGraph, <meta>, <link rel=canonical> and <html lang>."""
from __future__ import annotations

import html
import re

from .html import attr, collapse, css


def _metas(doc) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in css(doc, "meta[content], meta[value]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = collapse(html.unescape(el.get("content") or el.get("value") or ""))
        if key and value:
            found.setdefault(key, []).append(value)
    return found


def _first(metas: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if metas.get(key):
            return metas[key][0]
    return None


def _canonical(doc) -> str | None:
    for el in css(doc, "link[href]"):
        if "canonical" in (el.get("rel") or "").lower().split():
            return attr(el, "href")
    return None


def _language(doc, metas) -> str | None:
    lang = attr(doc, "lang", "xml:lang") if doc is not None else None
    if lang:
        return lang
    locale = _first(metas, "og:locale", "content-language", "language")
    return locale.replace("_", "-") if locale else None


_FEED_TITLE = re.compile(r"^.*?\s[»›|–—-]\s(?P<title>.+?)(?:\s+Comments Feed)?$")


def _title_votes(doc, metas) -> list[str]:
    """Other statements of the headline a page makes: social and analytics tags, and the
    comments-feed link WordPress titles "Site » Headline Comments Feed"."""
    votes = [v for key in ("og:title", "twitter:title", "sailthru.title", "parsely-title", "dc.title",
                           "dcterms.title", "headline") for v in metas.get(key, [])]
    for el in css(doc, "link[rel='alternate'][title]"):
        match = _FEED_TITLE.match(collapse(html.unescape(el.get("title") or "")))
        if match and (el.get("type") or "").endswith(("rss+xml", "atom+xml")):
            votes.append(match.group("title"))
    return votes


def extract(doc) -> dict:
    metas = _metas(doc)
    fields = {
        "title": _first(metas, "og:title", "twitter:title"),
        "description": _first(metas, "og:description", "description"),
        "og_type": _first(metas, "og:type"),
        "og_url": _first(metas, "og:url"),
        "canonical": _canonical(doc),
        "published": _first(
            metas, "article:published_time", "datepublished", "date", "dc.date", "dcterms.date",
            "sailthru.date", "parsely-pub-date",
        ),
        "modified": _first(metas, "article:modified_time", "og:updated_time", "datemodified"),
        "section": _first(metas, "article:section"),
        "tags": metas.get("article:tag", []),
        "author": _first(
            metas, "author", "article:author", "dc.creator", "dcterms.creator", "sailthru.author",
            "parsely-author", "dcsext.author",
        ),
        "image": _first(metas, "og:image", "og:image:url", "twitter:image"),
        "site_name": _first(metas, "og:site_name"),
        "language": _language(doc, metas),
        "title_votes": _title_votes(doc, metas),
    }
    return {k: v for k, v in fields.items() if v not in (None, [], "")}
