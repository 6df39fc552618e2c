"""The site list's time zone reaches extraction, the warcinfo of every WARC file, and `dca rebuild`.

The sample site shows classic-theme articles with display dates only (no zone on
the page, no REST API). Crawled with the generic `wordpress` profile (UTC) and
`timezone = "America/New_York"` from a site list, those dates must come out in
New York time as the ground truth says, and a rebuild from the WARC alone must
give the same database.
"""

import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.rebuild import Rebuilder, comparable_tables, warcinfo_fields
from crawler.extract import extract_page
from crawler.sitelist import parse_sites
from crawler.sites import get_profile
from tests.crawl_helpers import REPO, connect, crawl_log_text
from tests.sample_site import SampleSite, expected_record, render

ZONE = "America/New_York"
SITE_LIST = """[sites.sample]
profile = "wordpress"
start_urls = ["{base}/"]
timezone = "{zone}"
delay = 0
concurrency = 16
autothrottle = false
  [sites.sample.settings]
  CONCURRENT_REQUESTS = 16
  DCA_PROGRESS_INTERVAL = 0
  DCA_EXTRACT_WORKERS = 1
"""


def test_with_timezone_replaces_only_the_zone():
    generic = get_profile("wordpress")
    assert generic.with_timezone(None) is generic and generic.with_timezone(generic.timezone) is generic
    zoned = generic.with_timezone(ZONE)
    assert zoned.timezone == ZONE and generic.timezone == "UTC"
    assert (zoned.id, zoned.layouts, zoned.article_url_patterns) == (generic.id, generic.layouts,
                                                                     generic.article_url_patterns)


def test_a_site_without_a_zone_keeps_its_profiles():
    [site] = parse_sites({"sites": {"ni": {"profile": "nationalinterest", "start_urls": ["https://x.test/"]}}})
    assert site.timezone is None and "DCA_SITE_TIMEZONE" not in site.crawl_settings()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zone")
    out = tmp / "out"
    with SampleSite(n_articles=8) as site:
        sites = tmp / "sites.toml"
        sites.write_text(SITE_LIST.format(base=site.base_url, zone=ZONE))
        result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites),
                                 "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        yield out, site


def test_display_dates_are_read_in_the_site_lists_zone(crawl):
    out, site = crawl
    classic = [a for a in site.data.articles if a.theme == "classic" and not a.rest_api and a.comments]
    assert classic, "the sample site has no classic article with comments: the test would prove nothing"
    db = connect(out / "archive.sqlite")
    for article in classic:
        expected = expected_record(article, site.base_url)
        row = db.execute("SELECT id, published_at FROM articles WHERE canonical_url = ?",
                         [expected["canonical_url"]]).fetchone()
        assert row is not None, expected["canonical_url"]
        assert row["published_at"] == expected["published_at"]
        posted = dict(db.execute("SELECT comment_id, posted_at FROM comments WHERE article_id = ?", [row["id"]]))
        assert posted == {c["id"]: c["posted_at"] for c in expected["comments"]}
        # The generic profile alone reads the same page in UTC: the zone is what made the difference.
        page = render(site.data, article.path, site.base_url)
        in_utc = extract_page(expected["url"], page.body, content_type=page.content_type,
                              profile=get_profile("wordpress"))
        assert in_utc["published_at"] != expected["published_at"]
        assert in_utc["published_at"].endswith("+00:00")
    assert db.execute("SELECT timezone FROM sites WHERE id = 'wordpress'").fetchone()[0] == ZONE
    db.close()
    assert crawl_log_text(out).count(f"site time zone {ZONE} replaces profile 'wordpress'") == 1


def test_every_warc_file_records_the_zone_and_the_rebuild_equals_the_crawl(crawl, tmp_path):
    out, _ = crawl
    files = sorted((out / "warc").glob("*.warc.gz"))
    assert files
    for path in files:
        with open(path, "rb") as fh:
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_type == "warcinfo"
            fields = warcinfo_fields(record)
        assert (fields["dca-site"], fields["dca-timezone"]) == ("wordpress", ZONE), path.name
    rebuilt = tmp_path / "rebuilt.sqlite"
    report = Rebuilder(out / "warc", rebuilt, workers=0).run()
    assert not report.damaged and not report.extract_errors
    crawled, again = comparable_tables(out / "archive.sqlite"), comparable_tables(rebuilt)
    assert crawled["comments"] and crawled["articles"]
    for table in crawled:
        assert crawled[table] == again[table], f"table {table} differs between crawl and rebuild"
