"""The fidelity matrix and the revisit round trips, against the byte-exact loopback server.

Two crawls of tests/fidelity_server.py with the project's settings into one
directory: the first writes responses, the second (same payloads, and ETag /
Last-Modified validators stored by the first) writes revisits. Every record is
compared byte for byte with what the server logged, and replayed through pywb.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.dedup import DedupIndex
from archive.replay import ReplayServer
from tests.fidelity_server import ENDPOINTS, MATRIX, FidelityServer, sha1_b32
from tests.test_replay import fetch

REPO = Path(__file__).resolve().parents[1]
CONDITIONAL = ["/etag", "/lastmod"]


def run(out_dir: Path, urls: list[str], *settings: str) -> dict:
    args = [sys.executable, "-m", "tests.fidelity_crawl", str(out_dir), *urls]
    for s in settings:
        args += ["-s", s]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out_dir / "result.json").read_text())


def raw_records(warc_dir: Path) -> list[dict]:
    """Every record with its raw block (HTTP head + payload as stored) cut from the gzip member."""
    out = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        data = path.read_bytes()
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                offset = it.get_record_offset()
                it.read_to_end(rec)
                member = gzip.decompress(data[offset:offset + it.get_record_length()])
                head, block = member.split(b"\r\n\r\n", 1)
                assert block.endswith(b"\r\n\r\n")
                block = block[:-4]
                h = rec.rec_headers
                assert int(h.get_header("Content-Length")) == len(block)
                out.append({"file": path.name, "offset": offset, "type": rec.rec_type, "h": h,
                            "block": block, "url": h.get_header("WARC-Target-URI"),
                            "id": h.get_header("WARC-Record-ID")})
    return out


@pytest.fixture(scope="module")
def fid(tmp_path_factory):
    out = tmp_path_factory.mktemp("fidelity")
    with FidelityServer() as server:
        urls = [server.base + p for p in MATRIX + CONDITIONAL]
        first = run(out, urls)
        files_after_first = sorted(p.name for p in (out / "warc").glob("*.warc.gz"))
        second = run(out, urls)
        log = dict(server.log)
    records = raw_records(out / "warc")
    first_files = set(files_after_first)
    with ReplayServer(out, reindex=False) as replay:
        yield {"out": out, "base": server.base, "log": log, "first": first, "second": second,
               "records": records, "replay": replay,
               "crawl1": [r for r in records if r["file"] in first_files],
               "crawl2": [r for r in records if r["file"] not in first_files]}


def first_response(fid, path):
    url = fid["base"] + path
    found = [r for r in fid["crawl1"] if r["type"] == "response" and r["url"] == url]
    assert found, f"no response record for {path}"
    return found[0]


def request_of(fid, record):
    return next(r for r in fid["records"] if r["type"] == "request"
                and r["h"].get_header("WARC-Concurrent-To") == record["id"])


def strip_te(head: bytes) -> bytes:
    lines = head.split(b"\r\n")
    return b"\r\n".join(l for l in lines if not l.lower().startswith(b"transfer-encoding:"))


@pytest.mark.parametrize("path", MATRIX)
def test_record_holds_the_bytes_and_headers_sent(fid, path):
    rec = first_response(fid, path)
    sent = fid["log"][path][0]
    head, payload = rec["block"].split(b"\r\n\r\n", 1) if b"\r\n\r\n" in rec["block"] else (rec["block"], b"")
    # The head exactly as sent (reason phrase, header case and order, non-UTF-8
    # bytes, repeated headers), minus Transfer-Encoding; the payload as sent.
    assert head + b"\r\n\r\n" == strip_te(sent.response_head)
    assert payload == sent.payload == ENDPOINTS[path].payload
    assert rec["h"].get_header("WARC-Payload-Digest") == sha1_b32(sent.payload)
    assert rec["h"].get_header("WARC-Block-Digest") == sha1_b32(rec["block"])
    # The request record holds the request head exactly as the server received it.
    req = request_of(fid, rec)
    assert req["block"] in {s.request_head for s in fid["log"][path]}
    assert req["h"].get_header("WARC-Date") == rec["h"].get_header("WARC-Date")


@pytest.mark.parametrize("path", MATRIX)
def test_pywb_id_mode_returns_the_body_sent(fid, path):
    rec = first_response(fid, path)
    sent = fid["log"][path][0]
    ts = "".join(c for c in rec["h"].get_header("WARC-Date") if c.isdigit())[:14]
    accept = next(l.split(b":", 1)[1].strip() for l in request_of(fid, rec)["block"].split(b"\r\n")
                  if l.lower().startswith(b"accept-encoding:")).decode()
    status, headers, body = fetch(fid["replay"].replay_url(rec["url"], ts, raw=True), {"Accept-Encoding": accept})
    assert status == int(sent.response_head.split(b" ")[1])
    assert body == sent.payload


def test_matrix_covers_the_cases(fid):
    heads = {p: ENDPOINTS[p].head() for p in MATRIX}
    assert b"Content-Encoding: br" in heads["/br"] and b"Content-Encoding: deflate" in heads["/deflate"]
    assert ENDPOINTS["/chunked-gzip"].chunks and b"Content-Encoding: gzip" in heads["/chunked-gzip"]
    assert len(ENDPOINTS["/big.bin"].payload) == 5 * 1024 * 1024
    rec = first_response(fid, "/reason")
    assert rec["block"].startswith(b"HTTP/1.1 200 Fine, Thanks\r\n")
    assert b"\r\nX-Author: Jos\xe9 Garc\xeda\r\n" in first_response(fid, "/non-utf8-header")["block"]
    assert b"\r\nx-lower: 1\r\nX-MiXeD-CaSe: 2\r\n" in first_response(fid, "/header-case")["block"]
    # The redirect chain: every hop archived, the spider ends at the last one.
    assert [first_response(fid, p)["block"][:12] for p in ("/r1", "/r2", "/r3?final=1")] == [
        b"HTTP/1.1 301", b"HTTP/1.1 302", b"HTTP/1.1 200"]
    chain = [s for s in fid["first"]["seen"] if len(s["redirect_urls"] or []) == 2]
    assert chain[0]["url"] == fid["base"] + "/r3?final=1"
    assert chain[0]["redirect_urls"] == [fid["base"] + "/r1", fid["base"] + "/r2"]
    # The percent-escaped query is kept as requested, in the URI and on the wire.
    search = [p for p in MATRIX if p.startswith("/search")][0]
    assert first_response(fid, search)["url"] == fid["base"] + search
    assert request_of(fid, first_response(fid, search))["block"].startswith(f"GET {search} HTTP/1.1".encode())


# archive.warcio_compat: warcio 1.8.1 cannot decode br with brotli 1.2 otherwise.
def test_warcio_check_passes(fid):
    for path in (fid["out"] / "warc").glob("*.warc.gz"):
        proc = subprocess.run([sys.executable, "-m", "archive.warcio_compat", "warcio", "check", str(path)],
                              capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- deduplication -------------------------------------------------------------------

def by_id(fid):
    return {r["id"]: r for r in fid["records"]}


@pytest.mark.parametrize("path", [p for p in MATRIX if ENDPOINTS[p].status_line.startswith(b"HTTP/1.1 2")
                                  and ENDPOINTS[p].payload])
def test_recrawl_writes_identical_payload_revisits(fid, path):
    url = fid["base"] + path
    revisits = [r for r in fid["crawl2"] if r["url"] == url and r["type"] != "request"]
    assert revisits and all(r["type"] == "revisit" for r in revisits)
    original = first_response(fid, path)
    for rev in revisits:
        h = rev["h"]
        assert h.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        assert h.get_header("WARC-Refers-To") == original["id"]
        assert h.get_header("WARC-Refers-To-Target-URI") == url
        assert h.get_header("WARC-Refers-To-Date") == original["h"].get_header("WARC-Date")
        assert h.get_header("WARC-Payload-Digest") == original["h"].get_header("WARC-Payload-Digest")
        # The block is the HTTP head alone, as sent this time.
        assert rev["block"] == strip_te(fid["log"][path][-1].response_head)
    # pywb resolves the revisit to its original's payload.
    ts = "".join(c for c in revisits[-1]["h"].get_header("WARC-Date") if c.isdigit())[:14]
    status, _, body = fetch(fid["replay"].replay_url(url, ts, raw=True), {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and body == ENDPOINTS[path].payload


def test_non_2xx_and_empty_bodies_are_not_deduplicated(fid):
    for path in ("/missing", "/error", "/r1", "/r2", "/empty"):
        assert {r["type"] for r in fid["crawl2"] if r["url"] == fid["base"] + path} == {"request", "response"}


@pytest.mark.parametrize("path,header", [("/etag", b"If-None-Match: \"v1-abc\""),
                                         ("/lastmod", b"If-Modified-Since: Tue, 03 Jun 2025 10:00:00 GMT")])
def test_conditional_get_and_server_not_modified_revisit(fid, path, header):
    url = fid["base"] + path
    original = first_response(fid, path)
    [rev] = [r for r in fid["crawl2"] if r["url"] == url and r["type"] == "revisit"]
    h = rev["h"]
    assert h.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    assert h.get_header("WARC-Refers-To") == original["id"]
    assert h.get_header("WARC-Refers-To-Target-URI") == url
    assert h.get_header("WARC-Refers-To-Date") == original["h"].get_header("WARC-Date")
    assert rev["block"].startswith(b"HTTP/1.1 304 Not Modified\r\n")
    # The validators came from the captures table of the first crawl.
    assert header in request_of(fid, rev)["block"].split(b"\r\n")
    db = sqlite3.connect(fid["out"] / "archive.sqlite")
    rows = db.execute("SELECT status, warc_type, etag, last_modified, refers_to FROM captures WHERE url = ?"
                      " ORDER BY fetched_at", (url,)).fetchall()
    assert [r[:2] for r in rows] == [(200, "response"), (304, "revisit")]
    assert rows[0][2:4] == rows[1][2:4] != (None, None) and rows[1][4] == original["id"]
    # The spider got the archived page back, as if it had been sent again.
    [seen] = [s for s in fid["second"]["seen"] if s["url"] == url]
    assert seen["status"] == 200 and "revisit" in seen["flags"]
    assert seen["sha1"] == hashlib.sha1(ENDPOINTS[path].payload).hexdigest()
    assert seen["capture"]["warc_type"] == "revisit"
    # pywb, at the revisit's time, serves the original page.
    ts = "".join(c for c in h.get_header("WARC-Date") if c.isdigit())[:14]
    status, _, body = fetch(fid["replay"].replay_url(url, ts, raw=True))
    assert status == 200 and body == ENDPOINTS[path].payload


def test_dedup_only_within_the_archive_set(tmp_path, fid):
    """A captures row whose WARC file is not in this WARC directory is never referred to."""
    db = fid["out"] / "archive.sqlite"
    original = first_response(fid, "/gzip")
    digest = original["h"].get_header("WARC-Payload-Digest")
    same = DedupIndex(fid["out"] / "warc", db)
    other = DedupIndex(tmp_path / "warc", db)
    try:
        assert same.find(original["url"], digest)["refers_to"] == original["id"]
        assert other.find(original["url"], digest) is None
        assert same.find(original["url"], "sha1:" + "A" * 32) is None
    finally:
        same.close()
        other.close()


def test_captures_rows_point_at_their_records(fid):
    db = sqlite3.connect(fid["out"] / "archive.sqlite")
    records = by_id(fid)
    rows = db.execute("SELECT warc_record_id, warc_type, warc_file, warc_offset, payload_digest, refers_to"
                      " FROM captures").fetchall()
    assert len(rows) == len([r for r in fid["records"] if r["type"] in ("response", "revisit")])
    for rid, kind, name, offset, digest, refers_to in rows:
        rec = records[rid]
        assert (rec["type"], rec["file"], rec["offset"]) == (kind, name, offset)
        assert rec["h"].get_header("WARC-Payload-Digest") == digest
        assert rec["h"].get_header("WARC-Refers-To") == refers_to
