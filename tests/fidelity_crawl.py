"""Crawl a list of URLs with the project's settings (run as a subprocess: the reactor cannot restart).

    python -m tests.fidelity_crawl OUT_DIR URL [URL ...] [-s NAME=VALUE ...]

Writes OUT_DIR/result.json: what the spider saw (url, status, body sha1,
flags) and the crawl stats.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.runner import LOOPBACK_SETTINGS


class ListSpider(scrapy.Spider):
    name = "fidelity"

    def __init__(self, urls=(), **kwargs):
        super().__init__(**kwargs)
        self.urls = list(urls)
        self.seen = []

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        self.seen.append({"url": response.url, "status": response.status, "flags": response.flags,
                          "sha1": hashlib.sha1(response.body).hexdigest(),
                          "capture": response.meta.get("capture"),
                          "redirect_urls": response.meta.get("redirect_urls")})


def main(argv):
    out_dir, rest = Path(argv[0]), argv[1:]
    urls, overrides = [], {}
    while rest:
        arg = rest.pop(0)
        if arg == "-s":
            name, _, value = rest.pop(0).partition("=")
            overrides[name] = value
        else:
            urls.append(arg)
    settings = get_project_settings()
    for name, value in {**LOOPBACK_SETTINGS, "DCA_OUT_DIR": str(out_dir), "LOG_LEVEL": "INFO",
                        "RETRY_ENABLED": False, "DCA_EXTRACT_WORKERS": 0, **overrides}.items():
        settings.set(name, value, priority="cmdline")
    settings.set("ITEM_PIPELINES", {"pipelines.store.StorePipeline": 300}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ListSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    spider = crawler.spider
    result = {"seen": spider.seen, "stats": crawler.stats.get_stats()}
    (out_dir / "result.json").write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
