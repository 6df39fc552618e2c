"""StorePipeline writes on its own thread: nothing lost at shutdown, failures surface."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from archive.signals import capture_written
from pipelines.store import StorePipeline
from tests.test_store import URL, capture, item, record


def open_pipeline(tmp_path, batch: int):
    crawler = get_crawler(Spider, {"DCA_OUT_DIR": str(tmp_path), "DCA_STORE_BATCH": batch})
    crawler.spider = Spider(name="dca")
    crawler.stats.open_spider()
    pipe = StorePipeline.from_crawler(crawler)
    pipe.open_spider()
    return crawler, pipe


def article(n: int) -> dict:
    url = f"{URL}{n}/"
    cap = dict(capture(1, url=url), warc_record_id=f"<urn:uuid:article-{n}>", warc_offset=1000 * n)
    comments = [dict(c, id=f"{n}-{c['id']}", parent_id=c["parent_id"] and f"{n}-{c['parent_id']}")
                for c in record()["comments"]]
    return item(record(url=url, canonical_url=url, comments=comments), cap)


def process(pipe, item_):
    """As Scrapy does: the pipeline may answer with a coroutine when it makes the crawl wait."""
    result = pipe.process_item(item_)
    return asyncio.run(result) if inspect.iscoroutine(result) else result


def test_connection_belongs_to_the_store_thread(tmp_path):
    crawler, pipe = open_pipeline(tmp_path, batch=10)
    try:
        # sqlite3 refuses a connection made on another thread: the reactor's thread does no SQLite work.
        with pytest.raises(sqlite3.ProgrammingError, match="thread"):
            pipe.store.db.execute("SELECT 1")
    finally:
        pipe.spider_closed(reason="finished")


def test_shutdown_writes_everything_queued(tmp_path):
    crawler, pipe = open_pipeline(tmp_path, batch=7)
    for n in range(23):  # not a multiple of the batch: the last rows only go in at shutdown
        crawler.signals.send_catch_log(capture_written, capture=article(n)["capture"], request=None, response=None)
        assert process(pipe, article(n))["record"]["url"].endswith(f"/{n}/")
    for n in range(5):  # captures after the last item (requisites), fewer than one handover
        image = dict(capture(1, url=f"{URL}img{n}.jpg"), warc_record_id=f"<urn:uuid:image-{n}>")
        crawler.signals.send_catch_log(capture_written, capture=image, request=None, response=None)
    pipe.close_spider()
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason="finished")
    db = sqlite3.connect(tmp_path / "archive.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 23
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 23 + 5
    # Every article points at its capture row.
    assert db.execute("SELECT count(*) FROM articles WHERE capture_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM comments").fetchone()[0] == 3 * 23
    status, stats = db.execute("SELECT status, stats FROM crawls").fetchone()
    assert status == "finished" and '"store/articles": 23' in stats
    assert crawler.stats.get_value("store/articles") == 23


def break_captures_table(db_path):
    """Another process breaks the database under the crawl."""
    other = sqlite3.connect(db_path)
    other.execute("DROP TABLE captures")
    other.commit()
    return other


def test_a_failing_store_is_reported_not_dropped(tmp_path, caplog):
    crawler, pipe = open_pipeline(tmp_path, batch=2)
    break_captures_table(tmp_path / "archive.sqlite")
    with caplog.at_level(logging.ERROR):
        for n in range(3):
            process(pipe, article(n))
        # The last flush fails too: the crawl's end raises it.
        with pytest.raises(sqlite3.OperationalError, match="no such table: captures"):
            pipe.spider_closed(reason="finished")
    # The failed batch during the crawl was logged with its cause.
    assert "writing to the database failed" in caplog.text and "no such table: captures" in caplog.text


def test_a_store_that_recovers_keeps_every_row_and_still_reports(tmp_path, caplog):
    import sqlite_utils

    from pipelines.schema import ensure_schema

    crawler, pipe = open_pipeline(tmp_path, batch=2)
    other = break_captures_table(tmp_path / "archive.sqlite")
    with caplog.at_level(logging.ERROR):
        for n in range(3):
            process(pipe, article(n))
        pipe.thread.call(lambda: None)  # the failed batch has been tried
        ensure_schema(sqlite_utils.Database(other))  # repaired
        with pytest.raises(RuntimeError, match=r"store write\(s\) failed during the crawl"):
            pipe.spider_closed(reason="finished")
    db = sqlite3.connect(tmp_path / "archive.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 3
    assert "writing to the database failed" in caplog.text
