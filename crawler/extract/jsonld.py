"""JSON-LD (via extruct), flattened: Yoast-style @graph nodes and @id references resolved."""
from __future__ import annotations

import html
import json
import re
from typing import Any

from extruct.jsonld import JsonLdExtractor

from .html import collapse, css

ARTICLE_TYPES = {
    "Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "OpinionNewsArticle",
    "AnalysisNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "TechArticle",
    "ScholarlyArticle", "LiveBlogPosting", "SocialMediaPosting", "Report", "Recipe",
}
_EXTRACTOR = JsonLdExtractor()
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>|^\s*//.*$", re.M)


def raw_items(doc) -> list[dict]:
    """Top-level JSON-LD objects; a broken script is skipped, not fatal."""
    items: list[dict] = []
    for script in css(doc, "script[type='application/ld+json']"):
        try:
            found = _EXTRACTOR.extract_items(script)
        except Exception:
            found = _lenient(script.text_content())
        items.extend(i for i in found if isinstance(i, dict))
    return items


def _lenient(text: str) -> list:
    """Scripts wrapped in <![CDATA[ ... ]]> (some themes) or with trailing junk."""
    text = _CDATA.sub("", text or "").strip()
    try:
        data, _ = json.JSONDecoder(strict=False).raw_decode(text)
    except ValueError:
        return []
    return data if isinstance(data, list) else [data]


def flatten(items: list[dict]) -> list[dict]:
    nodes: list[dict] = []
    for item in items:
        graph = item.get("@graph")
        if isinstance(graph, list):
            nodes.extend(n for n in graph if isinstance(n, dict))
        elif isinstance(graph, dict):
            nodes.append(graph)
        if set(item) - {"@context", "@graph"}:
            nodes.append(item)
    return nodes


def types_of(node: dict) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values if v}


class Graph:
    """The page's JSON-LD nodes with @id lookup."""

    def __init__(self, nodes: list[dict]):
        self.nodes = nodes
        self.by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def resolve(self, value: Any) -> Any:
        """A node for an {"@id": ...} reference (one level; other values unchanged)."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in self.by_id:
            return self.by_id[value["@id"]]
        return value

    def resolve_list(self, value: Any) -> list:
        values = value if isinstance(value, list) else ([] if value is None else [value])
        return [self.resolve(v) for v in values]

    def first_of_type(self, wanted: set[str]) -> dict | None:
        return next((n for n in self.nodes if types_of(n) & wanted), None)


def article_node(graph: Graph) -> dict | None:
    return graph.first_of_type(ARTICLE_TYPES)


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    # Yoast and others HTML-escape inside JSON ("&#8216;", "&amp;").
    return collapse(html.unescape(str(value))) or None if value is not None else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [s for s in (collapse(p) for p in value.split(",")) if s]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return _strings(_text(value))


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _person(graph: Graph, value: Any) -> dict | None:
    value = graph.resolve(value)
    if isinstance(value, str):
        name = collapse(value)
        return {"name": name, "url": None, "bio": None} if name else None
    if not isinstance(value, dict):
        return None
    name = _text(value.get("name"))
    if not name:
        return None
    url = value.get("url")
    if isinstance(url, list):
        url = url[0] if url else None
    return {"name": name, "url": url if isinstance(url, str) else None, "bio": _text(value.get("description"))}


def _image(graph: Graph, value: Any) -> dict | None:
    values = graph.resolve_list(value)
    if not values:
        return None
    first = values[0]
    if isinstance(first, str):
        return {"url": first, "caption": None}
    if not isinstance(first, dict):
        return None
    url = first.get("url") or first.get("contentUrl")
    return {"url": url if isinstance(url, str) else None, "caption": _text(first.get("caption"))}


def extract(doc) -> dict:
    """Fields the page's JSON-LD article node gives (keys absent when it does not)."""
    graph = Graph(flatten(raw_items(doc)))
    node = article_node(graph)
    if node is None:
        return {}
    people = graph.resolve_list(node.get("author")) or graph.resolve_list(node.get("creator"))
    authors = [p for p in (_person(graph, a) for a in people) if p]
    page = graph.resolve(node.get("mainEntityOfPage"))
    fields = {
        "types": sorted(types_of(node)),
        "title": _text(node.get("headline")) or _text(node.get("name")),
        "published": _text(node.get("datePublished")),
        "modified": _text(node.get("dateModified")),
        "authors": authors,
        "section": _text(node.get("articleSection")),
        "tags": _strings(node.get("keywords")),
        "language": _text(node.get("inLanguage")),
        "url": _url(node.get("url")) or _url(page),
        "image": _image(graph, node.get("image")),
        "site_name": _text((graph.resolve(node.get("publisher")) or {}).get("name"))
        if isinstance(graph.resolve(node.get("publisher")), dict) else None,
    }
    return {k: v for k, v in fields.items() if v not in (None, [], "")}
