"""The sample site's WordPress REST API (``/wp-json/...``), driven by the same data.

Shapes follow WordPress 6.4 (``WP_REST_Comments_Controller``, ``WP_REST_Posts_Controller``):
JSON written like PHP's ``json_encode`` (``\\/`` for slashes, ``\\uXXXX`` for non-ASCII),
``X-WP-Total`` / ``X-WP-TotalPages`` and one ``Link`` header each for ``rel="prev"`` and
``rel="next"``.  Articles whose ``rest_api`` is False (the classic theme) answer 401
``rest_forbidden``, as on a site where a plugin locks the API down.  See SPEC.md.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qsl, urlencode

from .data import (REST_MAX_PER_PAGE, REST_PER_PAGE, SITE_NAME, SITE_TAGLINE, TZ_NAME, Article,
                   SiteData, _naive, author_user_id, category_id, gmt, rest_comment)
from .render import Page, _content, _excerpt, _redirect

JSON_TYPE = "application/json; charset=UTF-8"
GMT_OFFSET = -4          # America/New_York in June (day 0 is 28 June 2025)


def dumps(obj) -> bytes:
    """JSON as WordPress sends it: compact, ASCII-only, slashes escaped."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


def _headers(base: str, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    # (no api.w.org Link here: WordPress sends that from front-end pages only)
    return ([("Content-Type", JSON_TYPE), ("X-Robots-Tag", "noindex"),
             ("X-Content-Type-Options", "nosniff"),
             ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
             ("Access-Control-Allow-Headers",
              "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type")]
            + (extra or []) + [("Allow", "GET")])


def _json(base: str, obj, status: int = 200, extra: list[tuple[str, str]] | None = None) -> Page:
    return Page(status, _headers(base, extra), dumps(obj), JSON_TYPE, "gzip")


def _error(base: str, status: int, code: str, message: str, **data) -> Page:
    return _json(base, {"code": code, "message": message, "data": {"status": status, **data}},
                 status)


def _forbidden(base: str) -> Page:
    return _error(base, 401, "rest_forbidden", "Sorry, you are not allowed to do that.")


def _invalid_param(base: str, name: str, code: str, message: str) -> Page:
    return _error(base, 400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                  params={name: message},
                  details={name: {"code": code, "message": message, "data": None}})


def route(site: SiteData, idx, rest_route: str, query: str, base: str) -> Page:
    """``rest_route``: the part after ``/wp-json`` (or the ``rest_route`` query value)."""
    r = "/" + rest_route.strip("/")
    params: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        if k != "rest_route":
            params[k] = v                       # PHP: the last value wins, first position kept
    if r == "/":
        return _json(base, _index(base))
    if r == "/wp/v2":
        return _json(base, {"namespace": "wp/v2", "routes": _routes(base, "/wp/v2")})
    if r == "/wp/v2/comments":
        return _comments(site, idx, params, base)
    parts = r.split("/")
    if len(parts) == 5 and parts[3] in ("posts", "comments") and parts[4].isdigit():
        if parts[3] == "posts":
            return _post(idx, int(parts[4]), base)
        return _comment(site, int(parts[4]), base)
    return _error(base, 404, "rest_no_route", "No route was found matching the URL and request method.")


# --------------------------------------------------------------------------- discovery

def _routes(base: str, prefix: str = "") -> dict:
    api = f"{base}/wp-json"
    comments_args = {
        "page": {"description": "Current page of the collection.", "type": "integer",
                 "default": 1, "minimum": 1, "required": False},
        "per_page": {"description": "Maximum number of items to be returned in result set.",
                     "type": "integer", "default": REST_PER_PAGE, "minimum": 1,
                     "maximum": REST_MAX_PER_PAGE, "required": False},
        "order": {"description": "Order sort attribute ascending or descending.", "type": "string",
                  "default": "desc", "enum": ["asc", "desc"], "required": False},
        "post": {"description": "Limit result set to comments assigned to specific post IDs.",
                 "type": "array", "items": {"type": "integer"}, "default": [], "required": False},
        "type": {"description": "Limit result set to comments assigned a specific type.",
                 "type": "string", "default": "comment", "required": False},
    }
    routes = {
        "/": {"namespace": "", "methods": ["GET"], "endpoints": [{"methods": ["GET"], "args": {}}],
              "_links": {"self": [{"href": f"{api}/"}]}},
        "/wp/v2": {"namespace": "wp/v2", "methods": ["GET"],
                   "endpoints": [{"methods": ["GET"], "args": {}}],
                   "_links": {"self": [{"href": f"{api}/wp/v2"}]}},
        "/wp/v2/posts/(?P<id>[\\d]+)": {"namespace": "wp/v2", "methods": ["GET"],
                                       "endpoints": [{"methods": ["GET"], "args": {}}]},
        "/wp/v2/comments": {"namespace": "wp/v2", "methods": ["GET"],
                            "endpoints": [{"methods": ["GET"], "args": comments_args}],
                            "_links": {"self": [{"href": f"{api}/wp/v2/comments"}]}},
        "/wp/v2/comments/(?P<id>[\\d]+)": {"namespace": "wp/v2", "methods": ["GET"],
                                          "endpoints": [{"methods": ["GET"], "args": {}}]},
    }
    return {k: v for k, v in routes.items() if k.startswith(prefix)}


def _index(base: str) -> dict:
    return {"name": SITE_NAME, "description": SITE_TAGLINE, "url": base, "home": base,
            "gmt_offset": GMT_OFFSET, "timezone_string": TZ_NAME,
            "namespaces": ["oembed/1.0", "wp/v2"], "authentication": [],
            "routes": _routes(base), "site_logo": 0, "site_icon": 0, "site_icon_url": "",
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]}}


