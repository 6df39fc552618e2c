"""Metadata record fields: from the links the extraction worker read, or from the payload read back, alike."""

from __future__ import annotations

import gzip

from archive.metadata import metadata_fields, outlinks as links_of
from archive.warc import WarcWriter

PAGE = (b'<html><head><link rel="stylesheet" href="/style.css"></head><body>'
        b'<a href="/2024/05/other/#c">Other</a> <a href="https://elsewhere.example/x">X</a>'
        b'<img src="lead.jpg" srcset="lead-2x.jpg 2x"></body></html>')


def test_fields_from_links_read_by_the_worker_equal_fields_read_back(tmp_path):
    body = gzip.compress(PAGE, mtime=0)
    url = "http://site.test/2024/05/page/"
    with WarcWriter(tmp_path, fsync=False) as writer:
        capture = writer.write_exchange(
            url, request_line="GET /2024/05/page/ HTTP/1.1", request_headers=[("Host", "site.test")],
            status=200, reason="OK", response_body=body,
            response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    record = {"page_type": "article", "title": "A page", "body_text": "one two three"}
    read_back = metadata_fields(tmp_path, record, capture, "stored")
    held = metadata_fields(tmp_path, record, capture, "stored", links=links_of(PAGE, url))
    assert held == read_back
    outlinks = [value for name, value in held if name == "outlink"]
    assert outlinks == ["http://site.test/style.css link/@href", "http://site.test/2024/05/other/ a/@href",
                        "https://elsewhere.example/x a/@href", "http://site.test/2024/05/page/lead.jpg img/@src"]


SEVERAL_ATTRIBUTES = (b'<html><body><img src="a.jpg" longdesc="/about/" lowsrc="a-low.jpg" dynsrc="a.mov">'
                      b'<a href="/x/" cite="/x/">same URL twice</a>'
                      b'<div style="background: url(b.png)" data-x="1"></div></body></html>')


def test_an_elements_links_come_in_the_same_order_whatever_the_hash_seed():
    import json
    import os
    import subprocess
    import sys

    script = ("import json, sys; from archive.metadata import outlinks; "
              "print(json.dumps(outlinks(sys.stdin.buffer.read(), 'http://site.test/p/')))")
    results = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        output = subprocess.run([sys.executable, "-c", script], input=SEVERAL_ATTRIBUTES, capture_output=True,
                                check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        results.add(output)
    assert len(results) == 1
    assert json.loads(results.pop()) == [
        ["http://site.test/p/a.mov", "img/@dynsrc"], ["http://site.test/about/", "img/@longdesc"],
        ["http://site.test/p/a-low.jpg", "img/@lowsrc"], ["http://site.test/p/a.jpg", "img/@src"],
        ["http://site.test/x/", "a/@cite"], ["http://site.test/p/b.png", "div/@style"]]
