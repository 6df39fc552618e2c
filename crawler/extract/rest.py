"""The WordPress REST API as a source of comment threads and post fields (pure).

URLs to ask for (`comments_url`, `post_url`), parsing of what came back
(`parse_comments_page`, `parse_post`) and the reconciliation of a page record
with it (`apply_rest`). The REST API is the most trusted source: its `parent`
and `date_gmt` are the database's own values, where the HTML shows what a
theme chose to print. See docs/contracts.md, "Comment threads across sources".
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .dates import parse_iso, to_iso, zone
from .html import collapse, css, or_none, parse_html, text_of

log = logging.getLogger(__name__)

PER_PAGE = 100  # WordPress's maximum: the fewest requests per thread


# -- URLs ------------------------------------------------------------------------
def _route_url(api_root: str, route: str, query: list[tuple[str, str]]) -> str:
    """`route` under either form of the API root: BASE/wp-json/ or BASE/?rest_route=/."""
    parts = urlsplit(api_root)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "rest_route" for k, _ in params):
        params = [(k, v) for k, v in params if k != "rest_route"]
        return urlunsplit(parts._replace(query=urlencode([("rest_route", "/" + route), *params, *query], safe="/"),
                                         fragment=""))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit(parts._replace(path=path + route, query=urlencode(params + query), fragment=""))


def comments_url(api_root: str, post_id, page: int = 1) -> str:
    """`wp/v2/comments?post=ID&per_page=100&page=P&order=asc` (oldest first, like the HTML)."""
    query = [("post", str(post_id)), ("per_page", str(PER_PAGE)), ("page", str(page)), ("order", "asc")]
    return _route_url(api_root, "wp/v2/comments", query)


def post_url(api_root: str, post_id) -> str:
    return _route_url(api_root, f"wp/v2/posts/{post_id}", [])


def is_rest_url(url: str) -> bool:
    """Under /wp-json/ or asking for a ?rest_route=."""
    parts = urlsplit(url or "")
    path = parts.path.rstrip("/") + "/"
    return "/wp-json/" in path or any(k == "rest_route" for k, _ in parse_qsl(parts.query, keep_blank_values=True))


# -- responses -------------------------------------------------------------------
def _json(body) -> object:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8-sig", errors="replace")
    return json.loads(body)


def _header(headers: dict | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return value
    return None


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _rest_date(gmt_value, local_value, tz: str | None) -> str | None:
    """WordPress's `date_gmt` (UTC, no offset) shown in the site's zone; else its `date`
    (site time, no offset). Either may be missing or junk: None then."""
    gmt = parse_iso(str(gmt_value)) if gmt_value else None
    if gmt is not None:
        if gmt.tzinfo is None:
            gmt = gmt.replace(tzinfo=timezone.utc)
        return to_iso(gmt.astimezone(zone(tz)))
    local = parse_iso(str(local_value)) if local_value else None
    return to_iso(local, tz) if local is not None else None


def _rendered(value) -> str | None:
    """Text of a `{"rendered": HTML}` field: its paragraphs joined by a blank line."""
    html = value.get("rendered") if isinstance(value, dict) else value
    if not isinstance(html, str) or not html.strip():
        return None
    doc = parse_html(f"<div>{html}</div>")
    if doc is None:
        return None
    paras = [text_of(p) for p in css(doc, "p")]
    paras = [p for p in paras if p]
    return "\n\n".join(paras) if paras else or_none(text_of(doc))


def _rest_comment(item: dict, tz: str | None) -> dict | None:
    cid = _int(item.get("id"))
    if cid is None:
        log.warning("REST comment without an id skipped: %r", str(item)[:120])
        return None
    parent = _int(item.get("parent")) or 0
    comment = {
        "id": str(cid), "parent_id": str(parent) if parent else None,
        "author": or_none(collapse(item.get("author_name") or "")),
        "author_url": or_none(item.get("author_url") or ""),
        "posted_at": _rest_date(item.get("date_gmt"), item.get("date"), tz),
        "text": _rendered(item.get("content")), "depth": None,
        "by_post_author": None, "author_id": _int(item.get("author")) or 0,
    }
    for field in ("author", "posted_at", "text"):
        if comment[field] is None:
            log.warning("REST comment %s has no readable %s; kept with null", cid, field)
    return comment


def parse_comments_page(body, headers: dict | None, tz: str | None) -> dict | None:
    """One `wp/v2/comments` response: {"comments", "total", "total_pages"}.

    Comments are record comments with depth None, `by_post_author` None (set by
    apply_rest, which knows the post's author) and `author_id`, the REST user id
    (0 for guests). None, with the reason logged, when the body is not a JSON list
    of comments (an error object, HTML, truncated JSON).
    """
    try:
        data = _json(body)
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("REST comments page is not JSON: %s", exc)
        return None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        code = data.get("code") if isinstance(data, dict) else type(data).__name__
        log.warning("REST comments page is not a list of comments: %s", code)
        return None
    # Pingbacks and trackbacks are listed only when asked for (type=...); never comments.
    comments = [c for c in (_rest_comment(x, tz) for x in data if x.get("type", "comment") == "comment") if c]
    return {
        "comments": comments,
        "total": _int(_header(headers, "X-WP-Total")),
        "total_pages": _int(_header(headers, "X-WP-TotalPages")),
    }


def parse_post(body, tz: str | None) -> dict | None:
    """`wp/v2/posts/ID`: {"post_id", "title", "published_at", "modified_at", "author_id"}.
    None (reason logged) when the body is not a post object."""
    try:
        data = _json(body)
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("REST post is not JSON: %s", exc)
        return None
    if not isinstance(data, dict) or _int(data.get("id")) is None:
        code = data.get("code") if isinstance(data, dict) else type(data).__name__
        log.warning("REST post is not a post object: %s", code)
        return None
    return {
        "post_id": str(_int(data["id"])),
        "title": _rendered(data.get("title")),
        "published_at": _rest_date(data.get("date_gmt"), data.get("date"), tz),
        "modified_at": _rest_date(data.get("modified_gmt"), data.get("modified"), tz),
        "author_id": _int(data.get("author")),
    }


# -- reconciliation ----------------------------------------------------------------
_REST_WINS = ("parent_id", "author_url")                 # None is a value here: top level, no site
_REST_WINS_UNLESS_NULL = ("posted_at", "author", "text")  # None here is junk in the answer


def apply_rest(record: dict, post: dict | None, comment_pages: list[dict], complete: bool) -> dict:
    """A new record with the REST answers applied over the HTML one.

    Title and dates from the post (sources "rest"). Comments: the HTML order is kept,
    REST wins for parent_id, posted_at, author, author_url and text; comments only in
    REST go after their parent's subtree (before their first reply when the parent
    is the one missing from the HTML; else at the end in date order); depth is
    recomputed from the parents. `complete` says every REST page asked for arrived:
    then a comment the HTML shows but the REST listing lacks is logged.
    """
    out = {**record, "sources": dict(record.get("sources") or {})}
    if post:
        _apply_post(out, post)
    rest = _rest_comments(comment_pages)
    if not comment_pages:
        return out
    html = [dict(c) for c in record.get("comments") or []]
    author_id = _int((post or {}).get("author_id"))
    merged = _merge(html, rest, author_id)
    if complete:
        missing = [c["id"] for c in html if c["id"] not in rest]
        if missing:
            log.warning("%s: %d comment(s) on the page but not in the complete REST listing: %s",
                        record.get("url"), len(missing), ", ".join(missing[:10]))
    out["comments"] = merged
    out["comment_count"] = len(merged)
    out["sources"]["comments"] = "rest+selector" if html else "rest"
    return out


def _apply_post(out: dict, post: dict) -> None:
    if post.get("post_id") and not out.get("post_id"):
        out["post_id"] = post["post_id"]
        out["sources"]["post_id"] = "rest"
    fields = {"title": post.get("title"), "published_at": post.get("published_at")}
    # WordPress sets `modified` equal to `date` on a post never edited: no news then.
    if post.get("modified_at") and post.get("modified_at") != post.get("published_at"):
        fields["modified_at"] = post["modified_at"]
    for field, value in fields.items():
        if value:
            out[field] = value
            out["sources"][field] = "rest"


def _rest_comments(pages: list[dict]) -> dict[str, dict]:
    """Every page's comments by id, in REST order (a comment on two pages counts once)."""
    found: dict[str, dict] = {}
    for page in pages or []:
        for comment in (page or {}).get("comments") or []:
            found.setdefault(comment["id"], comment)
    return found


