"""crawler.extensions.GarbageCollection: the crawl process's gc thresholds while it crawls."""

import gc

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.extensions import GarbageCollection
from crawler.spiders.wordpress import WordPressSpider


@pytest.fixture
def restored_gc():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def crawler_with(**settings):
    return Crawler(WordPressSpider, Settings({
        "DCA_GC_THRESHOLD": project_settings.DCA_GC_THRESHOLD,
        "DCA_GC_FREEZE": project_settings.DCA_GC_FREEZE, **settings}))


def test_the_crawl_collects_less_often_and_freezes_its_startup_heap_then_restores(restored_gc):
    before = gc.get_threshold()
    crawler = crawler_with()
    extension = GarbageCollection.from_crawler(crawler)  # noqa: F841 - signals hold it weakly
    crawler.signals.send_catch_log(signals.engine_started)
    assert gc.get_threshold() == tuple(project_settings.DCA_GC_THRESHOLD) != before
    assert gc.get_freeze_count() > 1000
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_an_empty_threshold_leaves_the_collector_alone(restored_gc):
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(crawler_with(DCA_GC_THRESHOLD=""))
    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(crawler_with(DCA_GC_THRESHOLD=[]))


def test_it_is_wired_in_the_project_settings():
    assert "crawler.extensions.GarbageCollection" in project_settings.EXTENSIONS
