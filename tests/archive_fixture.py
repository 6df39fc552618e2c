"""One archive shared by the rebuild and research tests: three real crawls of the sample site.

Day 0, day 0 again (unchanged pages become revisit records) and day 1 (an edited
article, an edited and a deleted comment, new replies, a new article). Built once
per test session; tests copy it before changing anything.
"""

from pathlib import Path

from tests.crawl_helpers import run_dca_crawl
from tests.sample_site.server import SampleSite

_BUILT: dict[str, Path] = {}


def three_crawls(tmp_path_factory) -> Path:
    if "out" not in _BUILT:
        out = tmp_path_factory.mktemp("three-crawls")
        with SampleSite(n_articles=36) as site:
            run_dca_crawl(site.base_url, out)
            run_dca_crawl(site.base_url, out)
            site.advance(1)
            run_dca_crawl(site.base_url, out)
        _BUILT["out"] = out
    return _BUILT["out"]
