"""ValidatePipeline: DropItem with a reason, counted in the crawler stats."""

import logging

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from pipelines.validate import ValidatePipeline, drop_reason


def rec(**changes):
    r = {"url": "https://example.org/a/", "page_type": "article", "title": "A title",
         "body_text": "Body.", "site": "wordpress"}
    r.update(changes)
    return r


@pytest.fixture
def crawler():
    c = get_crawler(Spider)
    c.stats.open_spider()
    return c


def test_valid_article_passes(crawler):
    pipe = ValidatePipeline.from_crawler(crawler)
    item = {"record": rec(), "capture": {}, "comment_captures": {}}
    assert pipe.process_item(item) is item
    assert not any(k.startswith("validate/") for k in crawler.stats.get_stats())


@pytest.mark.parametrize("changes, reason", [
    ({"page_type": "listing"}, "not_article"),
    ({"page_type": "other"}, "not_article"),
    ({"title": None}, "no_title"),
    ({"title": "  "}, "no_title"),
    ({"body_text": None}, "no_body_text"),
    ({"body_text": ""}, "no_body_text"),
])
def test_invalid_records_dropped(crawler, caplog, changes, reason):
    pipe = ValidatePipeline.from_crawler(crawler)
    with caplog.at_level(logging.WARNING), pytest.raises(DropItem, match=reason):
        pipe.process_item({"record": rec(**changes), "capture": {}})
    assert crawler.stats.get_value(f"validate/dropped/{reason}") == 1
    assert "https://example.org/a/" in caplog.text


def test_counts_accumulate(crawler):
    pipe = ValidatePipeline.from_crawler(crawler)
    for _ in range(3):
        with pytest.raises(DropItem):
            pipe.process_item({"record": rec(page_type="listing")})
    assert crawler.stats.get_value("validate/dropped/not_article") == 3


def test_missing_record():
    assert drop_reason(None) == "no_record"
    assert drop_reason(rec()) is None
