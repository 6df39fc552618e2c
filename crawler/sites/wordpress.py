"""The generic WordPress profile, and the selector/URL building blocks other
WordPress site profiles reuse (import and extend rather than copy).

Selector field names understood by crawler.extract:
  article_root, title, subtitle, section, tags, byline, byline_text, author_box,
  published, modified, body, body_exclude, lead_image, figure, caption, credit,
  comments_area, comment_list, comments_title, comment_nav, comment_author,
  comment_date, comment_text
"""
from __future__ import annotations

from .base import Layout, SiteProfile

WORDPRESS_SELECTORS: dict[str, tuple[str, ...]] = {
    "article_root": (
        "article.type-post", "div.type-post", "article.hentry", "div.hentry",
        "article.post", "main article", "article", "main",
    ),
    "title": (
        "h1.entry-title", "h1.wp-block-post-title", "h1.post-title", "h1.jeg_post_title",
        "h1.tdb-title-text", ".entry-title", "h1",
        # Themes whose <h1> is the site name put the headline in the article's header.
        ".entry-header h2", ".article-header h2", "header h2",
    ),
    "subtitle": (
        ".entry-subtitle", ".post-subtitle", ".td-post-sub-title", ".jeg_post_subtitle",
        "h2.subtitle", "p.subtitle",
    ),
    "section": (
        ".cat-links a", "a[rel='category tag']", ".wp-block-post-terms.taxonomy-category a",
        ".entry-utility a[rel~='category']", "a[rel='category']",
    ),
    "tags": (
        ".tags-links a", ".wp-block-post-terms.taxonomy-post_tag a", ".entry-utility a[rel='tag']",
        ".post-tags a", "a[rel='tag']",
    ),
    # Elements each holding one author (link or name).
    "byline": (
        ".byline a.author-name", ".byline .author a", ".byline a[rel='author']",
        "span.author.vcard a", ".entry-meta .author a", ".wp-block-post-author-name a",
        ".wp-block-post-author-name", "a[rel='author']", "[class*='byline'] a[href*='/author']",
        "[itemprop='author'] [itemprop='name']", ".post-author-name", ".author-name",
        "[class*='author'] a[href*='/author/']", "[class*='author'] a[href*='/profile/']",
    ),
    # Elements whose text is a byline sentence ("By A and B").
    "byline_text": (".byline", ".entry-author", ".post-author", ".author-meta"),
    "author_box": (
        ".author-box .author-bio", ".author-bio", ".author-info", ".saboxplugin-wrap",
        ".about-author", "#author-description",
    ),
    "published": (
        "time.entry-date.published", ".wp-block-post-date time", "time.published",
        "time.entry-date", "meta[itemprop='datePublished']", "[itemprop='datePublished']",
        ".entry-date", ".posted-on time", ".byline-date", ".post-date",
    ),
    "modified": ("time.updated", "meta[itemprop='dateModified']", "[itemprop='dateModified']"),
    "body": (
        ".entry-content", ".wp-block-post-content", ".post-content", ".single-post-content",
        "[itemprop='articleBody']", ".article-content", ".td-post-content", ".post-body",
        ".article-body", ".entry",
    ),
    "body_exclude": (
        "script", "style", "noscript", "template", "form", "iframe", "svg", "button",
        "figure", ".wp-caption", ".wp-block-image", ".gallery", ".wp-block-gallery",
        ".newsletter-box", ".newsletter", ".ad-slot", ".advert", ".ad", ".ads",
        ".adsbygoogle", ".sharedaddy", ".share-buttons", ".social-share",
        ".jp-relatedposts", ".related-posts", ".yarpp-related", ".wp-block-embed",
        ".author-box", ".author-bio", "#author-description", ".comments-area", "#comments",
        ".post-navigation", ".nav-links", ".wp-block-buttons", ".screen-reader-text",
        ".addtoany_share_save_container", ".code-block", ".mc4wp-form", ".wpcnt",
        ".entry-footer", ".wp-block-post-terms",
    ),
    "lead_image": (
        "figure.lead-image", ".post-thumbnail", ".featured-image", ".entry-featured-image",
        "figure.wp-block-post-featured-image", ".single-featured-image",
    ),
    "figure": ("figure", ".wp-caption", "img"),
    "caption": ("figcaption", ".wp-caption-text", ".wp-element-caption", ".caption", "[itemprop='caption']"),
    "credit": (
        ".image-credit", ".photo-credit", ".wp-caption-credit", ".credit", ".media-credit", ".source",
        ".media-license-caption", "[itemprop='copyrightHolder']", "[itemprop='creditText']",
        "[itemprop='copyrightNotice']", ".caption-credit", ".copyright",
    ),
    "comments_area": ("#comments", ".comments-area", ".wp-block-comments", ".comments"),
    "comment_list": (
        "ol.comment-list", "ul.comment-list", "ol.commentlist", "ul.commentlist",
        "ol.wp-block-comment-template", "ul.wp-block-comment-template",
        ".comment-list", ".commentlist",
    ),
    "comments_title": (
        ".comments-title", "#comments-title", ".wp-block-comments-title",
        "#comments h2", "#comments h3", "h2#comments", "h3#comments", ".commentsheader",
        ".comments-area h2", ".comments-area h3",
    ),
    "comment_nav": (
        ".comment-navigation a", ".comments-pagination a", ".wp-block-comments-pagination a",
        "#comments .navigation a", ".comment-nav a", "#comments a.page-numbers",
    ),
    "comment_author": (".wp-block-comment-author-name", ".fn", ".comment-author"),
    "comment_date": (
        ".wp-block-comment-date", ".comment-metadata a", ".commentmetadata a",
        ".comment-metadata", ".commentmetadata", ".comment-date", ".comment-meta a",
    ),
    "comment_text": (
        ".wp-block-comment-content", ".comment-content", ".comment-text", ".comment-entry", ".contenttext",
    ),
}

