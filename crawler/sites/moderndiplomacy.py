"""Modern Diplomacy (moderndiplomacy.eu): foreign-policy op-eds on WordPress (Zox News theme).

Tested against a real 2023 capture (../shared/pages/moderndiplomacy-ukraine.html).
The theme appends whole next articles (#mvp-post-add-box, each with its own H1,
byline and body) below the article: they are no part of it, and a generic
paragraph-density search would pick them, so the body is named exactly.
"""
from __future__ import annotations

from .wordpress import WORDPRESS_LAYOUT, wordpress_profile

ZOX_NEWS = WORDPRESS_LAYOUT.extended(
    article_root=("#mvp-article-cont",),
    title=("#mvp-post-head h1.mvp-post-title", "h1.entry-title"),
    byline=("#mvp-post-head .author-name a", "#mvp-post-head .author-name"),
    published=("#mvp-post-head time.post-date", "#mvp-post-head .post-date"),
    body=("#mvp-content-main",),
    body_exclude=("#mvp-post-add-box", ".mvp-post-soc-wrap", ".mvp-org-wrap", "#mvp-related-posts", ".mvp-post-tags"),
    lead_image=("#mvp-post-feat-img",),
)

PROFILE = wordpress_profile(
    id="moderndiplomacy",
    name="Modern Diplomacy",
    timezone="Europe/Berlin",
    hosts=("moderndiplomacy.eu",),
    layouts=(ZOX_NEWS,),
)
