"""WordPress comment threads, in every markup WordPress themes have used:
ol/ul .comment-list/.commentlist/.wp-block-comment-template, li.comment with
article/div bodies, authors in b/cite/a .fn, text in .comment-content or bare <p>,
dates in time[datetime] or text, replies in ul/ol.children at any depth.
Pingbacks and trackbacks are counted, never returned as comments."""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .dates import parse_date
from .html import (
    absolute, ancestor_tests, ancestors, attr, classes, css, matches_from, select_all, strip_fragment, text_of,
)

log = logging.getLogger(__name__)
_ID = re.compile(r"(?:^|-)(?:comment-)?(\d+)$")
_DEPTH = re.compile(r"^depth-(\d+)$")
_COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?(?=$|[?#])")
_NUMBER_WORDS = {
    "no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "ein": 1, "eine": 1, "einen": 1,
}
_COUNT_WORDS = (
    r"(?:thoughts?|responses?|comments?|replies|reactions?|kommentare?|antworten|reaktionen|ergänzungen|"
    r"réponses?|commentaires?|comentarios?|respuestas?|commenti|risposte|reacties|reactie)"
)
_COUNT = re.compile(
    r"(?P<n>\d[\d,.\s]*|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)\s*" + _COUNT_WORDS + r"\b", re.I)
# "Comments (12)", "Kommentare: 12"
_COUNT_AFTER = re.compile(_COUNT_WORDS + r"\s*[(:]\s*(?P<n>\d[\d,.]*)\s*\)?", re.I)
_COMMENTS_LINK = "a[href*='#comments'], .comments-link a, a.comments-link"
_PING_CLASSES = {"pingback", "trackback"}
_SAYS = re.compile(r"\s*(?:says|sagt|dit|dice|zegt|scrive)\s*:?\s*$", re.I)
_NOT_TEXT_CLASSES = {"comment-likes", "comment-like-feedback", "reply", "comment-reply"}
_META_CLASSES = {"comment-author", "comment-meta", "comment-metadata", "commentmetadata", "reply", "says", "vcard"}


# -- URLs of comment pages -------------------------------------------------
def comment_page_number(url: str) -> int:
    match = _COMMENT_PAGE.search(urlsplit(url).path + "")
    if match:
        return int(match.group(1))
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "cpage" and value.isdigit():
            return int(value)
    return 1


def strip_comment_page(url: str) -> str:
    """The article permalink of a comment page URL (no fragment either)."""
    parts = urlsplit(url)
    path = _COMMENT_PAGE.sub("/", parts.path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cpage"])
    return urlunsplit(parts._replace(path=path, query=query, fragment=""))


def page_links(doc, layout, base: str, current: str) -> list[str]:
    """Other comment pages linked from this page's comment navigation."""
    links: list[str] = []
    here = strip_fragment(current)
    for a in select_all(doc, layout.get("comment_nav")) + _comment_page_anchors(doc, layout):
        url = absolute(base, a.get("href"))
        if not url or "replytocom" in url:
            continue
        url = strip_fragment(url)
        is_comment_page = comment_page_number(url) > 1 or strip_comment_page(url) != url
        if url != here and url not in links and (is_comment_page or strip_comment_page(url) == strip_comment_page(here)):
            links.append(url)
    return links


def _comment_page_anchors(doc, layout) -> list:
    area = next(iter(select_all(doc, layout.get("comments_area"))), None)
    anchors = css(area, "a[href]") if area is not None else []
    return [a for a in anchors if _COMMENT_PAGE.search(a.get("href", "")) or "cpage=" in a.get("href", "")]


# -- declared count -----------------------------------------------------------
def declared_count(doc, layout, base: str = "", here: tuple[str, ...] = ()) -> int | None:
    """The number the site claims: a heading like "12 thoughts on ...", "91 Ergänzungen",
    "Comments (12)"; else the entry meta's link to this page's #comments ("24 Comments")."""
    for el in select_all(doc, layout.get("comments_title")):
        number = _count_in(text_of(el))
        if number is not None:
            return number
    here_pages = {_page_key(u) for u in here if u}
    # The link search walks every anchor: only for pages that show a thread (`here` given).
    for a in css(doc, _COMMENTS_LINK) if here_pages else ():
        if _links_here(a.get("href") or "", base, here_pages):
            number = _count_in(text_of(a))
            if number is not None:
                return number
    return None


def _count_in(text: str) -> int | None:
    match = _COUNT.search(text) or _COUNT_AFTER.search(text)
    if not match:
        return None
    raw = match.group("n").strip().lower()
    if raw in _NUMBER_WORDS:
        return _NUMBER_WORDS[raw]
    digits = re.sub(r"\D", "", raw)
    return int(digits) if digits else None


def _links_here(href: str, base: str, here_pages: set[str]) -> bool:
    """A link to this article's own comments (not a teaser's link to another article's)."""
    target, _, fragment = href.strip().partition("#")
    if not fragment:
        return False
    return not target or _page_key(absolute(base, target) or "") in here_pages


def _page_key(url: str) -> str:
    return strip_comment_page(url).rstrip("/")


# -- threads ----------------------------------------------------------------
def top_lists(doc, layout) -> list:
    """Outermost comment lists (nested .children lists are walked from their parents)."""
    lists = select_all(doc, layout.get("comment_list"))
    held = set(lists)
    return [l for l in lists if not any(a in held for a in ancestors(l))]


def _items(list_el) -> list:
    return [li for li in list_el if isinstance(li.tag, str) and li.tag == "li"]


def _is_comment_li(li) -> bool:
    return bool(_comment_id(li) or classes(li) & ({"comment"} | _PING_CLASSES))


def _is_ping(li) -> bool:
    return bool(classes(li) & _PING_CLASSES)


class _Owned:
    """Each selector's matches in the thread, filed under the comment they belong to: the
    nearest comment li around them, unless they sit in one of its reply lists or reply
    forms. One search of the thread per selector: searching per comment, as the walk
    asks, cost more than the rest of comment extraction on long threads."""

    def __init__(self, lists):
        self.lists = lists
        self.filed: dict[str, dict] = {}
        self.skipped: dict = {}
        self.is_comment: dict = {}

    def of(self, li, selector: str) -> list:
        """Matches inside li that belong to li itself, not to a nested reply."""
        filed = self.filed.get(selector)
        if filed is None:
            filed = self.filed[selector] = self._file(selector)
        return filed.get(li, [])

    def first(self, li, selectors):
        for selector in selectors:
            found = self.of(li, selector)
            if found:
                return found[0]
        return None

    def _file(self, selector: str) -> dict:
        tests = ancestor_tests(selector)
        searched: dict = {}  # for selectors `tests` cannot check: the plain search per child
        filed: dict = {}
        for list_el in self.lists:
            for el in css(list_el, selector):
                owner, child = _owner_and_child(el, self.is_comment)
                if owner is None or self._skips(child):
                    continue
                if tests is None:
                    if child not in searched:
                        searched[child] = set(css(child, selector))
                    if el not in searched[child]:
                        continue
                elif not matches_from(el, child, tests):
                    continue
                filed.setdefault(owner, []).append(el)
        return filed

    def _skips(self, child) -> bool:
        # Reply lists are walked as comments of their own; forms are never comment text.
        if child not in self.skipped:
            self.skipped[child] = _is_reply_list(child) or _is_form(child)
        return self.skipped[child]


def _owner_and_child(el, is_comment: dict):
    """The comment li that owns el, and its child that holds el (or is el).
    `is_comment` remembers which li are comments: every match below one asks again."""
    child = el
    for anc in el.iterancestors():
        if anc.tag == "li":
            if anc not in is_comment:
                is_comment[anc] = _is_comment_li(anc)
            if is_comment[anc]:
                return anc, child
        child = anc
    return None, None


def _is_form(el) -> bool:
    # WordPress moves the reply form into the thread, under the comment being answered
    # (?replytocom=N pages, saved pages where someone clicked Reply): never comment text.
    return el.tag == "form" or el.get("id") == "respond" or "comment-respond" in classes(el)


def _is_reply_list(el) -> bool:
    return el.tag in ("ul", "ol") and any(_is_comment_li(x) for x in _items(el))


def _owner(el):
    for anc in ancestors(el):
        if anc.tag == "li" and _is_comment_li(anc):
            return anc
    return None


def _comment_id(li) -> str | None:
    for value in [li.get("id")] + [el.get("id") for el in li[:3] if isinstance(el.tag, str)]:
        match = _ID.search(value or "")
        if match and "comment" in value:
            return match.group(1)
    return None


def _depth(li, fallback: int) -> int:
    for cls in classes(li):
        match = _DEPTH.match(cls)
        if match:
            return int(match.group(1))
    return fallback


def _author(li, owned: _Owned, layout, base: str) -> tuple[str | None, str | None]:
    el = owned.first(li, layout.get("comment_author"))
    if el is None:
        return None, None
    # el.iter(tag) is css(el, tag) without an XPath evaluation: these run once per comment.
    link = el if el.tag == "a" else next((a for a in el.iter("a") if a.get("href") is not None), None)
    avatar = list(el.iter("img"))
    name = _SAYS.sub("", text_of(el, skip=avatar)) or None
    url = absolute(base, link.get("href")) if link is not None else None
    return name, url


_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/\d{4}\b")


def day_first(doc, layout, language: str | None) -> bool:
    """Whether the page's numeric comment dates ("09/06/2020") put the day first: a date
    that only reads one way decides for the whole page; else the locale (en-US and
    plain English month first, every other locale day first)."""
    for el in select_all(doc, layout.get("comment_date")):
        for first, second in _SLASH_DATE.findall(text_of(el)):
            if int(first) > 12 >= int(second):
                return True
            if int(second) > 12 >= int(first):
                return False
    tag = (language or "en-US").replace("_", "-").lower()
    return tag not in ("en", "en-us")


def _posted(li, owned: _Owned, layout, tz: str | None, languages, day_first_: bool = False) -> tuple[str | None, str | None]:
    """(ISO time, None), or (None, the text that could not be read as a date; None if none)."""
    shown = []
    for el in owned.of(li, "time[datetime]")[:1]:
        shown += [el.get("datetime"), text_of(el)]
    el = owned.first(li, layout.get("comment_date"))
    if el is not None:
        shown += [attr(el, "datetime", "title"), text_of(el)]
    shown = [s.strip() for s in shown if s and s.strip()]
    for value in shown:
        iso = parse_date(value, tz, languages=languages, day_first=day_first_)
        if iso:
            return iso, None
    return None, shown[0] if shown else None


def _text_container(li, owned: _Owned, layout):
    el = owned.first(li, layout.get("comment_text"))
    if el is not None:
        return el
    for body in owned.of(li, ".comment-body"):
        if not css(body, ".comment-author, .fn, .comment-meta"):
            return body
    return None


def _text(li, owned: _Owned, layout) -> str | None:
    container = _text_container(li, owned, layout)
    if container is not None:
        texts = _paragraph_texts(container.iter("p"))
        if texts:
            return "\n\n".join(texts)
        return text_of(container, skip=css(container, ".reply")) or None
    texts = _paragraph_texts(p for p in owned.of(li, "p") if not _in_meta(p, li) and not _in_form(p, li))
    return "\n\n".join(texts) or None


def _paragraph_texts(paragraphs) -> list[str]:
    texts = (text_of(p) for p in paragraphs if not classes(p) & _NOT_TEXT_CLASSES)
    return [text for text in texts if text]


def _in_form(el, stop) -> bool:
    for anc in ancestors(el):
        if anc is stop:
            return False
        if _is_form(anc):
            return True
    return False


def _in_meta(el, stop) -> bool:
    for anc in ancestors(el):
        if anc is stop:
            return False
        if classes(anc) & _META_CLASSES:
            return True
    return False


def _child_lists(li) -> list:
    direct = [el for el in li if isinstance(el.tag, str) and _is_reply_list(el)]
    if direct:  # where every WordPress theme puts them; the subtree search is the fallback
        return direct
    lists = [el for el in css(li, "ul, ol") if _owner(el) is li and _is_reply_list(el)]
    held = set(lists)
    return [l for l in lists if not any(a in held for a in ancestors(l))]


class _Walk:
    def __init__(self, lists, layout, base: str, tz: str | None, languages, day_first_: bool = False):
        self.owned = _Owned(lists)
        self.layout, self.base, self.tz, self.languages = layout, base, tz, languages
        self.day_first = day_first_
        self.comments: list[dict] = []
        self.pings = 0
        self.seen: set[str] = set()

    def list(self, list_el, parent_id: str | None, level: int) -> None:
        previous = None
        for child in list_el:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "li":
                previous = self.item(child, parent_id, level) or previous
            elif child.tag in ("ul", "ol") and previous and any(_is_comment_li(x) for x in _items(child)):
                # Old themes close the </li> before the replies' <ul class="children">.
                self.list(child, previous, level + 1)

    def item(self, li, parent_id: str | None, level: int) -> str | None:
        if _is_ping(li):
            self.pings += 1
            return None
        cid = _comment_id(li)
        if cid is None:
            if "comment" in classes(li):
                log.warning("%s: a comment without an id (li class %r) cannot be kept apart from others; skipped",
                            self.base, li.get("class"))
            return None
        if cid in self.seen:
            return None
        self.seen.add(cid)
        author, author_url = _author(li, self.owned, self.layout, self.base)
        posted, unread = _posted(li, self.owned, self.layout, self.tz, self.languages, self.day_first)
        comment = {
            "id": cid, "parent_id": parent_id, "author": author, "author_url": author_url,
            "posted_at": posted, "text": _text(li, self.owned, self.layout), "depth": _depth(li, level),
            "by_post_author": "bypostauthor" in classes(li),
        }
        self._report(comment, unread)
        self.comments.append(comment)
        for child in _child_lists(li):
            self.list(child, cid, level + 1)
        return cid


    def _report(self, comment: dict, unread: str | None) -> None:
        """Bad input is kept with null fields; the reason goes to the log."""
        problems = [f"no {field}" for field in ("author", "text") if comment[field] is None]
        if comment["posted_at"] is None:
            problems.append(f"unreadable date {unread!r}" if unread else "no date")
        if problems:
            log.warning("%s: comment %s kept with nulls: %s", self.base, comment["id"], ", ".join(problems))


def extract(doc, layout, base: str, tz: str | None, languages=None, language: str | None = None) -> tuple[list[dict], int]:
    """(comments in page order, pingbacks+trackbacks seen). `language` is the page's
    BCP 47 tag: it decides how numeric dates are read when the dates themselves do not."""
    lists = top_lists(doc, layout)
    walk = _Walk(lists, layout, base, tz, languages, day_first(doc, layout, language) if lists else False)
    for list_el in lists:
        walk.list(list_el, None, 1)
    return walk.comments, walk.pings