# --------------------------------------------------------------------------- comments

def _int_param(params: dict, name: str, default: int, lo: int, hi: int | None):
    raw = params.get(name)
    if raw is None or raw == "":
        return default, None
    try:
        n = int(raw)
    except ValueError:
        return None, ("rest_invalid_type", f"{name} is not of type integer.")
    if n < lo or (hi is not None and n > hi):
        msg = (f"{name} must be between {lo} (inclusive) and {hi} (inclusive)" if hi is not None
               else f"{name} must be greater than or equal to {lo}")
        return None, ("rest_out_of_bounds", msg)
    return n, None


def _comments(site: SiteData, idx, params: dict, base: str) -> Page:
    per_page, err = _int_param(params, "per_page", REST_PER_PAGE, 1, REST_MAX_PER_PAGE)
    if err:
        return _invalid_param(base, "per_page", *err)
    per_page = min(per_page, site.rest_per_page_cap or per_page)
    page, err = _int_param(params, "page", 1, 1, None)
    if err:
        return _invalid_param(base, "page", *err)
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        return _invalid_param(base, "order", "rest_not_in_enum", "order is not one of asc and desc.")
    kind = params.get("type") or "comment"
    if params.get("post"):
        try:
            ids = [int(x) for x in params["post"].split(",") if x.strip()]
        except ValueError:
            return _invalid_param(base, "post", "rest_invalid_type", "post[0] is not of type integer.")
        arts = [idx.by_post_id[i] for i in dict.fromkeys(ids) if i in idx.by_post_id]
        if any(not a.rest_api for a in arts):
            return _forbidden(base)
    else:
        arts = [a for a in site.articles if a.rest_api]
    found = [(c.posted_at, c.id, a, c) for a in arts for c in a.comments if c.kind == kind]
    found.sort(key=lambda t: (t[0], t[1]), reverse=order == "desc")
    total = len(found)
    pages = -(-total // per_page)
    if page > pages and total > 0:
        return _error(base, 400, "rest_comment_invalid_page_number",
                      "The page number requested is larger than the number of pages available.")
    chunk = found[(page - 1) * per_page:page * per_page]
    body = [rest_comment(a, c, base) for _, _, a, c in chunk]
    extra = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
    if page > 1:
        extra.append(("Link", f'<{_page_link(base, params, min(page - 1, pages))}>; rel="prev"'))
    if pages > page:
        extra.append(("Link", f'<{_page_link(base, params, page + 1)}>; rel="next"'))
    return _json(base, body, extra=extra if site.rest_paging_headers else [])


def _page_link(base: str, params: dict, page: int) -> str:
    """WordPress: add_query_arg('page', N, the request's own query on the route URL)."""
    q = dict(params)
    q["page"] = str(page)
    return f"{base}/wp-json/wp/v2/comments?{urlencode(q)}"


def _comment(site: SiteData, comment_id: int, base: str) -> Page:
    for a in site.articles:
        for c in a.comments:
            if c.id == comment_id:
                return _json(base, rest_comment(a, c, base)) if a.rest_api else _forbidden(base)
    return _error(base, 404, "rest_comment_invalid_id", "Invalid comment ID.")


# --------------------------------------------------------------------------- posts

def post_json(a: Article, base: str) -> dict:
    api = f"{base}/wp-json/wp/v2"
    modified = a.modified or a.published
    lead = next((im for im in a.images if im.is_lead), None)
    content = "\n".join(_content(a, base, a.theme))
    return {
        "id": a.post_id,
        "date": _naive(a.published), "date_gmt": gmt(a.published),
        "guid": {"rendered": a.shortlink(base)},
        "modified": _naive(modified), "modified_gmt": gmt(modified),
        "slug": a.slug, "status": "publish", "type": "post", "link": a.permalink(base),
        "title": {"rendered": escape(a.title, quote=False)},
        "content": {"rendered": content + "\n" if content else "", "protected": False},
        "excerpt": {"rendered": f"<p>{escape(_excerpt(a), quote=False)}</p>\n" if a.blocks else "",
                    "protected": False},
        "author": author_user_id(a.authors[0].slug),
        "featured_media": lead.attachment_id if lead else 0,
        "comment_status": "open", "ping_status": "open", "sticky": False, "format": "standard",
        "categories": [category_id(a.category.slug)],
        "_links": {
            "self": [{"href": f"{api}/posts/{a.post_id}"}],
            "collection": [{"href": f"{api}/posts"}],
            "author": [{"embeddable": True, "href": f"{api}/users/{author_user_id(a.authors[0].slug)}"}],
            "replies": [{"embeddable": True, "href": f"{api}/comments?post={a.post_id}"}],
        },
    }


def _post(idx, post_id: int, base: str) -> Page:
    a = idx.by_post_id.get(post_id)
    if a is None:
        return _error(base, 404, "rest_post_invalid_id", "Invalid post ID.")
    if not a.rest_api:
        return _forbidden(base)
    return _json(base, post_json(a, base))


__all__ = ["route", "dumps", "post_json", "JSON_TYPE"]
