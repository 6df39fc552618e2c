"""The extraction pool's worker processes: a worker that dies costs a page its record,
never its links, and the next page gets a fresh worker."""

from __future__ import annotations

import asyncio

from crawler import pages
from crawler.extraction_pool import ExtractionPool
from crawler.sites import get_profile

ROOT = "http://site.test/"
PAGE = (b'<html><head><title>A page</title><link rel="stylesheet" href="/style.css"></head><body>'
        b'<article><h1>A page</h1><p>Some words on the page.</p></article>'
        b'<a href="/2024/05/01/other/">Other</a> <a href="https://elsewhere.example/x">X</a>'
        b'<img src="/lead.jpg"></body></html>')


class Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count


def read(pool, url, stats):
    return asyncio.run(pages.read_page(pool, url, PAGE, "text/html; charset=utf-8", get_profile(None),
                                       ROOT, extract=True, stats=stats))


def test_a_dead_worker_costs_the_record_not_the_links(monkeypatch):
    monkeypatch.setenv("DCA_TEST_FAIL_ON", "/dies/")
    pool = ExtractionPool("tests.faulty_extractor.dying_extract_page", 1)
    stats = Stats()
    try:
        died = read(pool, ROOT + "dies/", stats)
        assert died.record is None
        assert died.links == [ROOT + "2024/05/01/other/"]
        assert died.requisites == [ROOT + "style.css", ROOT + "lead.jpg"]
        assert stats.values == {"extract/errors": 1}

        lived = read(pool, ROOT + "lives/", stats)  # a fresh worker
        assert lived.record is not None and lived.record["title"] == "A page"
        assert lived.links == died.links and lived.requisites == died.requisites
        assert stats.values == {"extract/errors": 1}
    finally:
        pool.close()


def test_start_runs_the_workers_before_any_page_and_the_first_page_uses_them():
    pool = ExtractionPool("crawler.extract.extract_page", 1)
    try:
        pool.start()  # what the spider does when it opens
        assert [p.process.is_alive() for p in pool.processes] == [True]
        started = pool.processes[0]
        page = read(pool, ROOT + "first/", Stats())
        assert page.record is not None and page.record["title"] == "A page"
        assert pool.processes == [started]  # not a second worker
    finally:
        pool.close()
    inline = ExtractionPool("crawler.extract.extract_page", 0)
    inline.start()
    assert inline.processes == []  # 0 workers: extraction runs inline, nothing to start
