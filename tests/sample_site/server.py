"""A real HTTP/1.1 server for the sample site, bound to 127.0.0.1.

    with SampleSite() as site:          # n_articles=36, seed=7, port=0 (a free port)
        site.base_url                   # "http://127.0.0.1:PORT"
        site.data                       # SiteData (ground truth)
        site.request_log                # [LogEntry(method, path, headers), ...]
        site.fetch_exact("/")           # exactly what the server sends

Response framing per SPEC.md: articles with index % 3 == 0 are sent chunked,
index % 3 == 1 gzip-encoded when the request accepts gzip (CSS too), everything else
identity with Content-Length.  Nothing depends on the clock: the ``Date`` header is a
fixed value unless ``real_date=True``.
"""

from __future__ import annotations

import gzip
import socket
import threading
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import format_datetime, formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

from .data import SiteData, build_site, day_clock
from .render import Page, keep_everything, keeps_everything, render

SERVER_NAME = "ForwardLine-Sample/1.0"
FIXED_DATE = "Sat, 28 Jun 2025 12:00:00 GMT"


def fixed_date(day: int = 0) -> str:
    """The fixed ``Date`` header of ``day``: noon GMT, one day later per day."""
    if day == 0:
        return FIXED_DATE
    return format_datetime(day_clock(day).astimezone(timezone.utc), usegmt=True)
CHUNK_MAX = 8192


class LogEntry(NamedTuple):
    method: str
    path: str                      # path + query, as in the request line
    headers: dict[str, list[str]]  # lower-cased name -> values, in arrival order


@dataclass
class Response:
    """What the server sends for one request (before the Server/Date headers)."""
    status: int
    headers: list[tuple[str, str]]
    body: bytes                     # payload: content-encoded, not chunked
    chunks: list[bytes] | None      # the chunk framing when sent chunked
    page: Page

    @property
    def wire_body(self) -> bytes:
        if self.chunks is None:
            return self.body
        return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in self.chunks) + b"0\r\n\r\n"


def accepts_gzip(accept_encoding: str | None) -> bool:
    if not accept_encoding:
        return False
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if name in ("gzip", "x-gzip", "*"):
            q = 1.0
            for p in params.split(";"):
                k, _, v = p.strip().partition("=")
                if k.strip().lower() == "q":
                    try:
                        q = float(v)
                    except ValueError:
                        q = 0.0
            if q > 0:
                return True
    return False


def _gzip_of(site: SiteData, key, body: bytes) -> bytes:
    store = site.cache.setdefault("gzip", {})
    gz = store.get(key)
    if gz is None:
        if len(store) > 2000 and not keeps_everything(site):
            store.clear()
        gz = store[key] = gzip.compress(body, compresslevel=6, mtime=0)
    return gz


