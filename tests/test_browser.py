"""A replayed article in headless Chromium: text and lead image come from the archive, nothing from the live site.

Chromium (Debian's `chromium` package) is driven over the DevTools protocol on a
pipe (--remote-debugging-pipe: JSON messages on fds 3/4, NUL-terminated), so no
websocket library is needed. The live sample site is stopped before replay and a
listener takes its port: any request leaving for the live site would land there.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from urllib.parse import urlsplit

import pytest

from archive.replay import ReplayServer
from tests.crawl_helpers import connect, run_dca_crawl
from tests.sample_site.server import SampleSite

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--remote-debugging-pipe"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    """Headless Chromium with a fresh profile, spoken to over --remote-debugging-pipe."""

    def __init__(self, binary: str, profile_dir):
        to_r, self._to_w = os.pipe()      # we write commands, Chromium reads fd 3
        self._from_r, from_w = os.pipe()  # Chromium writes fd 4, we read
        # Chromium expects its pipe at fds 3 and 4: dup them there in the child.
        def setup():
            # Through high numbers first, in case to_r/from_w are 3 or 4 themselves.
            r, w = os.dup(to_r) + 100, os.dup(from_w) + 100
            os.dup2(to_r, r)
            os.dup2(from_w, w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        # pass_fds=(3, 4): close_fds runs after preexec_fn and keeps these.
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=setup, pass_fds=(3, 4), start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self._from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        os.close(self._to_w)
        os.close(self._from_r)


class Canary:
    """Listens on the stopped live site's port and counts connections."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.hits = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    binary = chromium_path()
    if binary is None:
        if os.environ.get("DCA_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    out = tmp_path_factory.mktemp("browser")
    with SampleSite(n_articles=6) as site:
        run_dca_crawl(site.base_url, out)
        live = site.base_url
    db = connect(out / "archive.sqlite")
    row = db.execute(
        "SELECT a.title, a.body_text, c.url, c.fetched_at, i.src FROM articles a JOIN captures c ON c.id = a.capture_id"
        " JOIN images i ON i.article_id = a.id AND i.is_lead ORDER BY a.id LIMIT 1").fetchone()
    assert row is not None, "no article with a lead image was archived"
    canary = Canary(urlsplit(live).port)  # the live site is down; its port is watched
    try:
        with ReplayServer(out) as replay:
            ts = "".join(ch for ch in row["fetched_at"] if ch.isdigit())[:14]
            url = replay.replay_url(row["url"], ts)
            browser = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
            try:
                target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
                session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
                browser.send("Network.enable", session=session)
                browser.send("Page.enable", session=session)
                browser.send("Page.navigate", {"url": url}, session=session)
                browser.wait_event("Page.loadEventFired", timeout=60)
                time.sleep(1.0)  # late (lazy) image requests
                result = browser.send("Runtime.evaluate", {"returnByValue": True, "expression": """
                    JSON.stringify({text: document.body.innerText,
                                    images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
                                             complete: i.complete, width: i.naturalWidth}))})"""}, session=session)
                page = json.loads(result["result"]["value"])
                requests = [e["params"]["request"]["url"] for e in browser.events
                            if e.get("method") == "Network.requestWillBeSent"]
                failed = [e["params"] for e in browser.events if e.get("method") == "Network.loadingFailed"]
            finally:
                browser.close()
            yield {"row": row, "page": page, "requests": requests, "failed": failed, "live": live,
                   "replay": replay.base_url, "canary": canary}
    finally:
        canary.close()


def test_article_text_comes_from_the_archive(replayed):
    text = replayed["page"]["text"]
    assert replayed["row"]["title"] in text
    first_paragraph = replayed["row"]["body_text"].split("\n\n")[0]
    assert first_paragraph[:80] in " ".join(text.split())


def test_lead_image_loads_from_the_archive(replayed):
    lead_path = urlsplit(replayed["row"]["src"]).path
    lead_stem = lead_path.rsplit(".", 1)[0]
    shown = [i for i in replayed["page"]["images"] if lead_stem.split("/")[-1] in i["src"]]
    assert shown, replayed["page"]["images"]
    for image in shown:
        assert image["src"].startswith(replayed["replay"] + "/archive/"), image
        assert image["complete"] and image["width"] > 0, image


def test_no_request_leaves_for_the_live_site(replayed):
    requests = replayed["requests"]
    assert requests and requests[0].startswith(replayed["replay"])
    live_host = urlsplit(replayed["live"]).netloc
    leaving = [u for u in requests if urlsplit(u).scheme in ("http", "https")
               and not u.startswith(replayed["replay"] + "/")]
    assert leaving == [], leaving
    assert not [u for u in requests if urlsplit(u).netloc == live_host]
    assert replayed["canary"].hits == 0
