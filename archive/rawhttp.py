"""A download handler that keeps the HTTP heads exactly as they crossed the wire.

Scrapy's HTTP/1.1 handler builds its Response from Twisted's parsed response:
the reason phrase is dropped, header names are re-capitalised and the order of
different headers is lost. For a byte-faithful WARC we want the bytes. This
handler is Scrapy's own, with three hooks:

- the response parser (Scrapy's lenient one) also records the raw status line
  and every raw header line (continuation lines included) as received;
- the request's `_writeHeaders` is wrapped so that the request head Twisted
  actually writes to the socket (request line, Host, Connection, every header
  in order) is recorded too;
- the agent puts both into `request.meta["dca_raw_head"]` before the body is
  read: `{"request": bytes, "status_line": bytes, "header_lines": [bytes, ...]}`.

The capture middleware (archive/capture.py) writes these bytes verbatim, minus
Transfer-Encoding (Twisted de-chunks the body). What is NOT kept: a bare LF line
ending is written back as CRLF (Twisted splits lines on LF and strips CR), and
the request body is not captured from the wire (it is `request.body`, which is
what Twisted sends).

It relies on private Twisted/Scrapy names (`_writeHeaders`, `_parser`,
`_LenientHTTPClientParser`, `_ScrapyAgent`), as Scrapy itself does; the tests in
tests/test_fidelity.py fail loudly if an upgrade breaks it, and the middleware
falls back to reconstructing the heads from Scrapy's Response when the meta key
is missing.
"""

from __future__ import annotations

from twisted.web._newclient import STATUS

from scrapy.core.downloader.handlers import http11
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

META_KEY = "dca_raw_head"


class RawHead:
    """The raw heads of one exchange, filled in while the response is parsed."""

    __slots__ = ("request", "status_line", "header_lines")

    def __init__(self):
        self.request = b""
        self.status_line = b""
        self.header_lines: list[bytes] = []

    def as_dict(self) -> dict:
        return {"request": self.request, "status_line": self.status_line,
                "header_lines": list(self.header_lines)}


class _RawHeadParser(_LenientHTTPClientParser):
    """Scrapy's lenient parser, also keeping the status line and header lines as received."""

    _dca_raw: RawHead | None = None

    def lineReceived(self, line: bytes) -> None:
        raw = self._dca_raw
        if raw is not None:
            stripped = line.removesuffix(b"\r")
            if self.state == STATUS:
                raw.status_line = stripped
            elif stripped and stripped[:1] in b" \t" and raw.header_lines:
                # obs-fold continuation: part of the previous header line.
                raw.header_lines[-1] += b"\r\n" + stripped
            elif stripped:
                raw.header_lines.append(stripped)
        super().lineReceived(line)


class _Recorder:
    """Stands in for the transport while Twisted writes the request head."""

    def __init__(self, transport, raw: RawHead):
        self._transport = transport
        self._raw = raw

    def writeSequence(self, data):
        data = list(data)
        self._raw.request += b"".join(data)
        self._transport.writeSequence(data)

    def write(self, data):
        self._raw.request += data
        self._transport.write(data)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class _RawHeadProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request):
        raw = RawHead()
        write_headers = request._writeHeaders

        def _writeHeaders(transport, TEorCL):
            return write_headers(_Recorder(transport, raw), TEorCL)

        request._writeHeaders = _writeHeaders
        d = super().request(request)
        # super() set the parser's class to Scrapy's lenient one; ours extends it.
        if self._parser is not None:
            self._parser.__class__ = _RawHeadParser
            self._parser._dca_raw = raw

        def _attach(response):
            response._dca_raw = raw
            return response

        d.addCallback(_attach)
        return d


class _RawHeadFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):
        return _RawHeadProtocol(self._quiescentCallback)


class _RawHeadAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        raw = getattr(txresponse, "_dca_raw", None)
        if raw is not None:
            request.meta[META_KEY] = raw.as_dict()
        return super()._cb_bodyready(txresponse, request)


class RawHeadDownloadHandler(HTTP11DownloadHandler):
    """HTTP11DownloadHandler whose responses carry their raw heads in request.meta."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool._factory = _RawHeadFactory

    async def download_request(self, request):
        # Scrapy's download_request, with our agent class.
        agent = _RawHeadAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=getattr(self._crawler.spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(self._crawler.spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                http11.logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
