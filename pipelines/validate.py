"""Drop items that cannot become an `articles` row.

Only article pages with a title and body text are stored as articles. A dropped
page's capture is still stored (the capture_written signal feeds the store).
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)


def drop_reason(record: dict | None) -> str | None:
    """Why a page record is not a storable article, or None if it is."""
    if not record:
        return "no_record"
    if record.get("page_type") != "article":
        return "not_article"
    if not (record.get("title") or "").strip():
        return "no_title"
    if not (record.get("body_text") or "").strip():
        return "no_body_text"
    return None


class ValidatePipeline:
    """Raise DropItem for non-articles and articles without title or body text."""

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        record = ItemAdapter(item).get("record")
        reason = drop_reason(record)
        if reason is None:
            return item
        url = (record or {}).get("url")
        if self.stats is not None:
            self.stats.inc_value(f"validate/dropped/{reason}")
        logger.warning("dropping %s: %s", url, reason)
        # our warning names the URL; Scrapy's own "Dropped:" line dumps the whole
        # item (body and comments), so it goes to DEBUG
        raise DropItem(f"{reason}: {url}", log_level="DEBUG")
