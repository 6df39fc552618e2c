"""Images of the article: lead and inline, with captions and credits split apart."""
from __future__ import annotations

import re

from .html import css_any, absolute, ancestors, attr, classes, collapse, css, select_all, text_of

_LABEL = (
    r"(?:image|photo|picture|foto|bild|graphic|video)\s+credits?"
    r"|photo(?:graph)?s?|images?|pictures?|fotos?|bild(?:er)?|credits?|source|quelle|courtesy"
)
_LABELLED = re.compile(rf"(?:^|(?<=[\s.!?;,)\]—–-]))(?P<label>{_LABEL})\s*:\s*(?P<credit>\S.*)$", re.I | re.S)
# "Photo by X" as a label: at the start or after a sentence, not "a photo by the sea" mid-sentence.
_BY_LABEL = re.compile(r"(?:^|(?<=[.!?|–—]\s))(?i:photo(?:graph)?s?|images?|pictures?|foto)\s+(?i:by)\s+(?P<credit>[A-Z].{1,120})$", re.S)
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
    match = _BY_LABEL.search(text)
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


def tidy_credit(text: str | None) -> str | None:
    """Credit without its label and outer whitespace (the sentence's period is kept)."""
    return _LEADING_LABEL.sub("", collapse(text)).strip(" |–—") or None


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
    credit, skip = None, []
    if credit_el is not None:
        # The credit runs from its element to the end of its parent: "<span class=credit>
        # Photo by X</span> /<span class=distributor>THE CANADIAN PRESS</span>".
        run = [credit_el, *_run_siblings(credit_el, layout)]
        skip = run
        credit = clean_credit(_run_text(run))
    # Some themes split caption and credit into two <figcaption>s.
    caption = " ".join(text_of(el, skip=skip) for el in select_all(figure, layout.get("caption")))
    if credit is None and not collapse(caption):
        return _caption_after(figure)
    if credit is None:
        return split_credit(caption)
    return _caption(caption), credit


def _run_siblings(el, layout) -> list:
    """The credit element's following siblings, up to a caption element."""
    captions = set(select_all(el.getparent(), layout.get("caption"))) if el.getparent() is not None else set()
    run = []
    for sib in el.itersiblings():
        if sib in captions or "caption" in (sib.get("class") or ""):
            break
        run.append(sib)
    return run


def _run_text(run) -> str:
    """Text of a run of siblings, with the tails between them (not the last one's)."""
    parts = []
    for i, el in enumerate(run):
        parts.append(text_of(el))
        if el.tail and i + 1 < len(run):
            parts.append(el.tail)
    return collapse("".join(parts))


def _caption_after(figure) -> tuple[str | None, str | None]:
    """An uncaptioned figure followed by an italic paragraph ending in a credit."""
    after = figure.getnext()
    if after is None or after.tag != "p" or not is_italic(after):
        return None, None
    caption, credit = split_credit(text_of(after))
    return (caption, credit) if credit else (None, None)


def is_italic(p) -> bool:
    text = len(text_of(p))
    return bool(text) and sum(len(text_of(e)) for e in p.iter("em", "i") if e.getparent().tag not in ("em", "i")) >= 0.9 * text


def is_caption_paragraph(p) -> bool:
    """The italic caption paragraph right after an uncaptioned figure (kept out of the body)."""
    before = p.getprevious()
    if before is None or not (before.tag == "figure" or classes(before) & {"wp-caption", "wp-block-image"}):
        return False
    return is_italic(p) and split_credit(text_of(p))[1] is not None


_IMAGE_PARAGRAPH = re.compile(
    r"^\s*(?:(?:top|featured|lead|header|hero)\s+)?(?:image|photo|picture)(?:\s+credits?)?\s*:\s*(?P<rest>\S.*)$", re.I | re.S
)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9\u00df-\u00ff]{2}[.!?])[\s\u200b]+(?=[A-Z])")


