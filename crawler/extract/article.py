"""The article itself: root element, title, subtitle, section, tags, body blocks,
promo links, and what kind of page this is."""
from __future__ import annotations

import copy
import re

import lxml.html

from . import generic, images
from .html import absolute, classes, css, css_any, select_all, select_first, text_of

BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "li"}
_KEEP_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "a", "strong", "em",
    "b", "i", "br", "code", "sup", "sub", "q", "cite", "s", "u", "mark", "abbr",
}
_DROP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe", "form", "button", "img"}
_PROMO_LABEL = re.compile(r"^\s*(?P<label>[A-Za-z][\w'’ ]{0,30}?)\s*:\s*(?P<rest>.*)$", re.S)
_PROMO_WORDS = re.compile(r"^(?:more|read(?: more| also| next)?|also read|related|see also|recommended|watch|listen|further reading|don't miss)$", re.I)
_ARTICLE_BODY_CLASSES = {"single", "single-post", "postid"}
_LISTING_BODY_CLASSES = {"home", "blog", "archive", "category", "tag", "author", "search", "date", "paged"}
_OTHER_BODY_CLASSES = {"page", "error404", "attachment"}


# -- where the article is ---------------------------------------------------
def find_root(doc, layout):
    """The element holding the article: the first root candidate containing a body."""
    # Bodies are found once for the whole document, then mapped to their enclosing
    # candidates: asking every teaser of a listing for a body is quadratic.
    bodies = css_any(doc, layout.get("body"))
    # The set holds the element proxies alive, so lxml hands back these same objects.
    holders = {anc for el in bodies for anc in (el, *el.iterancestors())}
    for selector in layout.get("article_root"):
        for el in css(doc, selector):
            if el in holders:
                return el
    return doc.body if doc.body is not None else doc


def find_body(root, layout):
    return select_first(root, layout.get("body"))


def title(root, layout, site_names=()) -> str | None:
    """The visible headline: the first title match that is not the site's name (a logo <h1>)."""
    names = {_squash(n) for n in site_names if n}
    for selector in layout.get("title"):
        for el in css(root, selector):
            text = text_of(el)
            if text and _squash(text) not in names:
                return text
    return None


def strip_site_suffix(text: str | None, site_names, headline: str | None) -> str | None:
    """"Title | Site" -> "Title" when the site name or the page's headline says so."""
    if not text:
        return text
    for name in filter(None, site_names):
        match = re.match(rf"^(.*\S)\s+[|–—:·•-]\s+{re.escape(name)}$", text)
        if match:
            return match.group(1)
    if headline and text != headline and text.startswith(headline):
        if re.match(r"^\s+[|–—·•-]\s+\S", text[len(headline):]):
            return headline
    return text


def same_text(a: str | None, b: str | None) -> bool:
    """Equal but for punctuation, quotes, case and spacing."""
    return bool(a and b) and _squash(a) == _squash(b)


def html_title(doc) -> str | None:
    el = doc.find(".//title")
    return text_of(el) or None if el is not None else None


def subtitle(root, layout) -> str | None:
    el = select_first(root, layout.get("subtitle"))
    return text_of(el) or None if el is not None else None


def section(root, layout) -> str | None:
    el = select_first(root, layout.get("section"))
    return text_of(el) or None if el is not None else None


def tags(root, layout) -> list[str]:
    seen: list[str] = []
    for el in select_all(root, layout.get("tags")):
        text = text_of(el)
        if text and text not in seen:
            seen.append(text)
    return seen


# -- body -------------------------------------------------------------------
def cleaned_copy(body, layout):
    """A copy of the body without boxes, ads, share bars, figures and the like."""
    clone = copy.deepcopy(body)
    for el in css_any(clone, layout.get("body_exclude")):
        if el.getparent() is not None and el is not clone:
            el.drop_tree()
    return clone


