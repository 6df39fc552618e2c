"""Scheduled runs, incremental: three crawls of the sample site into one output directory, a day apart.

"Now" follows the sample site's `day_clock(N)` (DCA_NOW). The expectations are
computed from the sample site's own data and the server's request log (what
it served, day by day), never written down as numbers:

- which article pages each run fetches: unknown ones, young ones (published less
  than DCA_REFETCH_DAYS before now), and those whose sitemap lastmod (or feed
  pubDate) is newer than the clock of the run that last captured them;
- the `crawls` counts: every served response classified new / changed /
  unchanged against the bytes the same URL served last time, 4xx/5xx as failed,
  the known articles not asked for as skipped, /private/ links as robots refusals;
- the edited article (EDITED_ARTICLE) gets its second article_versions row in
  the run where its new text first shows, and no third one later.
"""

import re
from datetime import timedelta

import pytest

from tests.crawl_helpers import connect, run_dca_crawl
from tests.sample_site import SampleSite, day_clock
from tests.sample_site.data import EDITED_ARTICLE
from tests.sample_site.server import build_response

N_ARTICLES = 38
REFETCH_DAYS = 7
DAYS = (0, 1, 2)
FEED_ITEMS = 10


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("incremental")
    runs = []
    with SampleSite(n_articles=N_ARTICLES) as site:
        for day in DAYS:
            if day:
                site.advance()
            mark = len(site.requests())
            run_dca_crawl(site.base_url, out, f"DCA_NOW={day_clock(day).isoformat()}",
                          f"DCA_REFETCH_DAYS={REFETCH_DAYS}")
            runs.append({"day": day, "data": site.data, "log": site.requests()[mark:]})
        base = site.base_url
    return out, base, runs


def expected_article_fetches(runs, base):
    """Per run: the article paths the incremental rules fetch, and the known ones they skip."""
    stored_clock = {}   # path -> clock of the run that last fetched (and stored) the article
    expected = []
    for run in runs:
        data, now = run["data"], day_clock(run["day"])
        feed = {a.path for a in data.listed[:FEED_ITEMS]}
        fetch, skip = set(), set()
        for article in data.articles:
            captured = stored_clock.get(article.path)
            wanted = (captured is None
                      or article.lastmod > captured
                      or (article.path in feed and article.published > captured)
                      or article.published >= now - timedelta(days=REFETCH_DAYS))
            (fetch if wanted else skip).add(article.path)
        for path in fetch:
            article = next(a for a in data.articles if a.path == path)
            if not article.expect_invalid:  # the empty draft is never stored, so stays unknown
                stored_clock[path] = now
        expected.append((fetch, skip))
    return expected


def test_each_run_fetches_the_new_young_and_changed_articles(three_runs):
    out, base, runs = three_runs
    for run, (fetch, skip) in zip(runs, expected_article_fetches(runs, base)):
        requested = {e.path for e in run["log"]}
        assert fetch <= requested, (run["day"], sorted(fetch - requested))
        assert not (skip & requested), (run["day"], sorted(skip & requested))
    second_fetch, second_skip = expected_article_fetches(runs, base)[1]
    new_article = next(a for a in runs[1]["data"].articles if a.published_day == 1)
    assert new_article.path in second_fetch and second_skip  # the day's article is fetched, most others are not


_SERVED = {}


def served(run, base, path, accept=None):
    """What the server sent for path on the run's day (rendering is deterministic; cached per run)."""
    key = (run["day"], path, accept)
    if key not in _SERVED:
        _SERVED[key] = build_response(run["data"], base, "GET", path, accept)
    return _SERVED[key]


def classify(runs, base):
    """Per run: counts of new / changed / unchanged / failed responses, from what the server sent."""
    last_body = {}
    out = []
    for run in runs:
        counts = dict(new=0, changed=0, unchanged=0, failed=0)
        for entry in run["log"]:
            accept = (entry.headers.get("accept-encoding") or [None])[0]
            response = served(run, base, entry.path, accept)
            if response.status >= 400:
                counts["failed"] += 1
                continue
            previous = last_body.get(entry.path)
            kind = "new" if previous is None else "unchanged" if previous == response.body else "changed"
            counts[kind] += 1
            last_body[entry.path] = response.body
        out.append(counts)
    return out


