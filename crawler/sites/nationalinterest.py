"""The National Interest (nationalinterest.org): defense and foreign-policy commentary.

Tested against a real 2017 capture (../shared/pages/nationalinterest-kim.html): a
Drupal 7 theme whose only image credit is a closing "<em><a>Image:</a> caption.
credit</em>" paragraph about the hero image above the headline (handled by the
extractor for every site), whose H1 appears twice, and whose author bio is a
closing italic paragraph.

The Drupal layout's valid_until is an estimate of the WordPress relaunch; pages
after it use the generic WordPress selectors, as no later capture is at hand.
"""
from __future__ import annotations

from datetime import date

from .base import Layout
from .wordpress import WORDPRESS_LAYOUT, wordpress_profile

DRUPAL_2017 = WORDPRESS_LAYOUT.extended(
    article_root=("article.detail",),
    title=("h1.detail__title--large", "h1.detail__title"),
    byline=(".meta__author a[href*='/profile/']",),
    byline_text=(".meta__author",),
    published=(".meta__date", "time"),
    body=("div.detail__content",),
    body_exclude=(".ad", "[class*='ad-']", ".detail__share", ".newsletter-signup", "#disqus_thread"),
    lead_image=(".detail__hero", ".article-detail__image"),
)
DRUPAL_2017 = Layout(selectors=DRUPAL_2017.selectors, valid_until=date(2022, 1, 1))

PROFILE = wordpress_profile(
    id="nationalinterest",
    name="The National Interest",
    timezone="America/New_York",
    hosts=("nationalinterest.org",),
    layouts=(DRUPAL_2017, WORDPRESS_LAYOUT),
    article_url_patterns=(r"/(?:feature|blog|commentary|article)/[^/?#]+-\d+/?(?:[?#].*)?$", r"/(?:feature|blog)/[\w-]+/[\w-]+-\d+"),
    listing_url_patterns=(r"^https?://[^/]+/?(?:[?#].*)?$", r"/(?:topic|region|profile|print)/", r"[?&]page=\d+"),
)
