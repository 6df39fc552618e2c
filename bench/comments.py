"""Per-comment exact-match rate of our comment extraction over the real saved pages.

    .venv/bin/python bench/comments.py [--pages DIR] [--show-misses N]

There is no per-comment ground truth in ``DIR/manifest.json`` (it has counts and the
first comment only), so each real page with comments has an independent oracle here:
a handful of lxml XPath expressions written for that one page after reading its markup,
the way a careful human would read it: which ``li`` elements are comments (not
pingbacks, not the reply form), the site's id from the ``li``'s id, the parent from
the enclosing comment ``li`` (or, on the WordPress.com page whose replies' list sits
after the parent's ``</li>``, the ``li`` just before that list), the author from the
page's own author element, the date from ``time/@datetime`` or, where the page prints
only text, with a strptime format written for that page, read in the zone our record
uses for the site (UTC: these sites have no profile); a date printed without a year is
None, because nothing on the page says which year; the text from the page's own comment
paragraphs (a block quote inside a comment is part of what was posted), minus the
"Like" widget, a ``<br>`` read as a space. The oracles hold selectors
and formats only: no text of the pages is copied, and the pages are read in place.

Each comment is compared field by field (id, parent id, author, date, text) with the
record ``crawler.extract.extract_page`` returns; a comment matches exactly when every
field is equal. Comments are paired by id; a comment either side lacks counts as a miss.
Prints one row per page and the overall rate.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import lxml.html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_PAGES = REPO.parent / "shared" / "pages"
FIELDS = ("id", "parent_id", "author", "posted_at", "text")

COMMENT_LI = "contains(concat(' ', normalize-space(@class), ' '), ' comment ')"
LIKES = "not(contains(@class, 'comment-likes'))"


@dataclass(frozen=True)
class Oracle:
    """How one page marks up its comments (XPath relative to each comment's li)."""
    items: str                      # the comment li elements, in page order
    author: str
    text: str                       # the comment's paragraphs
    date: str                       # an attribute (ISO) or an element (display text)
    date_format: str | None = None  # strptime format of a display date
    parent: str = f"ancestor::li[{COMMENT_LI}][1]"


# Written per page, after reading its markup (see the docstring).
ORACLES = {
    "foxyfolksy-comments.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./article/footer//b[contains(@class,'fn')]",
        text=f"./article/div[contains(@class,'comment-content')]/p[{LIKES}]",
        date="./article/footer//time/@datetime"),
    "blisterreview.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./article/footer//cite[contains(@class,'fn')]",
        text="./article/div[@itemprop='text']/p",
        date="./article/footer//time/@datetime"),
    "politicalinsider.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./div[contains(@class,'comment-body')]/div[contains(@class,'comment-author')]/cite",
        text="./div[contains(@class,'comment-body')]/p",
        date="./div[contains(@class,'comment-body')]/div[contains(@class,'commentmetadata')]/a",
        date_format="%B %d, %Y at %I:%M %p"),
    "jacobbrazeal.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./article/footer//b[contains(@class,'fn')]",
        text=f"./article/div[contains(@class,'comment-content')]/p[{LIKES}]",
        date="./article/footer//time/@datetime"),
    "netzpolitik-comments.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./article/footer//b[contains(@class,'fn')]",
        text="./article/div[contains(@class,'comment-content')]//p",   # with the quotes they answer
        date="./article/footer//time/@datetime"),
    "flawlessfood-comments.html": Oracle(
        items=f"//ol[contains(@class,'comment-list')]//li[{COMMENT_LI}]",
        author="./article/header//span[contains(@class,'comment-author-name')]",
        text="./article/div[contains(@class,'comment-content')]/p",
        date="./article/header//a[contains(@class,'comment-time-link')]",
        date_format="%d/%m/%Y at %I:%M %p"),
    "danwang-letter.html": Oracle(
        items=f"//ol[contains(@class,'commentlist')]//li[{COMMENT_LI}]",
        author="./article/footer//cite[contains(@class,'fn')]",
        text="./article/div[contains(@class,'comment-content')]/p",
        date="./article/footer//time/@datetime"),
    "wordpresscom-diverse.html": Oracle(
        items=f"//ol[contains(@class,'commentlist')]//li[{COMMENT_LI}]",
        author="./cite[contains(@class,'comment-author')]",
        text=f"./div[contains(@class,'contenttext')]/p[{LIKES}]",
        date="./small[contains(@class,'commentmetadata')]/a",
        date_format="%b %d at %I:%M %p",   # no year on the page: None (see docstring)
        parent="parent::ul[contains(@class,'children')]/preceding-sibling::li[1]"),
}


def words(el) -> str:
    """An element's text as a reader sees it: <br> as a space, whitespace collapsed."""
    for br in el.iter("br"):
        br.tail = " " + (br.tail or "")
    return " ".join(el.text_content().split())


