"""A small loopback site that tests a crawler's manners: it answers 429/503 with Retry-After and logs when each request came.

Paths:
  /robots.txt        Crawl-delay and Disallow: /private/
  /                  links to every page below
  /limited           429 with `Retry-After: 2` the first time, then 200
  /dated             503 with `Retry-After: <HTTP-date 3 s ahead>` the first time, then 200
  /always-busy       429 with `Retry-After: 1`, every time
  /a, /b             plain pages
  /private/secret    disallowed by robots.txt; must never be requested
"""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CRAWL_DELAY = 0.5
PAGES = ("/limited", "/dated", "/always-busy", "/a", "/b", "/private/secret")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        server = self.server.owner
        now = time.time()
        with server.lock:
            seen = 1 + sum(1 for p, _, _ in server.log if p == self.path)
            server.log.append((self.path, now, self.headers.get("User-Agent", "")))
        status, headers, body = 200, [], b""
        if self.path == "/robots.txt":
            body = f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\nDisallow: /private/\n".encode()
            headers.append(("Content-Type", "text/plain"))
        elif self.path == "/":
            links = "".join(f'<a href="{p}">{p}</a> ' for p in PAGES)
            body = f"<html><head><title>home</title></head><body>{links}</body></html>".encode()
        elif self.path == "/limited" and seen == 1:
            status, headers = 429, [("Retry-After", "2")]
        elif self.path == "/dated" and seen == 1:
            server.dated_retry_after = formatdate(now + 3, usegmt=True)
            status, headers = 503, [("Retry-After", server.dated_retry_after)]
        elif self.path == "/always-busy":
            status, headers = 429, [("Retry-After", "1")]
        elif self.path in PAGES:
            body = f"<html><head><title>{self.path}</title></head><body><p>page {self.path}</p></body></html>".encode()
        else:
            status = 404
        if not any(h[0] == "Content-Type" for h in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        server.statuses.append(status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class PolitenessSite:
    def __init__(self):
        self.log: list[tuple[str, float, str]] = []   # (path, time, User-Agent) in arrival order
        self.statuses: list[int] = []                  # the status of each answer
        self.lock = threading.Lock()
        self.dated_retry_after = None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def times(self, path: str) -> list[float]:
        return [t for p, t, _ in self.log if p == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
