"""A loopback HTTP/1.1 server that writes responses byte by byte, for the fidelity matrix.

http.server would normalise what we want to test (reason phrases, header-name
case, the order of headers, non-UTF-8 bytes), so this server writes prepared
bytes to the socket itself and logs, per request, the raw request head it got and
the exact response head and body it sent.

    with FidelityServer() as server:
        server.base                        # "http://127.0.0.1:PORT"
        server.log[path]                   # [Sent(request_head, response_head, payload), ...]

Each ENDPOINTS entry is one case of the matrix. Connections are kept alive;
threads are daemons and the server stops with the context manager.
"""

from __future__ import annotations

import brotli
import gzip
import hashlib
import random
import socket
import threading
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

HTML = (b"<!doctype html><html><head><title>Fidelity</title></head><body>"
        b"<p>Armour, artillery and drones.</p>" + b"<p>Logistics wins wars.</p>" * 40 + b"</body></html>")
ETAG = '"v1-abc"'
LAST_MODIFIED = "Tue, 03 Jun 2025 10:00:00 GMT"
SERVER = b"Server: fidelity/1.0"
DATE = b"Date: Sat, 28 Jun 2025 12:00:00 GMT"


def _binary(size: int) -> bytes:
    return random.Random(4).randbytes(size)


@dataclass
class Endpoint:
    status_line: bytes                     # e.g. b"HTTP/1.1 200 OK"
    headers: list[bytes]                   # header lines as sent, without CRLF
    payload: bytes                         # the body, content-encoded, not chunked
    chunks: list[bytes] | None = None      # sent chunked in these pieces
    validators: dict = field(default_factory=dict)  # etag / last_modified: 304 on a match

    def head(self) -> bytes:
        lines = [self.status_line, SERVER, DATE, *self.headers]
        if self.chunks is None:
            lines.append(b"Content-Length: %d" % len(self.payload))
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def wire_body(self) -> bytes:
        if self.chunks is None:
            return self.payload
        return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in self.chunks) + b"0\r\n\r\n"