def _site_id(li) -> str | None:
    match = re.search(r"(\d+)$", li.get("id") or "")
    return match.group(1) if match else None


def _date(li, oracle: Oracle) -> str | None:
    found = li.xpath(oracle.date)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else words(found[0])
    if oracle.date_format is None:
        return datetime.fromisoformat(value).isoformat(timespec="seconds")
    value = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value)
    parsed = datetime.strptime(value, oracle.date_format)
    if "%Y" not in oracle.date_format:
        return None
    return parsed.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def oracle_comments(html: bytes, oracle: Oracle) -> list[dict]:
    doc = lxml.html.fromstring(html)
    out = []
    for li in doc.xpath(oracle.items):
        parent = li.xpath(oracle.parent)
        author = li.xpath(oracle.author)
        paragraphs = [t for t in (words(p) for p in li.xpath(oracle.text)) if t]
        out.append({
            "id": _site_id(li), "parent_id": _site_id(parent[0]) if parent else None,
            "author": words(author[0]) if author else None, "posted_at": _date(li, oracle),
            "text": "\n\n".join(paragraphs) or None,
        })
    return out


def compare(ours: list[dict], truth: list[dict]) -> dict:
    by_id = {c["id"]: c for c in ours}
    fields = {f: 0 for f in FIELDS}
    exact, misses = 0, []
    for want in truth:
        got = by_id.get(want["id"])
        wrong = [f for f in FIELDS if got is None or got.get(f) != want[f]]
        for f in FIELDS:
            fields[f] += f not in wrong
        exact += not wrong
        if wrong:
            misses.append((want, got, wrong))
    extra = len(set(by_id) - {c["id"] for c in truth})
    # matches where both sides are None (a date with no year): counted, and shown apart
    null_dates = sum(1 for want in truth if want["posted_at"] is None and (by_id.get(want["id"]) or {}).get("posted_at", 0) is None)
    return {"n": len(truth), "ours": len(ours), "extra": extra, "exact": exact, "fields": fields, "misses": misses,
            "null_dates": null_dates}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--show-misses", type=int, default=3, metavar="N", help="print N mismatches per page")
    args = parser.parse_args(argv)
    manifest = args.pages / "manifest.json"
    if not manifest.exists():
        print(f"{manifest} not found: nothing to measure")
        return 1
    logging.disable(logging.WARNING)  # the extractor's per-comment notes are not the table
    from crawler.extract import extract_page

    entries = {e["file"]: e for e in json.loads(manifest.read_text(encoding="utf-8"))}
    with_comments = [f for f, e in entries.items() if e["facts"].get("comment_count")]
    missing = sorted(set(with_comments) - set(ORACLES))
    if missing:
        print(f"no oracle for: {', '.join(missing)}")
    header = f"{'page':28} {'comments':>8} {'ours':>5} {'exact':>6} " + " ".join(f"{f:>9}" for f in FIELDS)
    print(header)
    print("-" * len(header))
    total = {"n": 0, "exact": 0, "extra": 0, **{f: 0 for f in FIELDS}}
    notes = []
    for file in sorted(f for f in with_comments if f in ORACLES):
        html = (args.pages / file).read_bytes()
        truth = oracle_comments(html, ORACLES[file])
        record = extract_page(entries[file]["url"], html, content_type="text/html")
        result = compare(record["comments"], truth)
        if result["null_dates"]:
            notes.append(f"{file}: {result['null_dates']} date(s) printed without a year: None on both sides")
        if len(truth) != entries[file]["facts"]["comment_count"]:
            notes.append(f"{file}: oracle finds {len(truth)}, manifest says {entries[file]['facts']['comment_count']}")
        print(f"{file[:28]:28} {result['n']:>8} {result['ours']:>5} {result['exact']:>6} "
              + " ".join(f"{result['fields'][f]:>9}" for f in FIELDS))
        for key in ("n", "exact", "extra"):
            total[key] += result[key]
        for f in FIELDS:
            total[f] += result["fields"][f]
        for want, got, wrong in result["misses"][:args.show_misses]:
            notes.append(f"{file} comment {want['id']}: " + "; ".join(
                f"{f} ours {(got or {}).get(f)!r:.60} oracle {want[f]!r:.60}" for f in wrong))
    print("-" * len(header))
    n = total["n"] or 1
    print(f"{'all pages':28} {total['n']:>8} {'':>5} {total['exact']:>6} "
          + " ".join(f"{total[f]:>9}" for f in FIELDS))
    print(f"{'rate':28} {'':>8} {'':>5} {total['exact'] / n:>6.3f} " + " ".join(f"{total[f] / n:>9.3f}" for f in FIELDS))
    print(f"\nper-comment exact-match rate: {total['exact']}/{total['n']} = {total['exact'] / n:.3f}"
          f"  (comments we return that the oracle does not: {total['extra']})")
    for note in notes:
        print("  " + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