def split_chunks(body: bytes) -> list[bytes]:
    """Deterministic chunking: at least 3 chunks for a non-trivial body, <= 8 KiB each."""
    if not body:
        return []
    size = max(1, min(CHUNK_MAX, -(-len(body) // 3)))
    return [body[i:i + size] for i in range(0, len(body), size)]


def build_response(site: SiteData, base_url: str, method: str, path: str,
                   accept_encoding: str | None = None) -> Response:
    """Pure: the status, headers (minus Server/Date/Connection) and body for a request."""
    page = render(site, path, base_url)
    headers = [h for h in page.headers if h[0] == "Content-Type"]
    extra = [h for h in page.headers if h[0] != "Content-Type"]
    body = page.body
    chunks = None
    if page.mode == "chunked":
        chunks = split_chunks(body)
        headers.append(("Transfer-Encoding", "chunked"))
    elif page.mode == "gzip":
        if accepts_gzip(accept_encoding):
            body = _gzip_of(site, (base_url, path), body)
            headers.append(("Content-Length", str(len(body))))
            headers.append(("Content-Encoding", "gzip"))
        else:
            headers.append(("Content-Length", str(len(body))))
        headers.append(("Vary", "Accept-Encoding"))
    else:
        headers.append(("Content-Length", str(len(body))))
    headers += extra
    if method == "HEAD":
        return Response(page.status, headers, b"", None, page)
    return Response(page.status, headers, body, chunks, page)


# --------------------------------------------------------------------------- server

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120          # idle keep-alive connections are dropped after this
    # TCP_NODELAY, as nginx and Apache set on keep-alive connections: the head and the body
    # go out in two writes, and with Nagle's algorithm the body waited for the client's
    # delayed ACK (40 ms on Linux), which capped a crawl at ~16 requests per 40 ms.
    disable_nagle_algorithm = True
    server: "_Server"

    def version_string(self) -> str:
        return SERVER_NAME

    def date_time_string(self, timestamp=None) -> str:
        if self.server.real_date:
            return formatdate(timestamp, usegmt=True)
        data = getattr(self, "_data", None) or self.server.owner.data
        return fixed_date(data.day)

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet
        pass

    def _log(self) -> None:
        hdrs: dict[str, list[str]] = {}
        for k, v in self.headers.items():
            hdrs.setdefault(k.lower(), []).append(v)
        self.server.owner._record(LogEntry(self.command, self.path, hdrs))

    def _serve(self) -> None:
        self._log()
        owner = self.server.owner
        self._data = data = owner.data           # one day's data for the whole response
        resp = build_response(data, owner.base_url, self.command, self.path,
                              self.headers.get("Accept-Encoding"))
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if resp.chunks is not None:
            for c in resp.chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            self.wfile.write(b"0\r\n\r\n")
        elif resp.body:
            self.wfile.write(resp.body)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._log()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = b"Method Not Allowed\n"
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "SampleSite"
    real_date: bool

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SampleSite:
    """The sample site on 127.0.0.1; a context manager, or start()/stop()."""

    def __init__(self, n_articles: int = 36, seed: int = 7, port: int = 0, *,
                 day: int = 0, data: SiteData | None = None, real_date: bool = False,
                 host: str = "127.0.0.1", cache_all: bool = False, log: bool = True):
        self.data: SiteData = data if data is not None else build_site(n_articles, seed, day)
        self.cache_all = cache_all
        if cache_all:
            keep_everything(self.data)
        self.log = log  # False: request_log stays empty (a long benchmark's log only grows)
        self.port = port
        self.host = host
        self.real_date = real_date
        self.request_log: list[LogEntry] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle
    def start(self) -> "SampleSite":
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.owner = self
        httpd.real_date = self.real_date
        self.port = httpd.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"sample-site-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Foreground serving (``python -m tests.sample_site``)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> "SampleSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the next day
    @property
    def day(self) -> int:
        return self.data.day

    def set_day(self, day: int) -> SiteData:
        """Serve the site as it is on ``day`` from now on (same port, same base URL).
        The new data is built first and swapped in with one assignment: a request is
        answered wholly from the old or wholly from the new day."""
        d = self.data
        new = build_site(d.n_articles or len(d.articles), d.seed, day)
        if self.cache_all:
            keep_everything(new)
        self.data = new
        return new

    def advance(self, days: int = 1) -> SiteData:
        """Move the running site ``days`` forward (see SPEC.md, "The next day")."""
        return self.set_day(self.day + days)

    # -- log
    def _record(self, entry: LogEntry) -> None:
        if not self.log:
            return
        with self._lock:
            self.request_log.append(entry)

    def requests(self) -> list[LogEntry]:
        """A snapshot of the request log."""
        with self._lock:
            return list(self.request_log)

    def requested_paths(self, method: str | None = None) -> list[str]:
        return [e.path for e in self.requests() if method is None or e.method == method]

    def clear_log(self) -> None:
        with self._lock:
            self.request_log.clear()

    # -- helpers
    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def expected_response(self, path: str, accept_encoding: str | None = None,
                          method: str = "GET") -> Response:
        return build_response(self.data, self.base_url, method, path, accept_encoding)

    def fetch_exact(self, path: str, accept_encoding: str | None = None, method: str = "GET",
                    headers: list[tuple[str, str]] | None = None) -> "RawResponse":
        return fetch_exact(self.base_url, path, accept_encoding, method=method, headers=headers)


# --------------------------------------------------------------------------- raw client

@dataclass
class RawResponse:
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]   # as sent, repeated headers kept, order kept
    body: bytes                      # payload: de-chunked, still content-encoded
    wire_body: bytes                 # body bytes exactly as on the wire (chunk framing kept)
    raw: bytes = field(repr=False, default=b"")   # status line + headers + wire body

    def header(self, name: str) -> str | None:
        vals = self.header_list(name)
        return vals[0] if vals else None

    def header_list(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def decoded(self) -> bytes:
        if (self.header("Content-Encoding") or "").lower() == "gzip":
            return gzip.decompress(self.body)
        return self.body


def _read_line(f) -> bytes:
    line = f.readline(65537)
    if not line:
        raise ConnectionError("connection closed early")
    return line


def fetch_exact(base_url: str, path: str, accept_encoding: str | None = None, *,
                method: str = "GET", headers: list[tuple[str, str]] | None = None,
                timeout: float = 10.0) -> RawResponse:
    """Send one request over a fresh socket and return exactly what came back."""
    hostport = base_url.split("://", 1)[1].rstrip("/")
    host, _, port = hostport.partition(":")
    req = [f"{method} {path} HTTP/1.1", f"Host: {hostport}", "User-Agent: sample-site-fetch/1.0"]
    if accept_encoding is not None:
        req.append(f"Accept-Encoding: {accept_encoding}")
    for k, v in headers or []:
        req.append(f"{k}: {v}")
    data = ("\r\n".join(req) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection((host, int(port or 80)), timeout=timeout) as s:
        s.sendall(data)
        f = s.makefile("rb")
        raw = bytearray()
        status_line = _read_line(f)
        raw += status_line
        version, status, reason = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        hdrs: list[tuple[str, str]] = []
        while True:
            line = _read_line(f)
            raw += line
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs.append((k.strip(), v.strip()))
        lower = {k.lower(): v for k, v in hdrs}
        code = int(status)
        wire = bytearray()
        body = bytearray()
        if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            pass
        elif lower.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = _read_line(f)
                wire += size_line
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:                      # trailers, then the empty line
                        t = _read_line(f)
                        wire += t
                        if t in (b"\r\n", b"\n"):
                            break
                    break
                chunk = f.read(size)
                crlf = f.read(2)
                wire += chunk + crlf
                body += chunk
        elif "content-length" in lower:
            n = int(lower["content-length"])
            chunk = f.read(n)
            wire += chunk
            body += chunk
        else:
            rest = f.read()
            wire += rest
            body += rest
        raw += wire
        f.close()
    return RawResponse(code, reason, version, hdrs, bytes(body), bytes(wire), bytes(raw))
