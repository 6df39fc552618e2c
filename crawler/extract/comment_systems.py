"""Which comment system a page uses, its thread id, and the WordPress post id and API root.

Script-loaded systems (Disqus, Facebook, Coral, OpenWeb/Spot.IM, Hyvor Talk, Commento,
Viafoura, Livefyre) put only a placeholder and a script on the page: the comments
arrive from another host when a browser runs the script. We record the system and
the thread identifier the script would ask for, and never invent comments.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from .html import absolute, attr, css, has_any_class, may_match

log = logging.getLogger(__name__)

_POSTID_CLASS = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_POST_ELEMENT_ID = re.compile(r"^post-(\d+)$")
_NATIVE_MARKERS = "#respond, form#commentform, .comment-respond, .wp-block-post-comments-form, #wpdcom"


# -- the WordPress post and its API --------------------------------------------------
def post_id(doc, wordpress: bool = True) -> str | None:
    """Body class `postid-ID`, shortlink `?p=ID`, the reply form's comment_post_ID, or `#post-ID`.
    The later ones walk the page: only when it is a WordPress page (`wordpress`)."""
    body = next(doc.iter("body"), None)
    match = _POSTID_CLASS.search(body.get("class") or "") if body is not None else None
    if match:
        return match.group(1)
    if not wordpress:
        return None
    for link in css(doc, "link[rel~='shortlink'][href]"):
        values = parse_qs(urlsplit(link.get("href")).query).get("p", [])
        if values and values[0].isdigit():
            return values[0]
    for field in css(doc, "input[name='comment_post_ID'][value]"):
        if field.get("value", "").strip().isdigit():
            return field.get("value").strip()
    for el in css(doc, "article[id^='post-'], div[id^='post-']"):
        match = _POST_ELEMENT_ID.match(el.get("id") or "")
        if match:
            return match.group(1)
    return None


_API_LINKS = etree.XPath("descendant-or-self::link[@href][contains(@rel, 'https://api.w.org/')]")


def api_root(doc, base: str) -> str | None:
    """The REST API root WordPress advertises: `<link rel="https://api.w.org/" href=...>`."""
    # (the XPath keeps only links whose rel holds the text at all: no loop over every link)
    for link in _API_LINKS(doc):
        if "https://api.w.org/" in (link.get("rel") or "").split():
            return absolute(base, link.get("href"))
    return None


# -- script-loaded systems ---------------------------------------------------------------
def _utf8_text(script) -> bytes:
    """script.text as UTF-8 (the text of a script without children is all its text)."""
    if len(script):
        return (script.text or "").encode("utf-8")
    return etree.tostring(script, method="text", encoding="utf-8", with_tail=False)


# Each code needle contains one of these: a page whose code lacks the anchor lacks all of
# its needles, so one scan of a big page's code answers for several needles.
_ANCHORS = ("isqus", "Coral.")


class _Scripts:
    """The page's script sources and inline code (and the custom elements of Hyvor and
    Viafoura), read in one walk per page."""

    def __init__(self, doc):
        scripts, self.hyvor_tags, self.vf_tag = [], [], False
        # by tag name, in C: the cheapest walk
        for el in doc.iter("script", "hyvor-talk-comments", "vf-conversations"):
            if el.tag == "script":
                scripts.append(el)
            elif el.tag == "hyvor-talk-comments":
                self.hyvor_tags.append(el)
            else:
                self.vf_tag = True
        self.srcs = [s.get("src") or "" for s in scripts if s.get("src")]
        self._inline = [s for s in scripts if not s.get("src")]
        # The code as UTF-8 bytes, as the tree holds it: no decoding of big inline JSON
        # into str, and bytes are searched faster. A needle is in the bytes exactly when
        # it is in the text.
        self.blobs = [b for b in map(_utf8_text, self._inline) if b]
        self._code = None
        self._anchors: dict[str, bool] = {}

    @property
    def code(self) -> str:
        """All inline code, one script a line (joined when a pattern needs it)."""
        if self._code is None:
            self._code = "\n".join(s.text for s in self._inline if s.text)
        return self._code

    def src_has(self, *needles: str) -> bool:
        return any(n in src for src in self.srcs for n in needles)

    def code_has(self, *needles: str) -> bool:
        return any(self._may_have(n) and self._in_code(n) for n in needles)

    def _in_code(self, needle: str) -> bool:
        if "\n" in needle:  # could span two scripts
            return needle in self.code
        raw = needle.encode("utf-8")
        return any(raw in blob for blob in self.blobs)

    def _may_have(self, needle: str) -> bool:
        for anchor in _ANCHORS:
            if anchor in needle:
                if anchor not in self._anchors:
                    self._anchors[anchor] = self._in_code(anchor)
                return self._anchors[anchor]
        return True

    def first(self, *patterns: "_JsValue") -> str | None:
        for pattern in patterns:
            match = pattern.search(self.code)
            if match and match.group("v").strip():
                return _js_string(match.group("v"))
        return None


def _js_string(raw: str) -> str:
    """The value of a JavaScript/JSON string literal's content (\\' \\" \\/ \\uXXXX escapes)."""
    def unescape(match: re.Match) -> str:
        code = match.group(1)
        if code[0] == "u" and len(code) == 5:
            return chr(int(code[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(code, code)

    return _ESCAPE.sub(unescape, raw)


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


class _JsValue:
    """`name = 'value'`, `name: "value"` or `"name":"value"` (value without its quotes).

    search() gives what the pattern's own search would. A pattern that opens with \\b has
    no literal prefix for the regex engine to skip to, and tries every position of a page's
    code (milliseconds on big pages): the name is found first, the full pattern matched there.
    """

    def __init__(self, name: str, sep: str):
        rest = name + r"""\b["']?""" + sep + r"""(?P<q>["'])(?P<v>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
        self.pattern = re.compile(r"\b" + rest)
        self._scan = re.compile(rest)

    def search(self, text: str) -> re.Match | None:
        pos = 0
        while True:
            found = self._scan.search(text, pos)
            if found is None:
                return None
            match = self.pattern.match(text, found.start())
            if match:
                return match
            pos = found.start() + 1


def _js(name: str, sep: str = r"\s*[:=]\s*") -> _JsValue:
    return _JsValue(name, sep)


_DISQUS_PAGE_ID = _js(r"this\.page\.identifier", r"\s*=\s*")
_DISQUS_VARS_ID = _js("disqusIdentifier")
_DISQUS_GLOBAL_ID = _js("disqus_identifier")
_CORAL_STORY_ID = _js("storyID")
_CORAL_STORY_URL = _js("storyURL")
_OPENWEB_POST_ID = _js("postId")
_HYVOR_ID = _js("id")
_LIVEFYRE_ARTICLE_ID = _js("articleId")


def _disqus(doc, scripts: _Scripts):
    thread = css(doc, "#disqus_thread")
    if not (thread or scripts.src_has(".disqus.com/embed.js")
            or scripts.code_has("disqus_config", "disqus_identifier", "disqusIdentifier", ".disqus.com/embed.js")):
        return None
    # (a page's "#disqus_thread" count links name the thread too; the div is the thread)
    # The iframe the embed script left behind (a saved, rendered page) says what it asked for.
    for frame in css(doc, "iframe[src*='disqus.com/embed/comments']"):
        values = parse_qs(urlsplit(frame.get("src")).query).get("t_i")
        if values:
            return values[0]
    ident = scripts.first(_DISQUS_PAGE_ID, _DISQUS_VARS_ID, _DISQUS_GLOBAL_ID)
    return ident or next((attr(el, "data-disqus-identifier") for el in thread if el.get("data-disqus-identifier")), "")


def _facebook(doc, scripts: _Scripts):
    boxes = css(doc, ".fb-comments")
    if not boxes:
        return None
    return attr(boxes[0], "data-href") or ""


def _coral(doc, scripts: _Scripts):
    if not (css(doc, "#coral_thread, #coral-embed, .coral-embed")
            or scripts.code_has("Coral.createStreamEmbed", "Coral.Talk.render")):
        return None
    return scripts.first(_CORAL_STORY_ID, _CORAL_STORY_URL) or ""


def _openweb(doc, scripts: _Scripts):
    # Attribute selectors walk the whole page: asked only once a class or script says OpenWeb.
    if not (has_any_class(doc, ("comments-openweb",)) or scripts.src_has("spot.im")
            or scripts.code_has("spotId", "spotim")):
        return None
    for el in css(doc, "[data-spotim-module][data-post-id], script[data-post-id][src*='spot.im']"):
        return el.get("data-post-id")
    return scripts.first(_OPENWEB_POST_ID) or ""


def _hyvor(doc, scripts: _Scripts):
    tags = scripts.hyvor_tags
    if tags:
        return attr(tags[0], "page-id") or ""
    if css(doc, "#hyvor-talk-view") or scripts.src_has("talk.hyvor.com"):
        config = scripts.code.partition("HYVOR_TALK_CONFIG")[2]
        match = _HYVOR_ID.search(config[:500]) if config else None
        return _js_string(match.group("v")) if match else ""
    return None


def _commento(doc, scripts: _Scripts):
    if not (css(doc, "#commento") and scripts.src_has("commento")):
        return None
    for el in css(doc, "script[src*='commento'][data-page-id]"):
        return el.get("data-page-id")
    return ""


def _viafoura(doc, scripts: _Scripts):
    if not (has_any_class(doc, ("viafoura", "vf-conversations")) or scripts.vf_tag or scripts.src_has("viafoura")):
        return None
    for meta in css(doc, "meta[name='vf:container_id'][content]"):
        return meta.get("content")
    return ""


def _livefyre(doc, scripts: _Scripts):
    # The embed's options sit on the comments container (data-options naming *.fyre.co).
    holders = css(doc, "#livefyre-comment, .livefyre") + [
        el for el in (_OPTIONED_COMMENTS(doc) if may_match("#comments, .comments") else [])
        if "fyre.co" in (el.get("data-options") or "")]
    if not (holders or scripts.src_has("livefyre.com") or scripts.code_has("fyre.conv.load")):
        return None
    for el in holders:
        match = _LIVEFYRE_ARTICLE_ID.search(el.get("data-options") or "")
        if match:
            return _js_string(match.group("v"))
    return scripts.first(_LIVEFYRE_ARTICLE_ID) or ""


# css "#comments, .comments" (as cssselect writes it) among the elements with data-options,
# in one walk that tests the cheap attribute first
_OPTIONED_COMMENTS = etree.XPath(
    "descendant-or-self::*[@data-options][@id = 'comments' or (@class and contains(@class, 'comments') "
    "and contains(concat(' ', normalize-space(@class), ' '), ' comments '))]")


_SYSTEMS = (
    ("disqus", _disqus), ("facebook", _facebook), ("coral", _coral), ("openweb", _openweb),
    ("hyvor", _hyvor), ("commento", _commento), ("viafoura", _viafoura), ("livefyre", _livefyre),
)


def script_system(doc) -> tuple[str | None, str | None]:
    """(system, thread id or None) of the first script-loaded system the page embeds."""
    scripts = _Scripts(doc)
    for name, find in _SYSTEMS:
        thread = find(doc, scripts)
        if thread is not None:
            return name, thread or None
    return None, None


def has_native_markers(doc) -> bool:
    """WordPress's own reply form (or wpDiscuz's), shown even on threads with no comments yet."""
    return bool(css(doc, _NATIVE_MARKERS))


def detect(doc, native_comments: bool, native_list: bool, url: str = "") -> tuple[str | None, str | None]:
    """(comments_system, comments_thread_id).

    Comments in the page's own thread make it `wordpress` whatever scripts are also
    embedded (what we captured is the native thread); else a script-loaded system;
    else `wordpress` when the page has an empty native list or the reply form.
    """
    system, thread = script_system(doc)
    if native_comments:
        if system:
            log.info("%s: native comments and a %s embed; recorded as wordpress", url, system)
        return "wordpress", None
    if system:
        return system, thread
    if native_list or has_native_markers(doc):
        return "wordpress", None
    return None, None