def robots_refusals(run, base) -> int:
    """Distinct /private/ URLs linked from the HTML pages this run fetched (robots.txt disallows them)."""
    links = set()
    for entry in run["log"]:
        response = served(run, base, entry.path)
        if "html" in response.page.content_type and response.status == 200:
            for href in re.findall(rb'href="([^"]+)"', response.page.body):
                href = href.decode().removeprefix(base)
                if href.startswith("/private/"):
                    links.add(href.split("#")[0])
    return len(links)


def test_crawls_rows_carry_the_counts_of_the_ground_truth(three_runs):
    out, base, runs = three_runs
    db = connect(out / "archive.sqlite")
    rows = db.execute("SELECT * FROM crawls ORDER BY id").fetchall()
    assert [r["status"] for r in rows] == ["finished"] * 3
    assert [r["clock"] for r in rows] == [day_clock(d).isoformat() for d in DAYS]
    for row, run, counts, (fetch, skip) in zip(rows, runs, classify(runs, base), expected_article_fetches(runs, base)):
        assert row["pages_new"] == counts["new"], run["day"]
        assert row["pages_changed"] == counts["changed"], run["day"]
        assert row["pages_skipped"] == len(skip), run["day"]
        assert row["pages_unchanged"] == counts["unchanged"] + len(skip), run["day"]
        assert row["pages_failed"] == counts["failed"], run["day"]
        assert row["pages_robots"] == robots_refusals(run, base) > 0, run["day"]
        captures = db.execute("SELECT count(*) FROM captures WHERE crawl_id = ?", (row["id"],)).fetchone()[0]
        assert captures == len(run["log"]) == counts["new"] + counts["changed"] + counts["unchanged"] + counts["failed"]
    assert rows[0]["pages_changed"] == rows[0]["pages_unchanged"] == 0
    assert rows[1]["pages_changed"] > 0 and rows[2]["pages_skipped"] > 0


def test_the_edited_article_becomes_a_new_version_where_it_first_shows(three_runs):
    out, base, runs = three_runs
    texts = [next(a for a in run["data"].articles if a.index == EDITED_ARTICLE).blocks for run in runs]
    first_change = next(k for k in range(1, len(runs)) if texts[k] != texts[k - 1])
    path = next(a for a in runs[0]["data"].articles if a.index == EDITED_ARTICLE).path
    db = connect(out / "archive.sqlite")
    versions = db.execute(
        "SELECT v.body_text, c.crawl_id FROM article_versions v JOIN articles a ON a.id = v.article_id"
        " JOIN captures c ON c.id = v.capture_id WHERE a.canonical_url = ? ORDER BY v.seen_at",
        (base + path,)).fetchall()
    assert [v["crawl_id"] for v in versions] == [1, first_change + 1]
    assert versions[1]["body_text"].endswith(texts[first_change][-1][1])
    assert not versions[0]["body_text"].endswith(texts[first_change][-1][1])


def test_every_request_names_a_contact_url(three_runs):
    out, base, runs = three_runs
    agents = {e.headers["user-agent"][0] for run in runs for e in run["log"]}
    assert agents and all(re.search(r"\+https?://\S+", agent) for agent in agents), agents


def test_the_three_runs_rebuild_to_an_equal_database(three_runs, tmp_path):
    from archive.rebuild import comparable_tables, rebuild

    out, base, runs = three_runs
    db = tmp_path / "rebuilt.sqlite"
    report = rebuild(out / "warc", db, workers=1)
    assert not report.damaged
    crawled, again = comparable_tables(out / "archive.sqlite"), comparable_tables(db)
    assert crawled.keys() == again.keys()
    for table in crawled:
        assert crawled[table] == again[table], table


@pytest.mark.parametrize("text, expected", [
    ("Thu, 26 Nov 2026 02:38:24 GMT", "2026-11-26T02:38:24+00:00"),   # every response's Date header
    ("Thu, 26 Nov 2026 04:38:24 +0200", "2026-11-26T04:38:24+02:00"),
    ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00+00:00"),            # sitemap lastmod
    ("2026-11-01", "2026-11-01T00:00:00+00:00"),
    ("November 3, 2026", "2026-11-03T00:00:00+00:00"),                  # left to dateparser
])
def test_dates_of_headers_sitemaps_and_feeds_are_read_with_their_offset(text, expected):
    from crawler.incremental import parse_when

    assert parse_when(text).isoformat() == expected
    assert parse_when("no date here") is None
