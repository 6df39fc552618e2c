"""End-to-end capture: a real Scrapy crawl against a loopback server, then the WARC.

The crawl runs in a subprocess because Twisted's reactor cannot restart.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

HTML = b"<html><head><title>Gz page</title></head><body><p>Tanks and drones.</p></body></html>"
GZ_BODY = gzip.compress(HTML, mtime=0)
CHUNKS = [b"<html><body><p>chunk one ", b"chunk two ", b"chunk three</p></body></html>"]
ROBOTS = b"User-agent: *\nDisallow: /private\n"


class Handler(BaseHTTPRequestHandler):
    """Records what it received and what body bytes it sent, per path+query."""

    protocol_version = "HTTP/1.1"  # needed for chunked responses and keep-alive

    def log_message(self, *args):
        pass

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.log[self.path] = {"headers": self.headers.items(), "body": body}

    def do_GET(self):
        if self.path == "/robots.txt":
            return self._send(200, [("Content-Type", "text/plain")], ROBOTS)
        if self.path == "/gz?x=1&y=two":
            return self._send(200, [("Content-Type", "text/html; charset=utf-8"),
                                    ("Content-Encoding", "gzip")], GZ_BODY)
        if self.path == "/cookies":
            return self._send(200, [("Content-Type", "text/html"),
                                    ("Set-Cookie", "a=1; Path=/"),
                                    ("Set-Cookie", "b=2; Path=/")], b"<p>cookies</p>")
        if self.path == "/old":
            return self._send(301, [("Location", "/cookies")], b"")
        if self.path == "/chunked":
            return self._chunked()
        return self._send(404, [("Content-Type", "text/plain")], b"not found")

    def _chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in CHUNKS:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
        self.server.log[self.path] = {"headers": self.headers.items(), "body": b"".join(CHUNKS)}


class LoopbackServer:
    """ThreadingHTTPServer on 127.0.0.1, stopped by the context manager."""

    def __enter__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.log = {}
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


SPIDER = textwrap.dedent('''
    import json, os, signal, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from archive.capture import WarcCaptureMiddleware
    from archive.capture_process import Archive
    from archive.signals import capture_written

    base, out_dir, failing = sys.argv[1], sys.argv[2], sys.argv[3:]
    signalled, seen = [], []


    class FailingDiskArchive(Archive):
        """Writing fails for the URLs given, as on a full disk (in the WARC writer's process,
        which imports this script again: so the classes are at its top level)."""

        def __init__(self, config):
            if os.environ.get("UNWRITABLE"):  # as a WARC directory the crawl may not write to
                raise PermissionError(13, "Permission denied", config.warc_dir)
            super().__init__(config)

        def write_exchange(self, url, *args, **kwargs):
            if any(url.endswith(path) for path in failing):
                raise OSError(28, "No space left on device")
            return super().write_exchange(url, *args, **kwargs)


    class FailingDiskCapture(WarcCaptureMiddleware):
        archive_class = FailingDiskArchive


    class CaptureSpider(scrapy.Spider):
        name = "capture"

        async def start(self):
            for path in ("/gz?x=1&y=two", "/chunked", "/old"):
                yield scrapy.Request(base + path)

        def parse(self, response):
            seen.append({"url": response.url, "body": response.text,
                         "meta_capture": response.meta.get("capture"),
                         "written_when_parsed": "warc_offset" in response.meta.get("capture", {}),
                         "redirect_urls": response.meta.get("redirect_urls")})
            if response.url.endswith("/chunked"):
                # Asked only once robots.txt is parsed: Scrapy 2.19 checks requests
                # that wait on a robots.txt fetch in flight against None (allowed).
                yield scrapy.Request(base + "/private")


    def on_capture(capture, request, response):
        signalled.append({"capture": capture, "request_url": request.url,
                          "response_status": response.status,
                          "meta_is_capture": request.meta.get("capture") is capture})
        if os.environ.get("KILL_WRITER") and len(signalled) == 1:  # as the OOM killer would
            writer = next(mw.process.process for mw in crawler.engine.downloader.middleware.middlewares
                          if hasattr(mw, "archive_config"))
            os.kill(writer.pid, signal.SIGKILL)
            writer.join()


    if __name__ == "__main__":
        process = CrawlerProcess({
            "DCA_OUT_DIR": out_dir,
            "DCA_WARC_PREFIX": "TEST",
            "DCA_WARCINFO": {"operator": "tests"},
            "DOWNLOADER_MIDDLEWARES": {FailingDiskCapture: 950},
            "ROBOTSTXT_OBEY": True,
            "USER_AGENT": "dca-test (+http://127.0.0.1/contact)",
            "LOG_LEVEL": "INFO",
            "TELNETCONSOLE_ENABLED": False,
        })
        crawler = process.create_crawler(CaptureSpider)
        crawler.signals.connect(on_capture, signal=capture_written)
        process.crawl(crawler)
        process.start()
        json.dump({"signalled": signalled, "seen": seen, "stats": crawler.stats.get_stats()},
                  open(out_dir + "/result.json", "w"), default=str)
''')


def run_crawl(tmp_path: Path, *failing_paths: str, kill_writer: bool = False, unwritable: bool = False):
    """Crawl the loopback server into tmp_path/out; return (out_dir, result, server_log).
    Writing the responses of `failing_paths` to WARC fails as on a full disk; with
    `kill_writer`, the WARC writer's process is killed once the first capture is written; with
    `unwritable`, the writer's process cannot open its archive."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    script = tmp_path / "capture_spider.py"
    script.write_text(SPIDER)
    env = dict(os.environ, PYTHONPATH=str(REPO), KILL_WRITER="1" if kill_writer else "",
               UNWRITABLE="1" if unwritable else "")
    with LoopbackServer() as server:
        proc = subprocess.run(
            [sys.executable, str(script), server.base, str(out_dir), *failing_paths],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        log = dict(server.httpd.log)
    result = json.loads((out_dir / "result.json").read_text())
    result["stderr"] = proc.stderr
    return out_dir, result, log, server.base


def read_records(warc_dir: Path):
    """All records of all files: dicts with file, offset, type, headers, http, payload."""
    records = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                # raw_stream: the payload as stored (content_stream() would decode it).
                payload = rec.raw_stream.read()
                records.append({
                    "file": path.name, "offset": it.get_record_offset(), "type": rec.rec_type,
                    "headers": rec.rec_headers, "http": rec.http_headers, "payload": payload,
                })
    return records


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out_dir, result, log, base = run_crawl(tmp_path_factory.mktemp("capture"))
    return {"out": out_dir, "result": result, "log": log, "base": base,
            "records": read_records(out_dir / "warc")}


def _response(crawl, path):
    url = crawl["base"] + path
    found = [r for r in crawl["records"]
             if r["type"] == "response" and r["headers"].get_header("WARC-Target-URI") == url]
    assert len(found) == 1, f"{url}: {len(found)} response records"
    return found[0]


def _request_for(crawl, response):
    resp_id = response["headers"].get_header("WARC-Record-ID")
    found = [r for r in crawl["records"] if r["type"] == "request"
             and r["headers"].get_header("WARC-Concurrent-To") == resp_id]
    assert len(found) == 1
    return found[0]


def test_warcio_check_passes(crawl):
    for path in (crawl["out"] / "warc").glob("*.warc.gz"):
        proc = subprocess.run([str(VENV_BIN / "warcio"), "check", str(path)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gzip_body_kept_compressed_with_content_encoding(crawl):
    rec = _response(crawl, "/gz?x=1&y=two")
    assert rec["payload"] == GZ_BODY == crawl["log"]["/gz?x=1&y=two"]["body"]
    assert rec["http"].get_header("Content-Encoding") == "gzip"
    assert rec["http"].get_header("Content-Length") == str(len(GZ_BODY))
    # The spider itself saw the decoded page: capture happened before decompression.
    seen = [s for s in crawl["result"]["seen"] if s["url"].endswith("/gz?x=1&y=two")]
    assert "Tanks and drones." in seen[0]["body"]


def test_chunked_body_dechunked_without_transfer_encoding(crawl):
    rec = _response(crawl, "/chunked")
    assert rec["payload"] == b"".join(CHUNKS)
    assert rec["http"].get_header("Transfer-Encoding") is None


def test_repeated_headers_all_kept(crawl):
    rec = _response(crawl, "/cookies")
    cookies = [v for k, v in rec["http"].headers if k.lower() == "set-cookie"]
    assert cookies == ["a=1; Path=/", "b=2; Path=/"]


def test_redirect_captured_before_redirect_middleware(crawl):
    rec = _response(crawl, "/old")
    assert rec["http"].get_statuscode() == "301"
    assert rec["http"].statusline == "301 Moved Permanently"
    assert rec["http"].get_header("Location") == "/cookies"
    seen = [s for s in crawl["result"]["seen"] if s["url"].endswith("/cookies")]
    assert seen[0]["redirect_urls"] == [crawl["base"] + "/old"]


def test_request_record_is_the_real_request(crawl):
    path = "/gz?x=1&y=two"
    resp = _response(crawl, path)
    req = _request_for(crawl, resp)
    http = req["http"]
    assert f"{http.protocol} {http.statusline}" == f"GET {path} HTTP/1.1"
    assert http.headers[0] == ("Host", crawl["base"].split("//")[1])
    assert "gzip" in http.get_header("Accept-Encoding")
    assert http.get_header("User-Agent") == "dca-test (+http://127.0.0.1/contact)"
    # Every header the server received is in the record (and nothing more).
    received = sorted((k.lower(), v) for k, v in crawl["log"][path]["headers"])
    recorded = sorted((k.lower(), v) for k, v in http.headers)
    assert recorded == received


def test_request_and_response_linked_and_same_date(crawl):
    for path in ("/gz?x=1&y=two", "/chunked", "/old", "/cookies", "/robots.txt"):
        resp = _response(crawl, path)
        req = _request_for(crawl, resp)
        assert req["file"] == resp["file"]
        assert req["headers"].get_header("WARC-Date") == resp["headers"].get_header("WARC-Date")
        assert "." in resp["headers"].get_header("WARC-Date")  # microseconds
        assert resp["headers"].get_header("WARC-Concurrent-To") == req["headers"].get_header("WARC-Record-ID")
        assert resp["headers"].get_header("WARC-Payload-Digest").startswith("sha1:")
        assert resp["headers"].get_header("WARC-Block-Digest").startswith("sha1:")
        assert resp["headers"].get_header("WARC-IP-Address") == "127.0.0.1"


def test_robots_txt_passes_the_middleware(crawl):
    rec = _response(crawl, "/robots.txt")
    assert rec["payload"] == ROBOTS
    # /private was forbidden by robots.txt: never fetched, never archived.
    assert "/private" not in crawl["log"]
    assert not [r for r in crawl["records"]
                if r["headers"].get_header("WARC-Target-URI", "").endswith("/private")]


def test_warc_version_and_warcinfo(crawl):
    assert all(r["headers"].protocol == "WARC/1.1" for r in crawl["records"])
    first = crawl["records"][0]
    assert first["type"] == "warcinfo"
    info = first["payload"].decode()
    assert "software: dca/" in info and "operator: tests" in info
    assert '"ROBOTSTXT_OBEY": true' in info
    assert first["file"].startswith("TEST-")


def test_captures_signalled_and_point_at_records(crawl):
    signalled = crawl["result"]["signalled"]
    urls = sorted(s["capture"]["url"].removeprefix(crawl["base"]) for s in signalled)
    assert urls == ["/chunked", "/cookies", "/gz?x=1&y=two", "/old", "/robots.txt"]
    for s in signalled:
        cap = s["capture"]
        assert s["meta_is_capture"]
        assert cap["status"] == s["response_status"] and cap["warc_type"] == "response"
        with open(crawl["out"] / "warc" / cap["warc_file"], "rb") as fh:
            fh.seek(cap["warc_offset"])
            member = fh.read(cap["warc_length"])
        rec = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert rec.rec_headers.get_header("WARC-Record-ID") == cap["warc_record_id"]
        assert rec.rec_headers.get_header("WARC-Date") == cap["fetched_at"]
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == cap["payload_digest"]
    gz = [s for s in crawl["result"]["seen"] if s["url"].endswith("/gz?x=1&y=two")][0]
    assert gz["meta_capture"]["content_type"] == "text/html; charset=utf-8"


def test_a_callback_runs_only_once_its_response_is_written(crawl):
    # The capture middleware writes before it hands the response on.
    seen = crawl["result"]["seen"]
    assert len(seen) == 3 and all(s["written_when_parsed"] for s in seen)


def test_a_failed_write_is_counted_logged_and_not_processed(tmp_path):
    out_dir, result, _log, base = run_crawl(tmp_path, "/chunked")
    assert result["stats"]["warc/write_failed"] == 1
    assert f"WARC write failed for {base}/chunked" in result["stderr"]
    assert "No space left on device" in result["stderr"]
    # Its callback never ran (so /private, which it asks for, was never fetched); the rest went on.
    assert sorted(s["url"].removeprefix(base) for s in result["seen"]) == ["/cookies", "/gz?x=1&y=two"]
    assert "/chunked" not in {s["capture"]["url"].removeprefix(base) for s in result["signalled"]}
    records = read_records(out_dir / "warc")
    uris = {r["headers"].get_header("WARC-Target-URI") for r in records if r["type"] == "response"}
    assert uris == {base + p for p in ("/robots.txt", "/gz?x=1&y=two", "/old", "/cookies")}
    for path in (out_dir / "warc").glob("*.warc.gz"):
        check = subprocess.run([str(VENV_BIN / "warcio"), "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_dead_writer_process_stops_the_crawl_and_leaves_whole_files(tmp_path):
    out_dir, result, _log, base = run_crawl(tmp_path, kill_writer=True)
    stats = result["stats"]
    assert stats["finish_reason"] == "warc_writer_died"
    assert stats["warc/write_failed"] >= 1
    assert "the WARC writer process died" in result["stderr"] and "dca verify" in result["stderr"]
    # Only the capture written before the kill reached the spider; its record is whole.
    assert [s["capture"]["url"] for s in result["signalled"]] == [base + "/robots.txt"]
    assert result["seen"] == []
    for path in (out_dir / "warc").glob("*.warc.gz"):
        check = subprocess.run([str(VENV_BIN / "warcio"), "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_writer_that_cannot_open_its_archive_says_why_and_stops_the_crawl(tmp_path):
    out_dir, result, _log, _base = run_crawl(tmp_path, unwritable=True)
    assert result["stats"]["finish_reason"] == "warc_writer_died"
    # Said in the crawl's own log (the writer's stderr traceback alone is easily missed).
    failed = [line for line in result["stderr"].splitlines() if "WARC write failed for" in line]
    assert failed and f"[Errno 13] Permission denied: '{out_dir / 'warc'}'" in failed[0]
    assert result["seen"] == [] and result["signalled"] == []


def test_stats(crawl):
    stats = crawl["result"]["stats"]
    files = len(list((crawl["out"] / "warc").glob("*.warc.gz")))
    assert stats["warc/files"] == files == 1
    assert stats["warc/records"] == len(crawl["records"]) == 1 + 2 * 5
    assert stats["warc/bytes"] == sum(p.stat().st_size for p in (crawl["out"] / "warc").glob("*"))


def test_second_crawl_into_same_dir_adds_a_new_file(crawl):
    # A new writer in an existing directory never touches the old files.
    from archive.warc import WarcWriter

    warc_dir = crawl["out"] / "warc"
    before = {p.name: p.read_bytes() for p in warc_dir.glob("*.warc.gz")}
    with WarcWriter(warc_dir, prefix="TEST") as w:
        w.write_exchange("http://x.test/", request_line="GET / HTTP/1.1",
                         request_headers=[("Host", "x.test")], status=200,
                         response_headers=[], response_body=b"x")
    after = {p.name: p.read_bytes() for p in warc_dir.glob("*.warc.gz")}
    assert len(after) == len(before) + 1
    assert all(after[name] == data for name, data in before.items())
    (warc_dir / w.files[0]).unlink()  # leave the module fixture as it was
