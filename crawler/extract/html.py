"""Decoding, parsing and small DOM helpers shared by the extractors."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_WS = re.compile(r"\s+")
_SKIP_TEXT = {"script", "style", "noscript", "template"}
# Text of these never runs into its neighbour's ("a</p><p>b" reads "a b").
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "blockquote", "figure", "figcaption", "section", "article", "header", "footer", "dd", "dt",
}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    import codecs

    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_body(body: bytes | str | None, content_type: str | None = None) -> str:
    """Bytes -> text: HTTP charset, then a BOM, then <meta charset>, then UTF-8 (replacing errors)."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    match = _HTTP_CHARSET.search(content_type or "")
    codec = _codec(match.group(1)) if match else None
    if codec is None and body[:3] == b"\xef\xbb\xbf":
        codec = "utf-8"
    if codec is None:
        meta = _META_CHARSET.search(body[:4096])
        codec = _codec(meta.group(1).decode("ascii", "ignore")) if meta else None
    text = body.decode(codec or "utf-8", errors="replace")
    return text.lstrip("\ufeff")


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """An lxml document, or None when there is nothing HTML-like to parse."""
    text = _CONTROL.sub("", _XML_DECL.sub("", text or ""))
    if not text.strip() or "<" not in text:
        return None
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    return doc if isinstance(doc, lxml.html.HtmlElement) else None


def collapse(text: str | None) -> str:
    """Whitespace runs to one space, stripped, NFC."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", _WS.sub(" ", text).strip())


def or_none(text: str | None) -> str | None:
    text = collapse(text)
    return text or None


def text_of(el, skip: Iterable = ()) -> str:
    """Visible text of an element (scripts, styles and `skip` elements left out), collapsed."""
    skip_set = set(skip)
    parts: list[str] = []

    def walk(node):
        if node in skip_set:
            return
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _SKIP_TEXT:
            return
        if tag in _BLOCK:
            parts.append(" ")
        if tag and node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in _BLOCK:
            parts.append(" ")

    if el is None:
        return ""
    walk(el)
    return collapse("".join(parts))


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector)


def css(root, selector: str) -> list:
    if root is None:
        return []
    try:
        return _compiled(selector)(root)
    except Exception:  # a bad selector in a profile must not break extraction
        return []


def select_all(root, selectors: Sequence[str]) -> list:
    """Matches of the first selector that matches anything."""
    for selector in selectors:
        found = css(root, selector)
        if found:
            return found
    return []


def select_first(root, selectors: Sequence[str]):
    found = select_all(root, selectors)
    return found[0] if found else None


def attr(el, *names: str) -> str | None:
    for name in names:
        value = el.get(name) if el is not None else None
        if value and value.strip():
            return value.strip()
    return None


def absolute(base: str, href: str | None) -> str | None:
    """Absolute http(s) URL for href, or None for javascript:, data: and the like."""
    if not href or not href.strip():
        return None
    try:
        url = urljoin(base, href.strip())
    except ValueError:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return url


def strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def document_base(doc, url: str) -> str:
    base = doc.find(".//base[@href]") if doc is not None else None
    return absolute(url, base.get("href")) or url if base is not None else url


def ancestors(el) -> Iterable:
    el = el.getparent()
    while el is not None:
        yield el
        el = el.getparent()


def has_class(el, name: str) -> bool:
    return name in (el.get("class") or "").split()


def classes(el) -> set[str]:
    return set((el.get("class") or "").split())
