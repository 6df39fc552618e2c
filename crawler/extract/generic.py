"""Generic article body: for pages no profile selector fits, and to clean the ones it does.

Two parts, both working on the already-parsed document (no second parse):

- `find_container`: the element holding the article's paragraphs, found by
  scoring paragraphs (length, commas, link density) into their parent and
  grandparent, as Readability does, then widening to an ancestor when the
  article's text is split over sibling blocks.
- `is_boilerplate`: the block filter used on every body, whoever found it:
  promos, captions, credits, share bars, newsletter and membership prompts,
  ads, bios and comments are recognised by their markup (tag, class, id, role)
  and by their text ("ADVERTISEMENT", "Sign up for ...").
"""
from __future__ import annotations

import re

_SCORED = ("p", "pre", "td", "blockquote")
_SKIP_TAGS = {"script", "style", "noscript", "template", "nav", "footer", "aside", "form", "header", "figure"}
# Class/id words of boilerplate containers (matched on whole "-"/"_"-separated words).
_BAD_WORDS = re.compile(
    r"(?:^|[-_\s])(?:related|recommend(?:ed|ations?)?|newsletters?|subscribe|subscription|signup|sign-up|"
    r"share|sharing|social|promo|promos|promotion|advert|advertisement|advertising|ads?|adslot|ad-slot|"
    r"dfp|sponsor(?:ed)?|outbrain|taboola|caption|captions|credit|credits|byline|bio|author-?bio|"
    r"author-?box|comments?|disqus|footer|sidebar|widget|breadcrumbs?|toolbar|cookie|consent|"
    r"more-?stories|read-?more|readmore|read-?next|most-?popular|trending|tags|tag-?list|pagination|gating|gated-?overlay|"
    r"inline-?related|teaser|card|cards|rail|modal|popup|video-?player|embed|tweet|twitter-?tweet|"
    r"print|hidden|sr-only|visually-?hidden|screen-?reader(?:-text)?|membership|donate|donation|"
    r"signup-?form|follow|newsletter-?signup|piano|meter|nativo|zergnet|wp-caption-text)"
    r"(?:$|[-_\s\d])",
    re.I,
)
# Class words that look bad but name the article itself ("article-body", "story-content").
_GOOD_WORDS = re.compile(r"(?:article|story|entry|post|main)[-_]?(?:body|content|text)|articlebody|body-?text", re.I)
_BAD_ROLES = {"navigation", "complementary", "contentinfo", "banner", "dialog", "alert", "button", "menu"}
_BAD_TEXT = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|story continues below(?: this ad)?|"
    r"continue reading(?: below)?|scroll to continue(?: with content)?|read more|related|"
    r"(?:sign up|subscribe) (?:for|to) (?:our|the) .{0,60}newsletter.*|"
    r"(?:click|tap) here to .{0,80}|share this (?:article|story).*)$",
    re.I,
)


_CAMEL = re.compile(r"([a-z]{2,})(?=[A-Z][a-z]{2,})")  # not hashes like "hHEPkK"


def _words(el) -> str:
    """Class and id, camelCase split into dashed words ("imageEmbedCredit" -> "image-embed-credit")."""
    raw = f"{el.get('class') or ''} {el.get('id') or ''}"
    return _CAMEL.sub(r"\1-", raw).lower() if raw.strip() else raw


def bad_container(el) -> bool:
    """An element whose markup says it is not the article's own text."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP_TAGS or tag == "figcaption":
        return True
    if (el.get("role") or "").lower() in _BAD_ROLES or el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    style = el.get("style")
    if style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
        return True
    words = _words(el)
    if not words.strip():
        return False
    if _GOOD_WORDS.search(words) and not re.search(r"(?:^|\s)(?:ad|ads|advert)[-_\s]", words):
        return False
    return bool(_BAD_WORDS.search(words))


_BLOCK_CHILDREN = {
    "div", "p", "ul", "ol", "table", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "figure", "aside", "header", "footer", "nav", "form", "pre", "dl", "main", "iframe",
}


def is_text_div(el) -> bool:
    """A div used as a paragraph: its own text, no block children (Reuters and other React sites)."""
    if el.tag != "div" or not (el.text or "").strip():
        return False
    return not any(isinstance(c.tag, str) and c.tag in _BLOCK_CHILDREN for c in el)


def link_density(el, text_len: int) -> float:
    if not text_len:
        return 0.0
    linked = sum(len(a.text_content() or "") for a in el.iter("a"))
    return min(1.0, linked / text_len)


def find_container(doc):
    """The element that best holds the article's paragraphs, or None."""
    root = doc.body if doc.body is not None else doc
    scores: dict = {}
    mass: dict = {}  # paragraph score held anywhere below an element
    for p in root.iter(*_SCORED, "div"):
        if p.tag == "div" and not is_text_div(p):
            continue
        text = (p.text_content() or "").strip()
        n = len(text)
        if n < 25:
            continue
        score = (1 + text.count(",") + text.count("，") + min(n // 100, 3)) * (1 - link_density(p, n))
        parent = p.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
        for anc in p.iterancestors():
            mass[anc] = mass.get(anc, 0.0) + score
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    # Containers marked as boilerplate (comments, related lists) are no article.
    best = next((el for el, _ in ranked[:8] if not _inside_bad(el, root)), None)
    if best is None:
        return None
    return _widen(best, mass, root)


def _inside_bad(el, stop, levels: int = 5) -> bool:
    """Whether el or one of its closest ancestors is boilerplate. Page-wide wrappers further
    up are not asked: their class lists describe the page ("page-hero-ad-hidden")."""
    node = el
    while node is not None and node is not stop and levels >= 0:
        levels -= 1
        if node.tag in ("body", "html"):
            return False
        if bad_container(node) and node.tag not in ("header",):
            return True
        node = node.getparent()
    return False


def _widen(best, mass: dict, root):
    """Go up while the parent holds sibling blocks of comparable paragraph mass:
    articles split into chunks between ads (LA Times, The New Yorker)."""
    node = probe = best
    for _ in range(8):
        parent = probe.getparent()
        if parent is None or parent is root or parent.tag in ("body", "html"):
            break
        own = mass.get(probe, 0.0)
        siblings = [c for c in parent if c is not probe and isinstance(c.tag, str) and not bad_container(c)]
        sibling_mass = sum(mass.get(c, 0.0) for c in siblings if c.tag not in _SCORED)
        own_paras = sum(1 for c in siblings if c.tag == "p" and len((c.text_content() or "").strip()) >= 60)
        if sibling_mass >= 0.3 * own or own_paras >= 2:
            node = probe = parent
        elif sibling_mass < 0.05 * own and not own_paras:
            probe = parent  # a thin wrapper: look further up, but keep what we have
        else:
            break
    return node


def is_boilerplate_text(text: str) -> bool:
    return bool(_BAD_TEXT.match(text))