def _merge(html: list[dict], rest: dict[str, dict], post_author_id: int | None) -> list[dict]:
    html_ids = {c["id"] for c in html}
    merged = []
    for comment in html:
        api = rest.get(comment["id"])
        if api is not None:
            comment.update({k: api[k] for k in _REST_WINS})
            comment.update({k: api[k] for k in _REST_WINS_UNLESS_NULL if api[k] is not None})
            if comment.get("by_post_author") is None:
                comment["by_post_author"] = _by_post_author(api, post_author_id)
        merged.append(comment)
    only_rest = [c for c in rest.values() if c["id"] not in html_ids]
    only_rest.sort(key=lambda c: (_instant(c["posted_at"]), _int(c["id"]) or 0))
    for api in only_rest:
        comment = {k: v for k, v in api.items() if k != "author_id"}
        comment["by_post_author"] = _by_post_author(api, post_author_id)
        merged.insert(_insert_at(merged, comment), comment)
    _set_depths(merged)
    for comment in merged:
        comment.pop("author_id", None)
        comment["by_post_author"] = bool(comment.get("by_post_author"))
    return merged


def _by_post_author(api: dict, post_author_id: int | None) -> bool:
    """WordPress's `bypostauthor`: the comment's user is the post's author."""
    user = api.get("author_id") or 0
    return bool(user) and post_author_id is not None and user == post_author_id


