"""DIR/index.cdxj made during the crawl (archive/index.py LiveIndex) equals cdxj-indexer's own output.

Three crawls of the fidelity matrix (tests/fidelity_server.py: gzip, br, chunked,
repeated and non-UTF-8 headers, reason phrases, 404/500, redirects, empty bodies)
into one directory: the first writes responses; before the second the index is
deleted, so the second merges lines indexed from disk (the first crawl's file) with
its own lines; the second and third write revisits of both profiles, the third
with Scrapy's own download handler (heads rebuilt from the Response, not raw).
After each crawl the index must equal `cdxj-indexer -s` run over the same WARCs.
"""

from __future__ import annotations

import gzip
import json

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.index import LiveIndex, build_index, update_index
from tests.fidelity_server import MATRIX, FidelityServer
from tests.test_fidelity import CONDITIONAL, run

SCRAPY_HANDLER = json.dumps({"http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"})


def cdxj_indexer_output(out_dir, tmp_path, name) -> str:
    """What cdxj-indexer itself writes for every WARC of out_dir (sorted, as `-s`)."""
    return build_index(out_dir, tmp_path / name).read_text()


def indexed_records(warc_dir) -> int:
    count = 0
    for path in warc_dir.glob("*.warc.gz"):
        with open(path, "rb") as fh:
            count += sum(r.rec_type in ("response", "revisit") for r in ArchiveIterator(fh))
    return count


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    out = tmp_path_factory.mktemp("index")
    ref = tmp_path_factory.mktemp("reference")
    steps = []
    with FidelityServer() as server:
        urls = [server.base + p for p in MATRIX + CONDITIONAL]
        for n, settings in enumerate([(), (), (f"DOWNLOAD_HANDLERS={SCRAPY_HANDLER}",)]):
            if n == 1:
                (out / "index.cdxj").unlink()
            result = run(out, urls, *settings)
            steps.append({"index": (out / "index.cdxj").read_text(), "stats": result["stats"],
                          "reference": cdxj_indexer_output(out, ref, f"step{n}.cdxj"),
                          "records": indexed_records(out / "warc")})
    return {"out": out, "steps": steps}


@pytest.mark.parametrize("step", [0, 1, 2])
def test_index_equals_cdxj_indexer_output(crawls, step):
    done = crawls["steps"][step]
    assert done["index"] == done["reference"]
    assert len(done["index"].splitlines()) == done["records"] > 0


def test_lines_were_made_while_writing(crawls):
    steps = crawls["steps"]
    made = [s["stats"].get("warc/index_lines", 0) for s in steps]
    # Every response and revisit record of each crawl got its line as it was written.
    assert made == [steps[0]["records"], steps[1]["records"] - steps[0]["records"],
                    steps[2]["records"] - steps[1]["records"]]


def test_revisits_of_both_profiles_are_indexed(crawls):
    lines = [json.loads(l.split(" ", 2)[2]) for l in crawls["steps"][2]["index"].splitlines()]
    revisits = [l for l in lines if l.get("mime") == "warc/revisit"]
    assert any(l["url"].endswith("/etag") and l["status"] == "304" for l in revisits)
    assert any(l["url"].endswith("/gzip") and l["status"] == "200" and l["digest"] for l in revisits)


def test_live_index_matches_cdxj_indexer_record_by_record(crawls, tmp_path):
    """LiveIndex fed from the stored records alone (WARC headers and HTTP head bytes) gives cdxj's lines."""
    warc_dir = crawls["out"] / "warc"
    live = LiveIndex(warc_dir)
    for path in sorted(warc_dir.glob("*.warc.gz")):
        data = path.read_bytes()
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                offset = it.get_record_offset()
                it.read_to_end(rec)
                length = it.get_record_length()
                block = gzip.decompress(data[offset:offset + length]).split(b"\r\n\r\n", 1)[1][:-4]
                head = block.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" if rec.http_headers else None
                live.add(path.name, offset, length, rec.rec_headers.headers, head, len(block))
    live.write_sorted(tmp_path / "live.cdxj")
    assert (tmp_path / "live.cdxj").read_text() == crawls["steps"][2]["reference"]


def test_a_record_that_cannot_be_indexed_leaves_its_file_to_cdxj_indexer(crawls, tmp_path):
    out = tmp_path / "copy"
    (out / "warc").mkdir(parents=True)
    for path in (crawls["out"] / "warc").glob("*.warc.gz"):
        (out / "warc" / path.name).write_bytes(path.read_bytes())
    live = LiveIndex(out / "warc")
    name = sorted(p.name for p in (out / "warc").iterdir())[0]
    # No WARC-Date: cdxj-indexer's field logic cannot make a timestamp.
    made = live.add(name, 0, 10, [("WARC-Type", "response"), ("WARC-Target-URI", "http://x.test/")],
                    b"HTTP/1.1 200 OK\r\n\r\n", 19)
    assert not made
    assert live.incomplete == {name}
    index = update_index(out, [name], live=live).read_text()
    assert index == crawls["steps"][2]["reference"]