def image_paragraph(text: str) -> tuple[str | None, str | None] | None:
    """(caption, credit) of a closing "Image: caption. Credit run" paragraph, else None."""
    match = _IMAGE_PARAGRAPH.match(collapse(text))
    if not match or len(match.group("rest")) > 500:
        return None
    rest = match.group("rest")
    caption, credit = split_credit(rest)
    if credit:
        return caption, credit
    # "Caption sentence. Flickr / U.S. Department of Defense / A. Photographer."
    for boundary in _SENTENCE_END.finditer(rest):
        tail = rest[boundary.end():]
        if "/" in tail and len(tail) <= 160:
            return _caption(rest[: boundary.start()]), tail.strip()
    return None, rest.strip()


def take_image_credit_paragraph(kept: list) -> tuple[list, tuple | None]:
    """Remove an "Image: ..." paragraph from the last blocks of a body; it describes the lead image."""
    for i in range(len(kept) - 1, max(-1, len(kept) - 4), -1):
        el = kept[i]
        if el.tag != "p":
            continue
        found = image_paragraph(text_of(el))
        if found:
            return kept[:i] + kept[i + 1:], found
    return kept, None


def apply_lead_credit(images: list[dict], found, hint_src: str | None, base: str) -> list[dict]:
    """Give the lead image the caption/credit of an "Image:" paragraph; when the lead image
    sits outside the article markup (a hero above the headline), it is the page's og/JSON-LD image."""
    if not found:
        return images
    caption, credit = found
    lead = next((i for i in images if i["is_lead"]), None)
    if lead is None and hint_src:
        lead = {"src": hint_src, "alt": None, "caption": None, "credit": None, "is_lead": True}
        images = [lead] + [i for i in images if not _same_image(i["src"], hint_src)]
    if lead is not None:
        lead["caption"] = lead["caption"] or caption
        lead["credit"] = lead["credit"] or credit
    return images


def _excluded(body, layout) -> set:
    skip: set = set()
    for el in css_any(body, [s for s in layout.get("body_exclude") if s not in _FIGURE_CONTAINERS]):
        skip.update(el.iter())
    return skip


def _is_pixel(img) -> bool:
    """A tracking pixel or spacer: declared 0-2 px wide or high."""
    return any((img.get(a) or "").strip() in ("0", "1", "2", "0px", "1px") for a in ("width", "height"))


def _image(img, figure, layout, base: str, is_lead: bool) -> dict | None:
    src = _src(img, base)
    if not src or _is_pixel(img):
        return None
    caption, credit = _caption_credit(figure, layout)
    return {"src": src, "alt": collapse(img.get("alt") or img.get("data-alt")) or None, "caption": caption, "credit": credit, "is_lead": is_lead}


def _body_imgs(body, layout) -> list:
    if body is None:
        return []
    skip = _excluded(body, layout)
    return [i for i in body.iter("img", "div", "span") if (i.tag == "img" or _lazy_holder(i))
            and i not in skip and not classes(i) & _SKIP_CLASSES]


def _lazy_holder(el) -> bool:
    """A div/span standing in for a lazy-loaded image (data-src, no <img> inside)."""
    if not (el.get("data-src") or el.get("data-lazy-src")):
        return False
    return not any(i for i in el.iter("img") if not any(a.tag == "noscript" for a in i.iterancestors()))


def _leading_figure(root, body) -> list:
    """Without a lead selector: a captioned figure of the article root placed before its body."""
    if root is None or body is None:
        return []
    # One level above the root: heroes often sit in a header beside the article element.
    area = root.getparent() if root.getparent() is not None and root.getparent().tag != "body" else root
    for el in area.iter("figure", body.tag):
        if el is body:
            return []
        if el.tag != "figure":
            continue
        img = next(el.iter("img"), None)
        if img is not None and not classes(img) & _SKIP_CLASSES:
            return [img]
    return []


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
    leads = [i for i in leads if not classes(i) & _SKIP_CLASSES][:1] or _leading_figure(root, body)
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
