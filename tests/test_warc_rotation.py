"""A real crawl of the sample site with a small rotation size: files, warcinfo, pairs,
metadata records and the CDXJ index kept beside the WARCs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawl_helpers import REPO, connect, run_dca_crawl
from tests.sample_site.server import SampleSite

ANNEX_C = re.compile(r"^DCA-\d{14}-\d{5}-[^/]+\.warc\.gz$")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("rotation")
    with SampleSite(n_articles=12) as site:
        run_dca_crawl(site.base_url, out, "DCA_WARC_MAX_SIZE=100000")
        files = []
        for path in sorted((out / "warc").glob("*.warc.gz")):
            with open(path, "rb") as fh:
                it = ArchiveIterator(fh)
                recs = []
                for rec in it:
                    payload = rec.raw_stream.read() if rec.rec_type in ("warcinfo", "metadata") else None
                    recs.append({"type": rec.rec_type, "h": rec.rec_headers, "payload": payload})
            files.append((path.name, recs))
        yield {"out": out, "files": files, "site": site}


def test_rotation_made_several_annex_c_files_each_opening_with_warcinfo(crawl):
    assert len(crawl["files"]) >= 4
    for name, recs in crawl["files"]:
        assert ANNEX_C.match(name), name
        assert recs[0]["type"] == "warcinfo"
        info = recs[0]["payload"].decode()
        assert re.search(r"^software: dca/\d", info, re.M)
        assert "format: WARC File Format 1.1" in info
        settings = json.loads(re.search(r"^crawl-settings: (.*)$", info, re.M).group(1))
        assert settings["ROBOTSTXT_OBEY"] is True and settings["DCA_WARC_MAX_SIZE"] in (100000, "100000")
        assert recs[0]["h"].get_header("WARC-Filename") == name


def test_rotation_never_splits_a_request_from_its_response(crawl):
    where = {}
    for name, recs in crawl["files"]:
        for r in recs:
            where[r["h"].get_header("WARC-Record-ID")] = (name, r)
    pairs = 0
    for name, recs in crawl["files"]:
        for r in recs:
            if r["type"] in ("response", "revisit"):
                req_name, req = where[r["h"].get_header("WARC-Concurrent-To")]
                assert req["type"] == "request" and req_name == name
                assert req["h"].get_header("WARC-Concurrent-To") == r["h"].get_header("WARC-Record-ID")
                pairs += 1
    assert pairs > 50


def test_each_article_page_has_a_metadata_record(crawl):
    db = connect(crawl["out"] / "archive.sqlite")
    articles = db.execute("SELECT a.title, c.warc_record_id, c.url, c.warc_file, c.warc_offset, c.warc_length"
                          " FROM articles a JOIN captures c ON c.id = a.capture_id").fetchall()
    assert len(articles) >= 10
    metadata = defaultdict(list)
    for _name, recs in crawl["files"]:
        for r in recs:
            if r["type"] == "metadata":
                assert r["h"].get_header("Content-Type") == "application/warc-fields"
                metadata[r["h"].get_header("WARC-Concurrent-To")].append(r)
    for title, record_id, url, *location in articles:
        [meta] = metadata[record_id]
        assert meta["h"].get_header("WARC-Target-URI") == url
        fields = meta["payload"].decode().splitlines()
        outlinks = [f.split(": ", 1)[1] for f in fields if f.startswith("outlink: ")]
        assert len(outlinks) > 10
        assert any(o.endswith(" img/@src") for o in outlinks) and any(o.endswith(" a/@href") for o in outlinks)
        # Read by the extraction worker from the page it extracted: the links of the archived payload.
        from archive.metadata import outlinks as links_of
        from archive.records import decoded_payload, payload_at

        payload = decoded_payload(payload_at(crawl["out"] / "warc", location))
        assert outlinks == [f"{link} {context}" for link, context in links_of(payload, url)]
        summary = json.loads(next(f for f in fields if f.startswith("extraction: ")).split(": ", 1)[1])
        assert summary["title"] == title and summary["page_type"] == "article"
        assert summary["word_count"] > 50 and summary["lead_image"]
        assert "outcome: stored" in fields


def test_index_is_sorted_current_and_equal_to_a_rebuild(crawl):
    index = crawl["out"] / "index.cdxj"
    lines = index.read_text().splitlines()
    assert lines == sorted(lines)
    names = {json.loads(l.split(" ", 2)[2])["filename"] for l in lines}
    assert names == {name for name, _ in crawl["files"]}
    before = index.read_text()
    subprocess.run([sys.executable, "-m", "crawler.cli", "index", "--out", str(crawl["out"])],
                   cwd=REPO, check=True, capture_output=True)
    assert index.read_text() == before
