"""Runs the pure extractor in worker processes so parsing never stalls the downloader.

Extraction is CPU-bound Python; on the reactor's thread it would hold back every
download. Workers load the same extractor (DCA_EXTRACTOR) and site profiles, so
the record is identical to an in-process call. With 0 workers it runs inline.
"""

import asyncio
import functools
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.utils.misc import load_object

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


class ExtractionPool:
    def __init__(self, extractor_path: str, workers: int):
        self.extractor_path = extractor_path
        self.workers = workers
        self.executor = None
        _load(extractor_path)

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            # spawn, not fork: the parent runs a reactor and threads that a fork would copy mid-flight.
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_load, initargs=(self.extractor_path,),
            )
        return self.executor

    async def extract(self, url: str, body: bytes, content_type: str | None, site_id: str,
                      zone: str | None = None) -> dict:
        """The page record of one response, read with profile `site_id` in time zone `zone` (None: the profile's)."""
        if self.workers <= 0:
            return _extract(url, body, content_type, site_id, zone)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), _extract, url, body, content_type, site_id, zone)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a fresh pool and report this page.
            logger.error("extraction worker died while parsing %s; restarting the pool", url)
            self.executor = None
            raise

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