def _instant(iso: str | None) -> datetime:
    return datetime.fromisoformat(iso) if iso else datetime.max.replace(tzinfo=timezone.utc)


def _insert_at(thread: list[dict], comment: dict) -> int:
    positions = {c["id"]: i for i, c in enumerate(thread)}
    parent = comment.get("parent_id")
    if parent in positions:
        return _subtree_end(thread, positions[parent])
    first_reply = next((i for i, c in enumerate(thread) if c.get("parent_id") == comment["id"]), None)
    return first_reply if first_reply is not None else len(thread)


def _subtree_end(thread: list[dict], start: int) -> int:
    """Index just past the subtree rooted at thread[start] (by parent ids)."""
    inside = {thread[start]["id"]}
    end = start + 1
    while end < len(thread) and thread[end].get("parent_id") in inside:
        inside.add(thread[end]["id"])
        end += 1
    return end


def _set_depths(thread: list[dict]) -> None:
    """depth = parent's depth + 1; a reply whose parent is nowhere keeps the depth the
    page showed (2 for a REST-only orphan); a cycle in bad data is cut where it closes."""
    by_id = {c["id"]: c for c in thread}
    depth: dict[str, int] = {}
    for comment in thread:
        chain, current = [], comment          # up the parents to a known depth or a root
        while current["id"] not in depth:
            chain.append(current)
            parent = by_id.get(current.get("parent_id"))
            if parent is None or parent in chain:
                root = chain.pop()
                orphan = root.get("parent_id") is not None
                depth[root["id"]] = (root.get("depth") or 2) if orphan and parent is None else 1
                break
            current = parent
        for item in reversed(chain):
            depth[item["id"]] = depth[item["parent_id"]] + 1
    for comment in thread:
        comment["depth"] = depth[comment["id"]]


__all__ = ["comments_url", "post_url", "is_rest_url", "parse_comments_page", "parse_post", "apply_rest", "PER_PAGE"]
