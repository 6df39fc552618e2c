"""Decoding, parsing and small DOM helpers shared by the extractors."""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Iterable, Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

import cssselect
import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector, LxmlTranslator

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_WS = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Hidden from sight, read to screen readers only (", opens new tab") or not at all.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|clip(?:-path)?\s*:\s*(?:inset\(50%\)|rect\(0)", re.I)
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
    if codec in ("latin-1", "iso8859-1", "cp1252", "ascii") and _is_utf8_multibyte(body):
        codec = "utf-8"  # labelled single-byte but valid UTF-8 with multibyte characters: mislabelled
    text = body.decode(codec or "utf-8", errors="replace")
    return text.lstrip("\ufeff")


def _is_utf8_multibyte(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class BadInput(ValueError):
    """The response cannot be read as a page; the message says why."""


_PARSER = threading.local()


# Every element is an HtmlElement, chosen in C: lxml.html's own lookup calls Python for
# each element object made (only to give form fields their own classes, which nothing here
# uses), and extraction makes thousands per page.
_CLASS_LOOKUP = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity)


def _parser() -> lxml.html.HTMLParser:
    if not hasattr(_PARSER, "parser"):
        _PARSER.parser = lxml.html.HTMLParser()
        _PARSER.parser.set_element_class_lookup(_CLASS_LOOKUP)
    return _PARSER.parser


def parse_html(text: str, *, strict: bool = False) -> lxml.html.HtmlElement | None:
    """An lxml document, or None when there is nothing HTML-like to parse.

    With strict=True a document the parser had to cut short (nested deeper than
    libxml2's limit of 256 levels) raises BadInput instead of being returned.
    """
    doc, cut_short = _parse(text)
    if strict and cut_short:
        raise BadInput(_CUT_SHORT)
    return doc


_CUT_SHORT = "nested deeper than the HTML parser's depth limit (256); document cut short"
_UNDECODABLE = "undecodable text (not in its declared or any detected charset)"


def _parse(text: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """(document or None, whether the parser cut it short)."""
    if not text or "<" not in text:
        return None, False
    if text.lstrip()[:5].lower() == "<?xml":
        text = _XML_DECL.sub("", text)
    parser = _parser()
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except ValueError:  # control characters lxml refuses in a str: drop them and retry
        try:
            doc = lxml.html.document_fromstring(_CONTROL.sub("", text), parser=parser)
        except (etree.ParserError, ValueError):
            return None, False
    except etree.ParserError:
        return None, False
    cut_short = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return (doc if isinstance(doc, lxml.html.HtmlElement) else None), cut_short


def parse_body(body, content_type: str | None = None, *, strict: bool = False) -> lxml.html.HtmlElement | None:
    """parse_html(decode_body(body, content_type)). With strict=True, text that is mostly
    undecodable or a document cut short raises BadInput.

    The last body's parse is kept (one per thread): the extraction worker reads a page's
    links, record and outlinks from one tree. Callers must not change the tree.
    """
    last = getattr(_PARSER, "last_body", None)
    if last is None or last[0] is not body or last[1] != content_type:
        last = _PARSER.last_body = (body, content_type, *_parse_body(body, content_type))
    doc, problem = last[2], last[3]
    if strict and problem:
        raise BadInput(problem)
    return doc


def _parse_body(body, content_type: str | None) -> tuple[lxml.html.HtmlElement | None, str | None]:
    text = decode_body(body, content_type)
    doc, cut_short = _parse(text)
    if text.count("\ufffd") > max(16, len(text) // 50):
        return doc, _UNDECODABLE
    return doc, _CUT_SHORT if cut_short else None


_OPENS_DOCUMENT = re.compile(rb"<(?:html|body)[\s>]", re.I)
_CLOSES_DOCUMENT = re.compile(rb"</(?:html|body)\s*>", re.I)


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def check_body(body) -> None:
    """Raise BadInput for a payload that is no readable page: empty, binary, truncated."""
    if body is None or not body.strip():
        raise BadInput("empty body")
    if isinstance(body, str):
        return
    head = body[:2048]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput("binary content (NUL bytes)")
    sample = body[:4096]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > len(sample) // 20:
        raise BadInput("binary content (control bytes)")
    if _OPENS_DOCUMENT.search(body[:65536]) and not _CLOSES_DOCUMENT.search(body[-8192:]):
        raise BadInput("truncated: the document opens <html>/<body> but never closes it")


def collapse(text: str | None) -> str:
    """Whitespace runs to one space, stripped, NFC."""
    if not text:
        return ""
    text = " ".join(text.split())
    if text.isascii():
        return text
    if _ZERO_WIDTH.search(text):
        text = " ".join(_ZERO_WIDTH.sub("", text).split())
    return unicodedata.normalize("NFC", text)


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
        style = node.get("style") if tag else None
        if style and _HIDDEN_STYLE.search(style):
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
    if not skip_set and len(el) == 0:  # a leaf (most names and dates): its own text, if visible
        return collapse(el.text) if _shows_text(el) else ""
    walk(el)
    return collapse("".join(parts))


def _shows_text(leaf) -> bool:
    if not isinstance(leaf.tag, str) or leaf.tag.lower() in _SKIP_TEXT:
        return False
    style = leaf.get("style")
    return not (style and _HIDDEN_STYLE.search(style))


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector)


_NEEDS = re.compile(r"(?<!\\)([.#])(-?[A-Za-z_][\w-]*)")
_ALTERNATIVE = re.compile(r",(?![^\[]*\])")
_STATE = threading.local()


@lru_cache(maxsize=2048)
def _requirements(selector: str) -> tuple[tuple[frozenset, frozenset], ...]:
    """Per comma-separated alternative: the classes and ids it cannot match without."""
    out = []
    for part in _ALTERNATIVE.split(re.sub(r"\[[^\]]*\]|:not\([^)]*\)", "", selector)):
        found = _NEEDS.findall(part)
        out.append((frozenset(n for k, n in found if k == "."), frozenset(n for k, n in found if k == "#")))
    return tuple(out)


_ALL_CLASSES = etree.XPath("//@class", smart_strings=False)
_ALL_IDS = etree.XPath("//@id", smart_strings=False)


class DocumentIndex:
    """The class names and ids present in one document.

    A selector needing a class or id the page never uses cannot match, so css()
    answers it without walking the tree: most of a profile's fallback selectors
    miss on any one page, and each walk of a big page costs a tenth of a
    millisecond or more.
    """

    def __init__(self, doc):
        self.root = doc
        self.class_values = _ALL_CLASSES(doc)
        self.classes = {c for value in self.class_values for c in value.split()}
        self.ids = set(_ALL_IDS(doc))

    def may_match(self, selector: str) -> bool:
        return any(need_c <= self.classes and need_i <= self.ids for need_c, need_i in _requirements(selector))

    def uses_class(self, name: str) -> bool:
        """Exactly whether `.name` matches an element (split as XPath's normalize-space
        does, on XML whitespace only), read from the class values, without a walk."""
        if name not in self.classes:
            return False
        return any(name in _XML_SPACE.split(value) for value in self.class_values if name in value)


class indexed:
    """Context manager: css() consults the index of `doc` while inside.

    Only trees derived from `doc` (the document and copies of its parts) may be
    searched inside, which is how one page's extraction works.
    """

    def __init__(self, doc):
        self.index = DocumentIndex(doc) if doc is not None else None

    def __enter__(self):
        self.previous = getattr(_STATE, "index", None)
        _STATE.index = self.index
        return self.index

    def __exit__(self, *exc):
        _STATE.index = self.previous
        return False


_XML_SPACE = re.compile(r"[ \t\n\r]+")


def may_match(selector: str) -> bool:
    """False when the current document's index says `selector` cannot match."""
    index = getattr(_STATE, "index", None)
    return index is None or index.may_match(selector)


def has_any_class(doc, names: Sequence[str]) -> bool:
    """Whether any element of `doc` has one of the classes (css(doc, ".a, .b") != []),
    from the document's index when `doc` is the indexed document, else by a walk."""
    index = getattr(_STATE, "index", None)
    if index is not None and index.root is doc:
        return any(index.uses_class(name) for name in names)
    return bool(css(doc, ", ".join("." + name for name in names)))


def css(root, selector: str) -> list:
    if root is None:
        return []
    index = getattr(_STATE, "index", None)
    if index is not None and not index.may_match(selector):
        return []
    try:
        return _compiled(selector)(root)
    except Exception:  # a bad selector in a profile must not break extraction
        return []


def css_any(root, selectors: Sequence[str]) -> list:
    """Matches of any of the selectors, in document order: one compiled union, and only
    of the selectors the page's index says can match at all."""
    index = getattr(_STATE, "index", None)
    wanted = [s for s in selectors if index is None or index.may_match(s)]
    if not wanted or root is None:
        return []
    try:
        return _compiled(", ".join(wanted))(root)
    except Exception:  # one bad selector: fall back to one by one
        return [el for s in wanted for el in css(root, s)]


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


@lru_cache(maxsize=256)
def ancestor_tests(selector: str) -> tuple | None:
    """For a selector of compounds joined by descendant combinators ("a b c"): one
    test per compound but the last, rightmost first, of whether an element matches it.
    None for any other selector (other combinators, lists, pseudo-elements, bad syntax)."""
    try:
        parsed = cssselect.parse(selector)
    except cssselect.SelectorError:
        return None
    if len(parsed) != 1 or parsed[0].pseudo_element:
        return None
    compounds, node = [], parsed[0].parsed_tree
    while isinstance(node, cssselect.parser.CombinedSelector):
        if node.combinator != " ":
            return None
        compounds.append(node.subselector)
        node = node.selector
    compounds.append(node)
    translator = LxmlTranslator()
    return tuple(etree.XPath("self::" + str(translator.xpath(part))) for part in compounds[1:])


def matches_from(el, root, tests: tuple) -> bool:
    """Whether `el`, known to match a descendant-combinator selector searched from some
    ancestor of `root`, also matches it searched from `root` (its ancestor compounds
    found at or below `root`). Nearest-first matching is exact for descendant chains."""
    pending, node = 0, el
    while pending < len(tests) and node is not root:
        node = node.getparent()
        if tests[pending](node):
            pending += 1
    return pending == len(tests)


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
