"""WarcWriter unit tests: real files, read back with warcio and `warcio check`."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import WarcWriter

WARCIO = Path(sys.executable).parent / "warcio"
NAME_RE = re.compile(r"^DCA-\d{14}-\d{5}-[^/]+\.warc\.gz$")


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def exchange(writer, n: int, body: bytes | None = None) -> dict:
    body = body if body is not None else f"<p>page {n}</p>".encode() * 20
    return writer.write_exchange(
        f"http://example.test/p/{n}?q=1",
        request_line=f"GET /p/{n}?q=1 HTTP/1.1",
        request_headers=[("Host", "example.test"), ("Accept-Encoding", "gzip")],
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "text/html"), ("Set-Cookie", "a=1"),
                          ("Set-Cookie", "b=2"), ("Content-Length", str(len(body)))],
        response_body=body,
        ip_address="127.0.0.1",
    )


def records(path: Path) -> list[dict]:
    out = []
    data = path.read_bytes()
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            payload = rec.raw_stream.read()
            offset = it.get_record_offset()
            it.read_to_end(rec)
            raw = gzip.decompress(data[offset:offset + it.get_record_length()])
            # The block: everything between the WARC headers and the closing CRLFCRLF.
            block = raw.split(b"\r\n\r\n", 1)[1][:-4]
            out.append({"type": rec.rec_type, "h": rec.rec_headers, "http": rec.http_headers,
                        "payload": payload, "offset": offset, "block": block})
    return out


@pytest.fixture
def written(tmp_path):
    with WarcWriter(tmp_path, warcinfo_fields={"operator": "tests", "settings": {"a": 1}}) as w:
        caps = [exchange(w, n) for n in range(3)]
    return tmp_path, w, caps


def test_one_file_named_per_annex_c(written):
    directory, w, caps = written
    files = [p.name for p in directory.iterdir()]
    assert files == w.files and len(files) == 1
    assert NAME_RE.match(files[0]), files[0]
    assert all(c["warc_file"] == files[0] for c in caps)


def test_warcinfo_first_and_warc_1_1_everywhere(written):
    directory, w, _ = written
    recs = records(directory / w.files[0])
    assert [r["type"] for r in recs] == ["warcinfo"] + ["request", "response"] * 3
    assert all(r["h"].protocol == "WARC/1.1" for r in recs)
    info = recs[0]["payload"].decode()
    assert "software: dca/" in info and "format: WARC File Format 1.1" in info
    assert "operator: tests" in info and 'settings: {"a": 1}' in info
    assert recs[0]["h"].get_header("WARC-Filename") == w.files[0]


def test_warcio_check_passes(written):
    directory, w, _ = written
    proc = subprocess.run([str(WARCIO), "check", "-v", str(directory / w.files[0])],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "digest pass" in proc.stdout


def test_digests_and_pairing(written):
    directory, w, caps = written
    recs = records(directory / w.files[0])
    for req, resp in zip(recs[1::2], recs[2::2]):
        assert req["h"].get_header("WARC-Date") == resp["h"].get_header("WARC-Date")
        assert re.search(r"\.\d{6}Z$", resp["h"].get_header("WARC-Date"))
        assert req["h"].get_header("WARC-Concurrent-To") == resp["h"].get_header("WARC-Record-ID")
        assert resp["h"].get_header("WARC-Concurrent-To") == req["h"].get_header("WARC-Record-ID")
        assert resp["h"].get_header("WARC-Payload-Digest") == sha1(resp["payload"])
        for rec in (req, resp):
            assert rec["h"].get_header("WARC-Block-Digest") == sha1(rec["block"])
            assert rec["block"].endswith(rec["payload"])
            assert rec["block"][:4] in (b"GET ", b"HTTP")
        cookies = [v for k, v in resp["http"].headers if k == "Set-Cookie"]
        assert cookies == ["a=1", "b=2"]


def test_capture_offsets_land_on_the_record(written):
    directory, w, caps = written
    data = (directory / w.files[0]).read_bytes()
    for n, cap in enumerate(caps):
        member = data[cap["warc_offset"]:cap["warc_offset"] + cap["warc_length"]]
        # Exactly one gzip member: decompressing it alone gives one whole record.
        raw = gzip.decompress(member)
        assert raw.startswith(b"WARC/1.1\r\n") and raw.endswith(b"\r\n\r\n")
        rec = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert rec.rec_type == "response"
        assert rec.rec_headers.get_header("WARC-Record-ID") == cap["warc_record_id"]
        assert rec.rec_headers.get_header("WARC-Date") == cap["fetched_at"]
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == cap["payload_digest"]
        assert cap["url"] == f"http://example.test/p/{n}?q=1"
        assert cap["status"] == 200 and cap["content_type"] == "text/html"
        assert cap["warc_type"] == "response"


def test_raw_header_bytes_survive(tmp_path):
    # Non-ASCII header bytes (latin-1 decoded) are written back unchanged.
    with WarcWriter(tmp_path) as w:
        w.write_exchange("http://x.test/", request_line="GET / HTTP/1.1",
                         request_headers=[("Host", "x.test")], status=200, reason="OK",
                         response_headers=[("X-Name", b"caf\xe9 \xe2\x80\x94".decode("latin-1"))],
                         response_body=b"")
    raw = gzip.decompress((tmp_path / w.files[0]).read_bytes())
    assert b"X-Name: caf\xe9 \xe2\x80\x94\r\n" in raw


def test_rotation_never_splits_a_pair(tmp_path):
    body = bytes(range(256)) * 12  # ~3 KB, barely compressible
    with WarcWriter(tmp_path, max_size=8_000) as w:
        caps = [exchange(w, n, body) for n in range(12)]
    assert len(w.files) > 2
    seen_ids = set()
    for name in w.files:
        path = tmp_path / name
        recs = records(path)
        assert recs[0]["type"] == "warcinfo"
        assert recs[0]["h"].get_header("WARC-Filename") == name
        pairs = recs[1:]
        assert len(pairs) >= 2 and len(pairs) % 2 == 0
        for req, resp in zip(pairs[::2], pairs[1::2]):
            assert (req["type"], resp["type"]) == ("request", "response")
            assert req["h"].get_header("WARC-Concurrent-To") == resp["h"].get_header("WARC-Record-ID")
            seen_ids.add(resp["h"].get_header("WARC-Record-ID"))
        # A file only exceeds max_size when it holds a single exchange.
        assert path.stat().st_size <= 8_000 or len(pairs) == 2
    assert seen_ids == {c["warc_record_id"] for c in caps}
    serials = [int(n.split("-")[2]) for n in w.files]
    assert serials == list(range(len(w.files)))


def test_oversized_exchange_gets_its_own_file(tmp_path):
    with WarcWriter(tmp_path, max_size=1_000) as w:
        exchange(w, 0, b"x" * 10)
        big = exchange(w, 1, bytes(range(256)) * 40)
        exchange(w, 2, b"x" * 10)
    assert len(w.files) == 3 and big["warc_file"] == w.files[1]


def test_new_writer_never_touches_existing_files(tmp_path):
    with WarcWriter(tmp_path) as w1:
        exchange(w1, 0)
    before = (tmp_path / w1.files[0]).read_bytes()
    with WarcWriter(tmp_path) as w2:
        exchange(w2, 1)
    assert w2.files[0] != w1.files[0]
    assert (tmp_path / w1.files[0]).read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 2


def test_no_file_without_exchanges(tmp_path):
    WarcWriter(tmp_path).close()
    assert list(tmp_path.iterdir()) == []


def test_each_exchange_is_on_disk_before_close(tmp_path):
    # Flushed per exchange: a reader (or a crash) sees every finished exchange.
    w = WarcWriter(tmp_path)
    cap = exchange(w, 0)
    data = (tmp_path / w.files[0]).read_bytes()
    assert len(data) == cap["warc_offset"] + cap["warc_length"]
    assert [r["type"] for r in records(tmp_path / w.files[0])] == ["warcinfo", "request", "response"]
    w.close()
