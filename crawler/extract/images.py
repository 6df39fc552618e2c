"""Images of the article: lead and inline, with captions and credits split apart."""
from __future__ import annotations

import re

from .html import absolute, ancestors, attr, classes, collapse, css, select_all, text_of

_LABEL = (
    r"(?:image|photo|picture|foto|bild|graphic|video)\s+credits?"
    r"|photo(?:graph)?s?|images?|pictures?|fotos?|bild(?:er)?|credits?|source|quelle|courtesy"
)
_LABELLED = re.compile(rf"(?:^|(?<=[\s.!?;,)\]—–-]))(?P<label>{_LABEL})\s*:\s*(?P<credit>\S.*)$", re.I | re.S)
_TRAILING_PAREN = re.compile(r"\s*\((?P<credit>[^()]{2,120})\)\s*\.?\s*$")
_AGENCY = re.compile(r"\b(?:AP|AFP|Reuters|Getty|EPA|Shutterstock|Photo|Image|Credit|Courtesy)\b", re.I)
_LEADING_LABEL = re.compile(rf"^\s*(?:{_LABEL})\s*:\s*", re.I)
_FIGURE_CONTAINERS = {"figure", ".wp-caption", ".wp-block-image", ".gallery", ".wp-block-gallery"}
_PLACEHOLDER = re.compile(r"^data:|/(?:blank|spacer|pixel|placeholder|lazy[-_]?load)[^/]*$", re.I)
_SKIP_CLASSES = {"avatar", "emoji", "wp-smiley"}
_TEXT_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"}


def split_credit(text: str | None) -> tuple[str | None, str | None]:
    """Caption text -> (caption, credit): "X. Image Credit: Y." gives ("X.", "Y")."""
    text = collapse(text)
    if not text:
        return None, None
    match = _LABELLED.search(text)
    if match:
        return _caption(text[: match.start()]), clean_credit(match.group("credit"))
    match = _TRAILING_PAREN.search(text)
    if match and ("/" in match.group("credit") or _AGENCY.search(match.group("credit"))):
        return _caption(text[: match.start()]), clean_credit(match.group("credit"))
    return text, None


def _caption(text: str) -> str | None:
    return collapse(text).rstrip(" |–—-/:") or None


def clean_credit(text: str | None) -> str | None:
    """Credit text without its label and without the sentence's closing period."""
    text = _LEADING_LABEL.sub("", collapse(text)).strip(" |–—")
    if text.endswith(".") and not re.search(r"(?:\b[A-Z]|\.[A-Za-z]|\b(?:Jr|Sr|Inc|Co|Ltd|St))\.$", text):
        text = text[:-1].rstrip()
    return text or None


def _src(img, base: str) -> str | None:
    src = attr(img, "src")
    if not src or _PLACEHOLDER.search(src):
        src = attr(img, "data-src", "data-lazy-src", "data-original", "data-orig-file") or (
            None if src and src.startswith("data:") else src
        )
    if not src:
        srcset = attr(img, "srcset", "data-srcset", "data-lazy-srcset")
        src = srcset.split(",")[0].split()[0] if srcset else None
    return absolute(base, src)


def _figure_of(img, stop, layout=None):
    """The figure-like element around img: a figure/.wp-caption, else a close ancestor
    holding a caption or credit element."""
    near = []
    for anc in ancestors(img):
        if anc is stop:
            break
        if anc.tag == "figure" or classes(anc) & {"wp-caption", "wp-block-image"}:
            return anc
        near.append(anc)
    if layout is not None:
        wanted = layout.get("caption") + layout.get("credit")
        for anc in near[:3]:
            if anc.tag not in ("p", "div", "article", "body") and select_all(anc, wanted):
                return anc
    return None


def _caption_credit(figure, layout) -> tuple[str | None, str | None]:
    if figure is None:
        return None, None
    credit_el = next(iter(select_all(figure, layout.get("credit"))), None)
    credit = clean_credit(text_of(credit_el)) if credit_el is not None else None
    skip = [credit_el] if credit_el is not None else []
    # Some themes split caption and credit into two <figcaption>s.
    caption = " ".join(text_of(el, skip=skip) for el in select_all(figure, layout.get("caption")))
    if credit is None:
        return split_credit(caption)
    return _caption(caption), credit


def _excluded(body, layout) -> set:
    skip: set = set()
    for selector in layout.get("body_exclude"):
        if selector in _FIGURE_CONTAINERS:
            continue
        for el in css(body, selector):
            skip.update(el.iter())
    return skip


def _image(img, figure, layout, base: str, is_lead: bool) -> dict | None:
    src = _src(img, base)
    if not src:
        return None
    caption, credit = _caption_credit(figure, layout)
    return {"src": src, "alt": collapse(img.get("alt")) or None, "caption": caption, "credit": credit, "is_lead": is_lead}


def _body_imgs(body, layout) -> list:
    if body is None:
        return []
    skip = _excluded(body, layout)
    return [i for i in body.iter("img") if i not in skip and not classes(i) & _SKIP_CLASSES]


def _same_image(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    strip = lambda u: re.sub(r"-\d+x\d+(?=\.\w+$)", "", u.split("?")[0])  # noqa: E731
    return strip(a) == strip(b)


def _opens_article(img, body) -> bool:
    """True when no text paragraph or heading of the body comes before the image."""
    for el in body.iter():
        if el is img:
            return True
        if el.tag in _TEXT_TAGS and _figure_of(el, body) is None and text_of(el):
            return False
    return False


def extract(root, body, layout, base: str, *, hint_src: str | None = None) -> list[dict]:
    """Lead image first (profile's lead selector, else the first body image when it opens
    the article or is the page's og/JSON-LD image), then inline images in page order."""
    images: list[dict] = []
    seen: set[str] = set()
    leads = [i for el in select_all(root, layout.get("lead_image")) for i in ([el] if el.tag == "img" else el.iter("img"))]
    leads = [i for i in leads if not classes(i) & _SKIP_CLASSES][:1]
    inline = [i for i in _body_imgs(body, layout) if not leads or i is not leads[0]]
    if not leads and inline:
        first = inline[0]
        if _opens_article(first, body) or _same_image(_src(first, base), hint_src):
            leads, inline = [first], inline[1:]
    for img, is_lead in [(i, True) for i in leads] + [(i, False) for i in inline]:
        record = _image(img, _figure_of(img, None, layout), layout, base, is_lead)
        if record and record["src"] not in seen:
            seen.add(record["src"])
            images.append(record)
    return images
