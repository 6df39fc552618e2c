"""Ottawa Citizen (ottawacitizen.com), for David Pugliese's Defence Watch.

Tested against a real 2022 capture (../shared/pages/ottawacitizen-defence-watch.html):
a Postmedia (WordPress VIP) theme with the byline in span.published-by__author, the
body in section.article-content__content-group blocks between ads and newsletter
widgets, and figcaptions split into caption / credit / distributor spans.
"""
from __future__ import annotations

from .wordpress import WORDPRESS_LAYOUT, wordpress_profile

POSTMEDIA = WORDPRESS_LAYOUT.extended(
    article_root=("article.article-content-story",),
    title=("h1.article-title", "h1#articleTitle"),
    byline=(".published-by__author a", ".published-by__author"),
    published=(".published-date__since", "span.published-date"),
    body=("article.article-content-story",),
    body_exclude=(
        "header.article-header", ".newsletter-widget", ".newsletter-widget__body", ".js-submit-success",
        ".ad__section-border", ".article-content__ad-group", ".social-share", ".comments-section",
        ".published-by", ".published-date", ".article-footer", ".story-v2-card", ".related",
    ),
    lead_image=("figure.featured-image", ".article-header__image", "figure"),
    credit=(".credit",),
)

PROFILE = wordpress_profile(
    id="ottawacitizen",
    name="Ottawa Citizen",
    timezone="America/Toronto",
    hosts=("ottawacitizen.com",),
    layouts=(POSTMEDIA,),
    article_url_patterns=(r"/(?:news|opinion|business|life|sports)/(?:[\w-]+/)*[\w-]{12,}/?(?:[?#].*)?$",),
)
