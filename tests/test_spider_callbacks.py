"""What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE would check on every response, checked once here
(crawler/settings.py turns it off): no generator callback of our spiders returns a value, which
Scrapy would silently drop."""

import inspect

import pytest

from bench.bare_spider import BareSpider
from crawler.spiders.wordpress import WordPressSpider
from scrapy.utils.misc import is_generator_with_return_value


@pytest.mark.parametrize("spider_class", [WordPressSpider, BareSpider])
def test_no_generator_callback_returns_a_value(spider_class):
    generators = [(name, fn) for name, fn in inspect.getmembers(spider_class, inspect.isfunction)
                  if inspect.isgeneratorfunction(fn) and fn.__module__ == spider_class.__module__]
    assert generators, "no generator callbacks found: the check would prove nothing"
    assert [name for name, fn in generators if is_generator_with_return_value(fn)] == []


def test_the_check_finds_a_generator_that_returns_a_value():
    def callback(response):
        yield response
        return "dropped"

    assert is_generator_with_return_value(callback)
