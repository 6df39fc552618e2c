"""Politeness against a real loopback server that keeps its own request timestamps (tests/politeness_server.py).

One `dca crawl` subprocess: Retry-After (seconds and HTTP-date) is waited out
before the retry, a host that stays busy gets RETRY_TIMES retries and no more,
Crawl-delay spaces the requests, robots.txt Disallow keeps /private/ out, and
every request names a contact URL.
"""

from email.utils import parsedate_to_datetime

import pytest

from tests.crawl_helpers import connect, run_dca_crawl
from tests.politeness_server import CRAWL_DELAY, PolitenessSite

RETRY_TIMES = 2
CONTACT = "https://archive.example.org/who-we-are"


@pytest.fixture(scope="module")
def polite_crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("polite")
    with PolitenessSite() as site:
        run_dca_crawl(site.base_url, out, f"RETRY_TIMES={RETRY_TIMES}", "DCA_FETCH_REQUISITES=0",
                      "DCA_RETRY_BACKOFF_BASE=0.5", f"DCA_CONTACT={CONTACT}", site="wordpress")
    return site, out


def test_429_retry_after_seconds_is_waited_out(polite_crawl):
    site, _ = polite_crawl
    first, second = site.times("/limited")  # exactly one retry: asked twice, not hammered
    assert second - first >= 2.0


def test_503_retry_after_http_date_is_waited_out(polite_crawl):
    site, _ = polite_crawl
    first, second = site.times("/dated")
    assert second >= parsedate_to_datetime(site.dated_retry_after).timestamp() - 0.01
    assert second - first >= 2.0


def test_a_host_that_stays_busy_gets_the_retry_cap_and_no_more(polite_crawl):
    site, out = polite_crawl
    times = site.times("/always-busy")
    assert len(times) == RETRY_TIMES + 1
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:]))
    row = connect(out / "archive.sqlite").execute("SELECT * FROM crawls").fetchone()
    assert row["pages_failed"] == sum(1 for status in site.statuses if status >= 400)  # every error answer


def test_crawl_delay_spaces_every_request(polite_crawl):
    site, _ = polite_crawl
    times = sorted(t for p, t, _ in site.log if p != "/robots.txt")
    gaps = [b - a for a, b in zip(times, times[1:])]
    # Spacing is kept when requests leave; arrival adds a few ms of jitter either way.
    assert len(gaps) >= 8 and min(gaps) >= 0.8 * CRAWL_DELAY, gaps
    assert sum(gaps) / len(gaps) >= CRAWL_DELAY, gaps


def test_robots_disallow_is_obeyed_and_counted(polite_crawl):
    site, out = polite_crawl
    assert not [p for p, _, _ in site.log if p.startswith("/private/")]
    row = connect(out / "archive.sqlite").execute("SELECT pages_robots FROM crawls").fetchone()
    assert row["pages_robots"] == 1


def test_user_agent_carries_the_operators_contact_url(polite_crawl):
    site, _ = polite_crawl
    assert site.log and all(agent.endswith(f"(archival crawler; +{CONTACT})") for _, _, agent in site.log)
