"""Replay through pywb (its own venv) and compare bytes with what the server sent."""

from __future__ import annotations

import gzip
import json
import os
import urllib.error
import urllib.request

import pytest

from archive import replay
from archive.index import build_index
from archive.replay import ReplayServer, ReplayUnavailable
from tests.test_capture import CHUNKS, GZ_BODY, HTML, run_crawl

GZ = "/gz?x=1&y=two"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    """(status, headers, body) without following redirects or decoding anything."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        resp = opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30)
    except urllib.error.HTTPError as err:
        resp = err
    with resp:
        return resp.status, resp.headers, resp.read()


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses (hex, as in /proc/net/tcp*) listening on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:  # 0A = LISTEN
                found.add(addr)
    return found


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out_dir, result, log, base = run_crawl(tmp_path_factory.mktemp("replay"))
    return {"out": out_dir, "log": log, "base": base}


@pytest.fixture(scope="module")
def server(crawl):
    with ReplayServer(crawl["out"]) as srv:
        yield srv


def test_config_points_at_warcs_in_place(crawl, server):
    config = json.loads((crawl["out"] / ".replay" / "config.yaml").read_text())
    coll = config["collections"]["archive"]
    assert coll["archive_paths"] == str((crawl["out"] / "warc").resolve()) + "/"
    assert coll["index"] == str((crawl["out"] / ".replay" / "replay.cdxj").resolve())
    # Nothing copied: the only WARCs are the crawl's own.
    assert not list((crawl["out"] / ".replay").rglob("*.warc*"))
    lines = (crawl["out"] / "index.cdxj").read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == 5


def test_binds_loopback_only(server):
    assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1


def test_replays_the_page(crawl, server):
    status, headers, body = fetch(server.replay_url(crawl["base"] + GZ))
    assert status == 200
    assert b"Tanks and drones." in body


def test_id_mode_returns_exact_bytes_sent(crawl, server):
    # pywb's id_ mode gives the stored bytes only to a client that accepts the
    # stored Content-Encoding; here: the Accept-Encoding Scrapy sent.
    sent_ae = dict(crawl["log"][GZ]["headers"])["Accept-Encoding"]
    status, headers, body = fetch(server.replay_url(crawl["base"] + GZ, raw=True),
                                  {"Accept-Encoding": sent_ae})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert body == GZ_BODY == crawl["log"][GZ]["body"]


def test_id_mode_decodes_for_a_client_without_gzip(crawl, server):
    # Without Accept-Encoding pywb decompresses: the decoded payload, not the wire bytes.
    status, headers, body = fetch(server.replay_url(crawl["base"] + GZ, raw=True))
    assert status == 200 and headers.get("Content-Encoding") is None
    assert body == gzip.decompress(crawl["log"][GZ]["body"]) == HTML


def test_id_mode_chunked_body(crawl, server):
    status, headers, body = fetch(server.replay_url(crawl["base"] + "/chunked", raw=True))
    assert body == b"".join(CHUNKS) == crawl["log"]["/chunked"]["body"]


def test_replayed_redirect(crawl, server):
    status, headers, _ = fetch(server.replay_url(crawl["base"] + "/old", raw=True))
    assert status == 301 and headers["Location"] == "/cookies"


def test_replay_by_timestamp(crawl, server):
    line = next(l for l in (crawl["out"] / "index.cdxj").read_text().splitlines() if "/chunked" in l)
    ts = line.split()[1]
    status, _, body = fetch(server.replay_url(crawl["base"] + "/chunked", ts, raw=True))
    assert status == 200 and body == b"".join(CHUNKS)


def test_stop_ends_the_process_group(crawl):
    srv = ReplayServer(crawl["out"], reindex=False).start()
    pid = srv.proc.pid
    srv.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_missing_replay_venv_explains(monkeypatch, tmp_path):
    monkeypatch.setenv("DCA_REPLAY_VENV", str(tmp_path / "nope"))
    with pytest.raises(ReplayUnavailable, match="make setup"):
        replay.replay_venv()


def test_index_of_empty_dir(tmp_path):
    assert build_index(tmp_path).read_text() == ""
