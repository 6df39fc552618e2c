"""The `metadata` record of an article page: its outlinks and an extraction summary.

Written (application/warc-fields, WARC-Concurrent-To the page's response or
revisit record) once the article item has left the pipelines. The outlinks are
read from the page's payload, by the extraction worker from the bytes it extracted
(item["outlinks"]), else here from the WARC: every link of the page as captured, not only the ones the spider followed.

    outlink: https://example.org/2024/05/other/ a/@href
    outlink: https://example.org/wp-content/uploads/lead.jpg img/@src
    extraction: {"title": ..., "authors": [...], "comment_count": 12, ...}
    outcome: stored
"""

from __future__ import annotations

import json

import lxml.html

from archive.records import decoded_payload, payload_at
from crawler.spiders.links import PageLinks

SUMMARY_KEYS = ("site", "page_type", "canonical_url", "title", "published_at", "modified_at",
                "language", "comment_count", "declared_comment_count", "pingback_count")


def outlinks(html: bytes, base_url: str) -> list[tuple[str, str]]:
    """(absolute url, "tag/@attr") for every link of the page, in order, duplicates dropped."""
    if not html.strip():
        return []
    try:
        doc = lxml.html.fromstring(html, base_url=base_url)
    except (ValueError, lxml.etree.ParserError):
        return []
    return document_outlinks(doc, base_url)


def document_outlinks(doc: lxml.html.HtmlElement, base_url: str,
                      resolved: PageLinks | None = None) -> list[tuple[str, str]]:
    """outlinks() of a page already parsed (by lxml.html's parser, as parsel's selectors are).
    `resolved`: the page's links as the caller already resolved them."""
    resolved = resolved or PageLinks(base_url)
    seen, out = set(), []
    for element, attribute, link in _links_in_order(doc):
        if not isinstance(element.tag, str):
            continue
        url = resolved.absolute(link)
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        out.append((url, f"{element.tag}/@{attribute}" if attribute else element.tag))
    return out


def _links_in_order(doc):
    """lxml's iterlinks(), with one element's links in attribute-name order: lxml visits an
    element's link attributes in set order, which changes with the hash seed, so the same page
    gave its metadata record in another order (and, for one URL in two attributes, another context)."""
    element_links, current = [], None
    for element, attribute, link, pos in doc.iterlinks():
        if element is not current:
            yield from _by_attribute(element_links)
            element_links, current = [], element
        element_links.append((attribute or "", pos, element, attribute, link))
    yield from _by_attribute(element_links)


def _by_attribute(element_links):
    if len(element_links) > 1:
        element_links.sort(key=lambda entry: entry[:2])
    for _name, _pos, element, attribute, link in element_links:
        yield element, attribute, link


def summary(record: dict) -> dict:
    out = {k: record.get(k) for k in SUMMARY_KEYS}
    out["authors"] = [a.get("name") for a in record.get("authors") or []]
    out["word_count"] = len((record.get("body_text") or "").split())
    out["images"] = len(record.get("images") or [])
    out["lead_image"] = next((i.get("src") for i in record.get("images") or [] if i.get("is_lead")), None)
    out["related_links"] = len(record.get("related_links") or [])
    out["comment_pages"] = 1 + len(record.get("comment_pages") or [])
    out["sources"] = record.get("sources") or {}
    return out


def metadata_fields(warc_dir, record: dict, capture: dict, outcome: str,
                    links: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The fields of the page's metadata record. `links` are outlinks() of the page when the
    caller has them (the extraction worker read them); else the payload is read back."""
    return summary_fields(warc_dir, summary(record), capture, outcome, links)


def summary_fields(warc_dir, extraction: dict, capture: dict, outcome: str,
                   links: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """metadata_fields() from the record's summary(): what the WARC writer's process is sent."""
    if links is None:
        links = _payload_links(warc_dir, capture)
    fields = []
    fields += [("outlink", f"{url} {context}") for url, context in links]
    fields.append(("extraction", json.dumps(extraction, ensure_ascii=False, sort_keys=True)))
    fields.append(("outcome", outcome))
    return fields


def _payload_links(warc_dir, capture: dict) -> list[tuple[str, str]]:
    location = capture.get("refers_to_location") if capture.get("warc_type") == "revisit" else [
        capture["warc_file"], capture["warc_offset"], capture["warc_length"]]
    stored = payload_at(warc_dir, location)
    html = decoded_payload(stored) if stored is not None else None
    return outlinks(html, capture["url"]) if html is not None else []
