"""Authors: byline splitting, author links and bios."""
from __future__ import annotations

import re

from .html import absolute, attr, collapse, css, select_all, text_of

_BY = re.compile(r"^\s*(?:written\s+|posted\s+|words\s+)?by\s*:?\s+", re.I)
_SEP = re.compile(r"\s*(?:,\s*and\s+|,\s*&\s*|\s+and\s+|\s+&\s+|\s+und\s+|,|;)\s*", re.I)
_ROLE = re.compile(r"\s*[|–—]\s*.*$")
_SUFFIX = re.compile(r"^(?:jr\.?|sr\.?|ph\.?\s?d\.?|m\.?d\.?|ii|iii|iv|esq\.?)$", re.I)
_ABOUT = re.compile(r"^\s*(?:about|more about|über)\s+(?:the\s+author\s*:?\s*)?", re.I)


def split_byline(text: str | None) -> list[str]:
    """"By A and B" -> [A, B]; "A, B and C" -> three; "A | Contributor" -> [A]."""
    text = collapse(text)
    if not text:
        return []
    text = _ROLE.sub("", _BY.sub("", text))
    names: list[str] = []
    for part in _SEP.split(text):
        part = part.strip(" ,:;")
        if not part:
            continue
        if _SUFFIX.match(part) and names:
            names[-1] = f"{names[-1]}, {part}"
            continue
        names.append(part)
    return names


def author(name: str, url: str | None = None, bio: str | None = None) -> dict:
    return {"name": name, "url": url, "bio": bio}


def _name_key(name: str) -> str:
    return collapse(name).casefold()


def from_links(root, selectors, base: str, body=None) -> list[dict]:
    """One author per byline element, its href as the author URL.

    With a body given, bylines after it (related posts, other teasers) are ignored.
    """
    found: list[dict] = []
    for el in _before(select_all(root, selectors), root, body):
        link = el if el.tag == "a" else next(iter(css(el, "a[href]")), None)
        for name in split_byline(text_of(el)):
            url = absolute(base, attr(link, "href")) if link is not None else None
            found.append(author(name, url))
    return dedupe(found)


def _before(elements: list, root, body) -> list:
    if body is None or len(elements) < 2:
        return elements
    # Keys are the elements themselves: an lxml proxy's id() is reused once it is freed.
    order = {e: i for i, e in enumerate(root.iter())}
    limit = order.get(body)
    if limit is None:
        return elements
    kept = [e for e in elements if order.get(e, 0) < limit]
    return kept or elements[:1]


def from_text(root, selectors, body=None) -> list[dict]:
    for el in _before(select_all(root, selectors), root, body):
        names = split_byline(text_of(el))
        if names:
            return [author(n) for n in names]
    return []


def dedupe(authors: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for a in authors:
        key = _name_key(a["name"])
        if key not in seen:
            seen[key] = dict(a)
        else:
            for field in ("url", "bio"):
                seen[key][field] = seen[key][field] or a.get(field)
    return list(seen.values())


def bios(root, selectors, base: str) -> dict[str, str]:
    """name (casefolded) or author URL -> bio, from author boxes."""
    found: dict[str, str] = {}
    for box in select_all(root, selectors):
        heading = next(iter(css(box, "h2, h3, h4, h5, .author-title, .author-name, .fn")), None)
        if heading is None:
            continue
        name = _ABOUT.sub("", text_of(heading))
        bio = text_of(box, skip=[heading])
        if not (name and bio):
            continue
        found.setdefault(_name_key(name), bio)
        link = next(iter(css(heading, "a[href]")), None)
        url = absolute(base, attr(link, "href")) if link is not None else None
        if url:
            found.setdefault(url, bio)
    return found


def attach_bios(authors: list[dict], bio_map: dict[str, str]) -> list[dict]:
    out = []
    for a in authors:
        bio = a.get("bio") or bio_map.get(_name_key(a["name"])) or (a.get("url") and bio_map.get(a["url"]))
        out.append({**a, "bio": bio or None})
    return out


def merge(primary: list[dict], secondary: list[dict]) -> list[dict]:
    """Primary's names and order; url/bio filled from secondary by name."""
    if not primary:
        return secondary
    index = {_name_key(a["name"]): a for a in secondary}
    merged = []
    for a in primary:
        other = index.get(_name_key(a["name"]), {})
        merged.append({
            "name": a["name"],
            "url": a.get("url") or other.get("url"),
            "bio": a.get("bio") or other.get("bio"),
        })
    return merged


def from_meta(value: str | None) -> list[dict]:
    if not value or value.startswith(("http://", "https://", "@")):
        return []
    return [author(n) for n in split_byline(value)]


def overlap(a: list[dict], b: list[dict]) -> bool:
    """Whether two author lists share a name (case and spacing aside)."""
    return bool({_name_key(x["name"]) for x in a} & {_name_key(x["name"]) for x in b})


_BIO_VERB = re.compile(r"^(?P<name>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3}),?\s+(?:is|was|serves|served|has|holds|writes|teaches|directs|leads)\b")


def bio_subject(text: str, authors: list[dict]) -> dict | None:
    """The author a bio-like sentence is about ("Jane Doe is a senior fellow ..."), else None."""
    text = collapse(text)
    for a in authors:
        if text.startswith(a["name"]) and _BIO_VERB.match(text):
            return a
    if len(authors) == 1:
        match = _BIO_VERB.match(text)
        if match and _name_key(match.group("name")).split()[-1] == _name_key(authors[0]["name"]).split()[-1]:
            return authors[0]
    return None