def _chunks(data: bytes, n: int = 3) -> list[bytes]:
    size = max(1, len(data) // n + 1)
    return [data[i:i + size] for i in range(0, len(data), size)]


def _ok(*headers: bytes, payload: bytes = HTML, reason: bytes = b"OK", chunks=None, **validators) -> Endpoint:
    return Endpoint(b"HTTP/1.1 200 " + reason, list(headers), payload, chunks, validators)


GZ = gzip.compress(HTML, mtime=0)
BIG = _binary(5 * 1024 * 1024)
HTML_TYPE = b"Content-Type: text/html; charset=utf-8"

# The matrix: path (with query) -> what the server sends.
ENDPOINTS: dict[str, Endpoint] = {
    "/robots.txt": _ok(b"Content-Type: text/plain", payload=b"User-agent: *\nDisallow: /private\n"),
    "/gzip": _ok(HTML_TYPE, b"Content-Encoding: gzip", b"Vary: Accept-Encoding", payload=GZ),
    "/br": _ok(HTML_TYPE, b"Content-Encoding: br", payload=brotli.compress(HTML)),
    "/deflate": _ok(HTML_TYPE, b"Content-Encoding: deflate", payload=zlib.compress(HTML)),
    "/chunked": _ok(HTML_TYPE, b"Transfer-Encoding: chunked", payload=HTML, chunks=_chunks(HTML)),
    "/chunked-gzip": _ok(HTML_TYPE, b"Content-Encoding: gzip", b"Transfer-Encoding: chunked",
                         payload=GZ, chunks=_chunks(GZ, 4)),
    "/repeated": _ok(HTML_TYPE, b"Set-Cookie: session=abc; Path=/; HttpOnly",
                     b'Link: </wp-json/>; rel="https://api.w.org/"',
                     b"Set-Cookie: consent=yes; Path=/; Max-Age=3600",
                     b'Link: </?p=42>; rel=shortlink'),
    # \xe9 alone is latin-1 'e-acute' and invalid UTF-8; \xff never occurs in UTF-8.
    "/non-utf8-header": _ok(HTML_TYPE, b"X-Author: Jos\xe9 Garc\xeda", b"X-Raw: \xff\xfe end"),
    "/header-case": _ok(b"content-type: text/html", b"x-lower: 1", b"X-MiXeD-CaSe: 2",
                        b"X-Spaces:   padded value"),
    "/reason": _ok(HTML_TYPE, reason=b"Fine, Thanks"),
    "/missing": Endpoint(b"HTTP/1.1 404 Nothing Here", [HTML_TYPE], b"<h1>Not found</h1>"),
    "/error": Endpoint(b"HTTP/1.1 500 Internal Server Error", [HTML_TYPE], b"<h1>Database error</h1>"),
    "/r1": Endpoint(b"HTTP/1.1 301 Moved Permanently", [b"Location: /r2", HTML_TYPE], b"<a href=/r2>moved</a>"),
    "/r2": Endpoint(b"HTTP/1.1 302 Found", [b"Location: /r3?final=1"], b""),
    "/r3?final=1": _ok(HTML_TYPE, payload=b"<p>End of the chain.</p>"),
    "/big.bin": _ok(b"Content-Type: application/octet-stream", payload=BIG),
    "/empty": _ok(b"Content-Type: text/plain", payload=b""),
    "/search?q=caf%C3%A9%20cr%C3%A8me&tag=a%2Fb&sort=%7Edate": _ok(HTML_TYPE, payload=b"<p>Results</p>"),
    # Conditional GET: 304 when the request's validator matches.
    "/etag": _ok(HTML_TYPE, b"ETag: " + ETAG.encode(), payload=b"<p>etag page</p>" * 20, etag=ETAG),
    "/lastmod": _ok(HTML_TYPE, b"Last-Modified: " + LAST_MODIFIED.encode(), payload=b"<p>dated page</p>" * 20,
                    last_modified=LAST_MODIFIED),
}
# The matrix proper (robots.txt and the conditional pages are helpers).
MATRIX = [p for p in ENDPOINTS if p not in ("/robots.txt", "/etag", "/lastmod")]


class Sent(NamedTuple):
    request_head: bytes    # exactly as received
    response_head: bytes   # exactly as sent
    payload: bytes         # body as sent, de-chunked (content encoding kept)


def not_modified(ep: Endpoint, request_head: bytes) -> bytes | None:
    headers = {}
    for line in request_head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().decode("latin-1")
    etag, lm = ep.validators.get("etag"), ep.validators.get("last_modified")
    if (etag and headers.get(b"if-none-match") == etag) or (
            lm and not headers.get(b"if-none-match") and headers.get(b"if-modified-since") == lm):
        lines = [b"HTTP/1.1 304 Not Modified", SERVER, DATE]
        if etag:
            lines.append(b"ETag: " + etag.encode())
        if lm:
            lines.append(b"Last-Modified: " + lm.encode())
        return b"\r\n".join(lines) + b"\r\n\r\n"
    return None


class FidelityServer:
    def __init__(self, endpoints: dict[str, Endpoint] | None = None):
        self.endpoints = endpoints or ENDPOINTS
        self.log: dict[str, list[Sent]] = {}
        self._lock = threading.Lock()

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket):
        conn.settimeout(30)
        buf = b""
        with conn:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                request_head = head + b"\r\n\r\n"
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
                ep = self.endpoints.get(target)
                if ep is None:
                    ep = Endpoint(b"HTTP/1.1 404 Not Found", [b"Content-Type: text/plain"], b"no such case")
                response_head, payload = not_modified(ep, request_head), b""
                wire = b""
                if response_head is None:
                    response_head, payload, wire = ep.head(), ep.payload, ep.wire_body()
                with self._lock:
                    self.log.setdefault(target, []).append(Sent(request_head, response_head, payload))
                try:
                    conn.sendall(response_head + wire)
                except OSError:
                    return


def sha1_b32(data: bytes) -> str:
    import base64

    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


if __name__ == "__main__":  # a manual look: python -m tests.fidelity_server
    import time

    with FidelityServer() as s:
        print(s.base)
        for path in MATRIX:
            print(" ", s.base + path)
        time.sleep(3600)
