"""What each table, view and column of the archive database means, in a researcher's words.

`dca browse` hands these to Datasette (table and column descriptions), and
`dca browse --write-metadata FILE` writes them for `datasette archive.sqlite -m FILE`.
"""

from __future__ import annotations

CAPTURE = "the captures row (WARC record) this row was read from"
ARTICLE = "articles.id of the article"

TABLES: dict[str, dict] = {
    "crawls": {
        "description": "One row per crawl run: when it ran, its settings and its final Scrapy stats (JSON).",
        "columns": {
            "started_at": "UTC time the crawl started", "finished_at": "UTC time the crawl ended",
            "settings": "the crawl's settings (JSON)", "stats": "Scrapy stats at the end (JSON)",
            "status": "why the crawl ended (finished, closespider_pagecount, shutdown, ...)",
        },
    },
    "captures": {
        "description": "One row per archived HTTP response (WARC response or revisit record): where its bytes are.",
        "columns": {
            "crawl_id": "the crawl that fetched it (NULL when rebuilt from WARC without that crawl's database)",
            "url": "URL fetched", "fetched_at": "WARC-Date of the record (UTC)",
            "status": "HTTP status (304 for a server-not-modified revisit)",
            "content_type": "the response's Content-Type header",
            "warc_file": "WARC file name, relative to the WARC directory",
            "warc_offset": "byte offset of the record's gzip member in the file",
            "warc_length": "byte length of the record's gzip member",
            "warc_record_id": "WARC-Record-ID of the record",
            "payload_digest": "WARC-Payload-Digest (sha1, base32) of the HTTP body as received",
            "warc_type": "response, or revisit (payload unchanged; see refers_to)",
            "etag": "the response's ETag header", "last_modified": "the response's Last-Modified header",
            "refers_to": "a revisit's WARC-Refers-To: warc_record_id of the record holding the payload",
        },
    },
    "sites": {
        "description": "Site profiles that articles came from.",
        "columns": {"id": "site profile id, e.g. 19fortyfive; 'wordpress' is the generic profile",
                    "name": "site name", "timezone": "IANA time zone applied to dates given without one"},
    },
    "articles": {
        "description": "One row per article (site + canonical URL), holding the newest captured version.",
        "columns": {
            "site": "site profile id", "url": "URL the newest capture was fetched from",
            "canonical_url": "the article's permalink (rel=canonical, comment-page suffix removed)",
            "title": "headline", "subtitle": "standfirst / dek", "section": "section or first category",
            "tags": "tags (JSON list)", "body_text": "the article's own paragraphs and subheadings, one per block",
            "body_html": "the same blocks as cleaned HTML",
            "published_at": "publication time, ISO 8601 with UTC offset",
            "modified_at": "last modification the page declares, ISO 8601 with UTC offset",
            "language": "BCP 47 language of the page", "word_count": "words in body_text",
            "comment_count": "comments extracted (all comment pages)",
            "declared_comment_count": "the count the page declares ('12 thoughts on ...'), if any",
            "pingback_count": "pingbacks and trackbacks seen (not stored as comments)",
            "post_id": "the WordPress post id (body class postid-N, the ?p=N shortlink)",
            "comments_system": "where the comments live: wordpress (native), disqus, or another script-loaded system",
            "comments_thread_id": "a script-loaded system's thread identifier (e.g. Disqus); its comments are not captured",
            "content_hash": "sha256 of title and body text; a change makes a new article_versions row",
            "first_seen": "WARC-Date of the first capture", "last_seen": "WARC-Date of the newest capture",
            "capture_id": CAPTURE,
        },
    },
    "article_versions": {
        "description": "One row each time an article's title or body text changed between captures.",
        "columns": {"article_id": ARTICLE, "capture_id": CAPTURE, "content_hash": "sha256 of title and body",
                    "title": "title in this version", "body_text": "body text in this version",
                    "seen_at": "WARC-Date of the capture that first showed this version"},
    },
    "authors": {
        "description": "Bylined authors, one row per name and profile URL.",
        "columns": {"name": "name as in the byline", "url": "author page URL", "bio": "author bio, newest seen"},
    },
    "article_authors": {
        "description": "Which authors wrote which article, in byline order.",
        "columns": {"article_id": ARTICLE, "author_id": "authors.id", "position": "0 for the first byline name"},
    },
    "images": {
        "description": "Images of the newest version of each article, with captions and credits split apart.",
        "columns": {"article_id": ARTICLE, "src": "image URL", "alt": "alt text",
                    "caption": "caption without the credit",
                    "credit": "image credit ('Image Credit: X' gives 'X')", "is_lead": "1 for the lead image",
                    "position": "order in the page", "capture_id": CAPTURE},
    },
    "comments": {
        "description": "Reader comments, one row per comment (site + the site's own comment id), newest state.",
        "columns": {
            "site": "site profile id", "host": "'' for a named site; the blog's host for the generic profile",
            "article_id": ARTICLE, "comment_id": "the site's own comment id",
            "parent_comment_id": "comment_id of the comment replied to (NULL at top level)",
            "author": "commenter's name", "author_url": "commenter's link",
            "posted_at": "when posted, ISO 8601 with UTC offset", "text": "comment text, paragraphs separated by a blank line",
            "depth": "1 for top level, 2 for a reply, ...", "position": "order in the thread",
            "first_seen": "WARC-Date of the first capture showing it",
            "last_seen": "WARC-Date of the newest capture showing it",
            "deleted_at": "WARC-Date of the first complete capture of its article that no longer showed it",
            "capture_id": "the captures row it was read from (the REST comments page, else the HTML comment page)",
            "by_post_author": "1 when the article's author wrote it (WordPress's bypostauthor)",
            "deleted_capture_id": "the captures row (article page) of the complete capture that showed it gone",
        },
    },
    "comment_versions": {
        "description": "One row per state of a comment: as first seen, then each edit or deletion.",
        "columns": {"comment_row_id": "comments.id (not the site's comment id)", "capture_id": CAPTURE,
                    "author": "author in this version", "author_url": "author link in this version",
                    "posted_at": "posted date in this version", "text": "text in this version",
                    "deleted_at": "set when this version records a deletion",
                    "seen_at": "WARC-Date of the capture that showed this version (or the deletion)"},
    },
    "comment_counts": {
        "description": "An article's thread size at each capture: one row per article and crawl that stored it.",
        "columns": {"article_id": ARTICLE, "capture_id": CAPTURE + " (the article page)",
                    "seen_at": "WARC-Date of that capture", "comment_count": "comments stored from this capture",
                    "declared_comment_count": "the count the page declared then",
                    "pingback_count": "pingbacks and trackbacks seen then",
                    "complete": "1 when every comment page (or every REST page) of the thread arrived"},
    },
    "links": {
        "description": "Promo links taken out of article bodies ('MORE: ...', 'Related: ...').",
        "columns": {"article_id": ARTICLE, "url": "link target", "text": "link text",
                    "label": "the promo label, e.g. MORE or Related", "position": "order in the article"},
    },
    "article_overview": {
        "description": "Every article with its authors, dates, word count, comment counts and lead-image credit.",
        "columns": {"authors": "author names in byline order, comma-separated",
                    "stored_comments": "comments stored and not seen deleted",
                    "lead_image_credit": "credit of the lead image"},
    },
    "comment_threads": {
        "description": "Comments in thread order with their article's title and the author they replied to.",
        "columns": {"article_title": "title of the article", "parent_author": "author of the comment replied to"},
    },
    "comment_count_history": {
        "description": "Every article's comment count over time, one row per capture, oldest first.",
        "columns": {"change": "comments gained (or lost) since the previous capture",
                    "complete": "1 when the whole thread was captured",
                    "warc_file": "WARC file of the article page", "warc_offset": "its offset there"},
    },
    "image_credits": {
        "description": "Image credits by frequency, per site.",
        "columns": {"images": "images with this credit", "articles": "articles using it",
                    "lead_images": "of which lead images", "first_published": "earliest article using it",
                    "last_published": "latest article using it"},
    },
    "articles_fts": {"description": "Full-text index (FTS5, porter stemming) of article title and body_text."},
    "comments_fts": {"description": "Full-text index (FTS5, porter stemming) of comment text and author."},
}
