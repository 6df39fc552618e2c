"""Downloader middlewares of our own; each is wired in settings.py."""

from twisted.internet.defer import Deferred

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, without letting the first requests of a crawl through.

    In Scrapy 2.19 every request that waits for a host's robots.txt awaits one shared
    Deferred; only the first waiter receives the parser and the others get None,
    which Scrapy reads as "allowed". Once robots.txt has been parsed, the parser is
    in `_parsers`, so a waiter that got None looks it up there.
    """

    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            known = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(known, Deferred):
                return known
        return parser
