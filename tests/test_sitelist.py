"""The site list (crawler/sitelist.py): strict validation, the shipped example, and `dca crawl --sites` on real sites."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.sitelist import SiteListError, load_sites, parse_sites
from tests.crawl_helpers import REPO, connect
from tests.sample_site import SampleSite

EXAMPLE = REPO / "sites.example.toml"
GOOD = {"profile": "wordpress", "start_urls": ["https://example.org/"], "timezone": "America/New_York"}


def problems(data) -> list[str]:
    with pytest.raises(SiteListError) as caught:
        parse_sites(data)
    return caught.value.problems


def test_the_example_lists_the_design_sites_with_polite_defaults():
    sites = {s.name: s for s in load_sites(EXAMPLE)}
    assert set(sites) == {"19fortyfive", "nationalinterest", "warontherocks", "defenseone", "breakingdefense",
                          "responsiblestatecraft"}
    for site in sites.values():
        assert site.delay >= 2 and site.concurrency == 1 and site.max_pages > 0 and site.max_minutes > 0
        assert site.root.startswith("https://")
        settings = site.crawl_settings()
        assert settings["DOWNLOAD_DELAY"] == site.delay and settings["CLOSESPIDER_TIMEOUT"] == site.max_minutes * 60
    assert sites["responsiblestatecraft"].crawl_settings()["DCA_REFETCH_DAYS"] == 14


def test_unknown_keys_are_named_with_a_suggestion():
    found = problems({"sites": {"a": {**GOOD, "dealy": 3}}, "extra": 1})
    assert "[sites.a]: unknown key 'dealy' (did you mean 'delay'?)" in found
    assert any("unknown top-level key 'extra'" in p for p in found)


def test_missing_fields_bad_urls_profiles_zones_and_numbers_are_all_reported():
    found = problems({"sites": {
        "nourl": {"profile": "wordpress", "timezone": "UTC"},
        "badurl": {**GOOD, "start_urls": ["example.org/no-scheme"]},
        "badprofile": {**GOOD, "profile": "no-such-profile"},
        "badzone": {**GOOD, "timezone": "Mars/Olympus"},
        "badnumber": {**GOOD, "concurrency": 0, "delay": "slow"},
    }})
    assert "[sites.nourl]: missing field 'start_urls'" in found
    assert "[sites.badurl]: start_urls: 'example.org/no-scheme' is not an absolute http(s) URL" in found
    assert any(p.startswith("[sites.badprofile]: unknown profile 'no-such-profile' (known: ") for p in found)
    assert any(p.startswith("[sites.badzone]: unknown time zone 'Mars/Olympus'") for p in found)
    assert "[sites.badnumber]: concurrency must be a whole number >= 1, not 0" in found
    assert "[sites.badnumber]: delay must be a number >= 0, not 'slow'" in found
    assert len(found) == 6


def test_defaults_apply_and_sites_override_them():
    sites = parse_sites({"defaults": {"delay": 7, "max_pages": 10},
                         "sites": {"a": dict(GOOD), "b": {**GOOD, "delay": 1}}})
    assert [(s.name, s.delay, s.max_pages) for s in sites] == [("a", 7.0, 10), ("b", 1.0, 10)]


def test_cli_reports_a_bad_site_list_before_crawling(tmp_path):
    bad = tmp_path / "sites.toml"
    bad.write_text('[sites.x]\nprofile = "wordpress"\nstart_urls = ["ftp://x"]\ntimezone = "UTC"\n')
    result = CliRunner().invoke(main, ["crawl", "--sites", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "start_urls: 'ftp://x' is not an absolute http(s) URL" in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(main, ["crawl", "nosuchsite", "--sites", str(EXAMPLE)])
    assert result.exit_code != 0 and "no site 'nosuchsite'" in result.output
    result = CliRunner().invoke(main, ["crawl", "warontherocks"])
    assert result.exit_code != 0 and "--sites FILE" in result.output


LOOPBACK = """  [sites.{name}.settings]
  DOWNLOAD_DELAY = 0
  CONCURRENT_REQUESTS = 16
  DCA_PROGRESS_INTERVAL = 0
"""


def write_list(path: Path, sites: dict[str, str]) -> Path:
    text = "[defaults]\nprofile = \"dca-sample\"\ntimezone = \"America/New_York\"\ndelay = 0\nconcurrency = 16\n" \
           "autothrottle = false\n"
    for name, url in sites.items():
        # a further start URL that no page links to: only the site list can make the crawl ask for it
        text += f"\n[sites.{name}]\nstart_urls = [\"{url}/\", \"{url}/start-here/\"]\n" + LOOPBACK.format(name=name)
    path.write_text(text)
    return path


def test_crawl_sites_runs_every_site_into_one_directory_then_one_by_name(tmp_path):
    out = tmp_path / "out"
    with SampleSite(n_articles=10) as first, SampleSite(n_articles=10, seed=11) as second:
        sites = write_list(tmp_path / "sites.toml", {"alpha": first.base_url, "beta": second.base_url})
        command = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites), "--out", str(out)]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "/start-here/" in first.requested_paths() and "/start-here/" in second.requested_paths()
        before = len(first.requests())
        second_before = len(second.requests())
        result = subprocess.run(command[:4] + ["alpha", "--max-pages", "5"] + command[4:], cwd=REPO,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        assert len(second.requests()) == second_before  # only the site named
        asked = len(first.requests()) - before
    db = connect(out / "archive.sqlite")
    rows = db.execute("SELECT site, status, settings FROM crawls ORDER BY id").fetchall()
    assert [(r["site"], r["status"]) for r in rows] == [("alpha", "finished"), ("beta", "finished"),
                                                          ("alpha", "closespider_pagecount")]
    assert json.loads(rows[2]["settings"])["CLOSESPIDER_PAGECOUNT"] == 5
    assert 5 <= asked <= 5 + 16  # the page limit, plus what was already in flight
    hosts = {r[0].split("/")[2] for r in db.execute("SELECT canonical_url FROM articles")}
    assert hosts == {first.base_url.split("/")[2], second.base_url.split("/")[2]}
    assert "alpha: pages new" in result.stdout
