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

from .html import absolute, attr, css

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


def api_root(doc, base: str) -> str | None:
    """The REST API root WordPress advertises: `<link rel="https://api.w.org/" href=...>`."""
    for link in css(doc, "link[href]"):
        if "https://api.w.org/" in (link.get("rel") or "").split():
            return absolute(base, link.get("href"))
    return None


# -- script-loaded systems ---------------------------------------------------------------
class _Scripts:
    """The page's script sources and inline code, read once per page."""

    def __init__(self, doc):
        scripts = list(doc.iter("script"))  # by tag name, in C: the cheapest walk
        self.srcs = [s.get("src") or "" for s in scripts if s.get("src")]
        self.code = "\n".join(s.text or "" for s in scripts if not s.get("src") and s.text)

    def src_has(self, *needles: str) -> bool:
        return any(n in src for src in self.srcs for n in needles)

    def code_has(self, *needles: str) -> bool:
        return any(n in self.code for n in needles)

    def first(self, *patterns: re.Pattern) -> str | None:
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


def _js(name: str, sep: str = r"\s*[:=]\s*") -> re.Pattern:
    """`name = 'value'`, `name: "value"` or `"name":"value"` (value without its quotes)."""
    return re.compile(r"""\b""" + name + r"""\b["']?""" + sep + r"""(?P<q>["'])(?P<v>(?:\\.|(?!(?P=q)).)*)(?P=q)""")


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
    if not (css(doc, ".comments-openweb") or scripts.src_has("spot.im") or scripts.code_has("spotId", "spotim")):
        return None
    for el in css(doc, "[data-spotim-module][data-post-id], script[data-post-id][src*='spot.im']"):
        return el.get("data-post-id")
    return scripts.first(_OPENWEB_POST_ID) or ""


def _hyvor(doc, scripts: _Scripts):
    tags = list(doc.iter("hyvor-talk-comments"))
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
    if not (css(doc, ".viafoura, .vf-conversations") or next(doc.iter("vf-conversations"), None) is not None
            or scripts.src_has("viafoura")):
        return None
    for meta in css(doc, "meta[name='vf:container_id'][content]"):
        return meta.get("content")
    return ""


def _livefyre(doc, scripts: _Scripts):
    # The embed's options sit on the comments container (data-options naming *.fyre.co).
    holders = css(doc, "#livefyre-comment, .livefyre") + [
        el for el in css(doc, "#comments, .comments") if "fyre.co" in (el.get("data-options") or "")]
    if not (holders or scripts.src_has("livefyre.com") or scripts.code_has("fyre.conv.load")):
        return None
    for el in holders:
        match = _LIVEFYRE_ARTICLE_ID.search(el.get("data-options") or "")
        if match:
            return _js_string(match.group("v"))
    return scripts.first(_LIVEFYRE_ARTICLE_ID) or ""


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