ARTICLE_URL_PATTERNS = (
    r"/\d{4}/\d{2}/(?:\d{2}/)?[^/?#]+/?(?:comment-page-\d+/?)?(?:[?#].*)?$",
    r"[?&]p=\d+(?:&|#|$)",
)
LISTING_URL_PATTERNS = (
    r"^https?://[^/]+/?(?:[?#].*)?$",
    r"/page/\d+/?(?:[?#].*)?$",
    r"/(?:category|tag|author|topics?|series)/[^?#]+",
    r"/\d{4}/(?:\d{2}/)?(?:\d{2}/)?(?:[?#].*)?$",
    r"[?&]s=",
)
DENY_URL_PATTERNS = (
    r"[?&]replytocom=",
    r"/wp-admin(?:/|$)",
    r"/wp-login\.php",
    r"/xmlrpc\.php",
    r"/wp-json(?:/|$)",
    r"/feed(?:/|$)",
    r"/(?:comments|rss|atom)/feed",
    r"[?&]feed=",
    r"/trackback/?$",
    r"/embed/?(?:[?#].*)?$",
    r"[?&](?:share|preview|print|amp)=",
    r"/amp/?$",
)

WORDPRESS_LAYOUT = Layout(selectors=WORDPRESS_SELECTORS)


def wordpress_profile(**overrides) -> SiteProfile:
    """A WordPress profile; per-site modules override what differs."""
    fields = dict(
        id="wordpress",
        name="Generic WordPress",
        timezone="UTC",
        layouts=(WORDPRESS_LAYOUT,),
        article_url_patterns=ARTICLE_URL_PATTERNS,
        listing_url_patterns=LISTING_URL_PATTERNS,
        deny_url_patterns=DENY_URL_PATTERNS,
    )
    fields.update(overrides)
    return SiteProfile(**fields)


PROFILE = wordpress_profile()