def blocks(body) -> list:
    """Block elements in page order: p, h2-h6, li, and blockquotes without a p.

    Subtrees whose markup marks them as boilerplate (generic.bad_container) are
    skipped, and so are blocks whose text is boilerplate ("ADVERTISEMENT").
    Iterative: a page nested thousands of levels deep must not overflow the stack.
    """
    found = []
    stack = [iter(body)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        if not isinstance(el.tag, str) or generic.bad_container(el):
            continue
        if el.tag in BLOCK_TAGS or (el.tag == "blockquote" and not css(el, "p, li")) or generic.is_text_div(el):
            text = text_of(el)
            if text and not generic.is_boilerplate_text(text) and not (el.tag == "p" and images.is_caption_paragraph(el)):
                found.append(el)
            continue
        stack.append(iter(el))
    return found


def promo(el, base: str) -> list[dict] | None:
    """related_links of a promo paragraph ("MORE: <a>Title</a>"), else None."""
    if el.tag != "p" or el.find(".//a") is None:
        return None
    links = [a for a in el.iter("a") if a.get("href") and text_of(a)]
    if not links:
        return None
    label = _promo_label(el)
    if label is None:
        # An inline related headline: the whole paragraph one link, in capitals.
        text = text_of(el)
        if len(links) == 1 and text.isupper() and len(text.split()) >= 3 and _squash(text) == _squash(text_of(links[0])):
            return [{"url": absolute(base, links[0].get("href")), "text": text_of(links[0]), "label": None}]
        return None
    rest = _PROMO_LABEL.match(text_of(el))
    remainder = rest.group("rest") if rest else text_of(el)[len(label):]
    if _squash(remainder) != _squash("".join(text_of(a) for a in links)):
        return None
    return [{"url": absolute(base, a.get("href")), "text": text_of(a), "label": label} for a in links]


def _promo_label(el) -> str | None:
    text = text_of(el)
    emphasis = next(iter(css(el, "strong, b, em")), None)
    if emphasis is not None and not css(emphasis, "a"):
        label = text_of(emphasis).rstrip(" :").strip()
        if label and text.startswith(text_of(emphasis)[:1]) and (":" in text_of(emphasis) or _PROMO_WORDS.match(label)):
            return label
    match = _PROMO_LABEL.match(text)
    if match and (_PROMO_WORDS.match(match.group("label").strip()) or match.group("label").isupper()):
        return match.group("label").strip()
    return None


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def body_parts(body, layout, base: str) -> tuple[list, list[dict]]:
    """(text blocks, related links) of the body."""
    kept, related = [], []
    for el in blocks(cleaned_copy(body, layout)):
        links = promo(el, base)
        if links:
            related.extend(links)
        else:
            kept.append(el)
    return kept, related


def body_text(kept: list) -> str | None:
    return "\n\n".join(text_of(el) for el in kept) or None


def body_html(kept: list, base: str) -> str | None:
    """Cleaned HTML of the blocks; list items and quoted paragraphs keep their wrapper."""
    out: list[str] = []
    group_parent, group = None, []
    for el in kept + [None]:
        parent = _wrapper(el)
        if group and (parent is None or parent is not group_parent):
            tag = group_parent.tag if group_parent.tag in ("ul", "ol", "blockquote") else "ul"
            out.append(f"<{tag}>" + "".join(group) + f"</{tag}>")
            group = []
        if el is None:
            break
        if parent is not None:
            group_parent = parent
            group.append(_clean(el, base))
        else:
            out.append(_clean(el, base))
    return "\n".join(out) or None


def _wrapper(el):
    if el is None:
        return None
    parent = el.getparent()
    if el.tag == "li" and parent is not None and parent.tag in ("ul", "ol"):
        return parent
    if el.tag == "p" and parent is not None and parent.tag == "blockquote":
        return parent
    return None


def _clean(el, base: str) -> str:
    clone = copy.deepcopy(el)
    clone.tail = None
    for child in list(clone.iter()):
        if child is clone or not isinstance(child.tag, str):
            continue
        if child.tag in _DROP_TAGS:
            child.drop_tree()
        elif child.tag not in _KEEP_TAGS:
            child.drop_tag()
    for node in clone.iter():
        if not isinstance(node.tag, str):
            continue
        href = absolute(base, node.get("href")) if node.tag == "a" else None
        node.attrib.clear()
        if href:
            node.set("href", href)
    html = lxml.html.tostring(clone, encoding="unicode")
    return re.sub(r"\s+", " ", html).strip()


# -- page type --------------------------------------------------------------
def page_type(url: str, doc, profile, *, jsonld: dict, meta: dict, has_title: bool, has_body: bool) -> str:
    body_classes = classes(doc.body) if doc.body is not None else set()
    if _is_article(url, body_classes, profile, jsonld, meta, has_title, has_body):
        return "article"
    if profile.is_listing_url(url) or body_classes & _LISTING_BODY_CLASSES:
        return "listing"
    if len(css(doc, "article, .hentry, .type-post")) >= 3 and not body_classes & _OTHER_BODY_CLASSES:
        return "listing"
    return "other"


def _is_article(url, body_classes, profile, jsonld, meta, has_title, has_body) -> bool:
    """Strong signals (WordPress's single-post body classes, an Article in JSON-LD,
    og:type article) make an article even when it is empty, so that validation can
    reject it; a URL pattern alone needs a title or a body."""
    if body_classes & _ARTICLE_BODY_CLASSES or any(c.startswith("postid-") for c in body_classes):
        return True
    if body_classes & (_LISTING_BODY_CLASSES | _OTHER_BODY_CLASSES):
        return False
    if jsonld.get("types") or (meta.get("og_type") or "").lower() == "article":
        return not profile.is_listing_url(url)
    return profile.is_article_url(url) and (has_title or has_body)
