"""DedupIndex: originals of this crawl from memory, older ones (or forgotten ones) from `captures`."""

from __future__ import annotations

from archive.dedup import DedupIndex
from pipelines.store import Store
from tests.test_store import capture


def stored(db_path, warc_dir, *captures) -> None:
    store = Store(db_path)
    store.begin_crawl({})
    for cap in captures:
        (warc_dir / cap["warc_file"]).touch()
        store.add_capture(cap)
    store.close()


def test_fresh_archive_answers_from_memory(tmp_path):
    (tmp_path / "warc").mkdir()
    db = tmp_path / "archive.sqlite"
    stored(db, tmp_path / "warc")  # the store made the tables; no captures yet
    dedup = DedupIndex(tmp_path / "warc", db)
    assert not dedup.earlier_captures
    one = capture(1)
    assert dedup.find(one["url"], one["payload_digest"]) is None
    dedup.remember(one)
    assert dedup.find(one["url"], one["payload_digest"])["refers_to"] == one["warc_record_id"]
    dedup.close()


def test_forgotten_originals_are_found_in_the_table(tmp_path):
    (tmp_path / "warc").mkdir()
    db = tmp_path / "archive.sqlite"
    stored(db, tmp_path / "warc")
    dedup = DedupIndex(tmp_path / "warc", db, memory=1)
    one, two = capture(1), capture(2, url="https://example.org/other/")
    dedup.remember(one)
    stored(db, tmp_path / "warc", one)  # the store wrote it meanwhile
    dedup.remember(two)  # memory holds one record: the first is forgotten
    assert dedup.forgot
    assert dedup.find(one["url"], one["payload_digest"])["refers_to"] == one["warc_record_id"]
    dedup.close()


def test_earlier_crawls_are_asked(tmp_path):
    (tmp_path / "warc").mkdir()
    db = tmp_path / "archive.sqlite"
    one = capture(1)
    stored(db, tmp_path / "warc", one)
    dedup = DedupIndex(tmp_path / "warc", db)
    assert dedup.earlier_captures
    assert dedup.find(one["url"], one["payload_digest"])["refers_to"] == one["warc_record_id"]
    dedup.close()
