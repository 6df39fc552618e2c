"""Runs the pure extractor in worker processes so parsing never stalls the downloader.

Extraction is CPU-bound Python; on the reactor's thread it would hold back every
download. Workers load the same extractor (DCA_EXTRACTOR) and site profiles, so
the record is identical to an in-process call. With 0 workers it runs inline.

`read_page` also finds the page's links there (crawler/spiders/links.py), from
the same bytes: the reactor then parses no HTML at all, only follows the URLs.
Calls reach the workers through crawler/worker_process.py, from the event loop itself.
"""

import functools
import logging
import traceback
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from scrapy.utils.misc import load_object

from crawler.worker_process import WorkerProcess

logger = logging.getLogger(__name__)

_extractor = None


def _load(extractor_path: str) -> None:
    global _extractor
    _extractor = load_object(extractor_path)


@functools.lru_cache(maxsize=64)
def _profile(site_id: str, zone: str | None):
    from crawler.sites import get_profile

    return get_profile(site_id).with_timezone(zone)


def _extract(url: str, body: bytes, content_type: str | None, site_id: str, zone: str | None = None) -> dict:
    # Workers get (profile id, zone), not the profile: a site list's zone replaces the profile's own.
    return _extractor(url, body, content_type=content_type, profile=_profile(site_id, zone))


@dataclass
class PageReading:
    """What a worker read in one HTML page."""

    links: list[str]                                   # same-site pages worth visiting, in page order
    requisites: list[str] = field(default_factory=list)  # same-site CSS, scripts, images (when asked)
    record: dict | None = None                         # the page record (when asked and extraction worked)
    error: str | None = None                           # the extractor's traceback, when it raised
    outlinks: list | None = None                       # an article's every link, for its WARC metadata record


def read_links(url: str, body: bytes, content_type: str | None, root: str, profile,
               requisites: bool, resolved=None) -> PageReading:
    """The links a spider follows from one page (`resolved`: a PageLinks of url, to share)."""
    from crawler.extract.html import parse_body
    from crawler.spiders.links import PageLinks, page_links, requisite_links

    doc = parse_body(body, content_type)
    if doc is None:
        return PageReading([])
    resolved = resolved or PageLinks(url)
    return PageReading(page_links(doc, url, root, profile.is_denied, resolved),
                       requisite_links(doc, url, root, resolved) if requisites else [])


def _read_page(url: str, body: bytes, content_type: str | None, site_id: str, zone: str | None,
               root: str, extract: bool) -> PageReading:
    from crawler.spiders.links import PageLinks

    profile = _profile(site_id, zone)
    # The links, the record and the outlinks all come from one parse (parse_body keeps it),
    # and each distinct link value is resolved once for the three.
    resolved = PageLinks(url)
    reading = read_links(url, body, content_type, root, profile, requisites=extract, resolved=resolved)
    if extract:
        try:
            reading.record = _extractor(url, body, content_type=content_type, profile=profile)
        except Exception as error:  # the links still count: the crawl goes on from this page
            reading.error = "".join(traceback.format_exception(error))
        if (reading.record or {}).get("page_type") == "article":
            from archive.metadata import document_outlinks
            from crawler.extract.html import parse_body

            reading.outlinks = document_outlinks(parse_body(body, content_type), url, resolved)
    return reading


class ExtractionPool:
    def __init__(self, extractor_path: str, workers: int):
        self.extractor_path = extractor_path
        self.workers = workers
        self.processes: list[WorkerProcess] = []
        _load(extractor_path)

    def start(self) -> None:
        """Start the workers now: their imports then overlap the crawl's first requests
        (robots.txt, sitemaps) instead of holding up its first page."""
        if self.workers > 0:
            self._worker()

    def _worker(self) -> WorkerProcess:
        """The live worker owing the fewest answers; missing or dead ones are started afresh."""
        self.processes = [p for p in self.processes if not p.dead]
        while len(self.processes) < self.workers:
            self.processes.append(WorkerProcess(_load, (self.extractor_path,), name="dca-extract"))
        return min(self.processes, key=lambda p: len(p.owed))

    async def extract(self, url: str, body: bytes, content_type: str | None, site_id: str,
                      zone: str | None = None) -> dict:
        """The page record of one response, read with profile `site_id` in time zone `zone` (None: the profile's)."""
        return await self._call(f"parsing {url}", _extract, url, body, content_type, site_id, zone)

    async def read_page(self, url: str, body: bytes, content_type: str | None, site_id: str,
                        zone: str | None, root: str, extract: bool) -> PageReading:
        """Links (and requisites and the record when `extract`) of one HTML page; see PageReading."""
        return await self._call(f"parsing {url}", _read_page, url, body, content_type, site_id, zone, root, extract)

    async def parse_rest(self, kind: str, body: bytes, headers: dict, timezone: str | None) -> dict | None:
        """A REST answer read in a worker (crawler.pages.parse_rest_answer); inline if the worker died."""
        from crawler.pages import parse_rest_answer

        try:
            return await self._call("reading a REST answer", parse_rest_answer, kind, body, headers, timezone)
        except BrokenProcessPool:
            return parse_rest_answer(kind, body, headers, timezone)

    async def _call(self, what: str, fn, *args):
        """fn(*args) in a worker (inline with 0 workers)."""
        if self.workers <= 0:
            return fn(*args)
        try:
            return await self._worker().call(fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the next call starts a fresh one.
            logger.error("extraction worker died while %s; starting a new one", what)
            raise

    def close(self) -> None:
        for process in self.processes:
            process.close()
        self.processes = []
