"""`export_wacz`: a WACZ of the archive with our pages.jsonl, which `wacz validate` accepts."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from archive.wacz import PAGES_HEADER, export_wacz, validate_wacz
from tests.crawl_helpers import run_dca_crawl
from tests.sample_site.server import SampleSite


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("wacz")
    with SampleSite(n_articles=6) as site:
        run_dca_crawl(site.base_url, out)
    return out


def test_export_wacz_validates_and_lists_every_article(crawl, tmp_path):
    path = export_wacz(crawl, tmp_path / "archive.wacz")
    ok, output = validate_wacz(path)
    assert ok, output
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        warcs = {p.name for p in (crawl / "warc").glob("*.warc.gz")}
        assert {f"archive/{w}" for w in warcs} <= names
        for w in warcs:  # stored as is
            assert z.read(f"archive/{w}") == (crawl / "warc" / w).read_bytes()
        lines = z.read("pages/pages.jsonl").decode().splitlines()
    assert json.loads(lines[0]) == PAGES_HEADER
    pages = [json.loads(l) for l in lines[1:]]
    db = sqlite3.connect(crawl / "archive.sqlite")
    expected = db.execute("SELECT c.url, c.fetched_at, a.title FROM articles a JOIN captures c"
                          " ON c.id = a.capture_id").fetchall()
    assert len(expected) >= 5
    assert sorted((p["url"], p["ts"], p["title"]) for p in pages) == sorted(expected)
    assert not list(tmp_path.glob("*.partial"))
