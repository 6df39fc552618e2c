"""The site list: which sites a scheduled `dca crawl --sites FILE` archives, and how politely.

A TOML file (read with tomllib). `[defaults]` is optional and gives any per-site
key for every site; each `[sites.NAME]` table is one site:

    [sites.warontherocks]
    profile = "wordpress"                          # site profile id (crawler/sites/)
    start_urls = ["https://warontherocks.com/"]    # the site's root first
    timezone = "America/New_York"                  # IANA zone of the site (default: the profile's)
    delay = 2.0                                    # seconds between requests (AutoThrottle's floor)
    concurrency = 1                                # parallel requests to the site
    max_pages = 5000                               # stop a run after this many responses (0: no limit)
    max_minutes = 120                              # stop a run after this long (0: no limit)
    autothrottle = true                            # adapt the delay to the site's latency
    [sites.warontherocks.settings]                 # any other Scrapy/dca setting, as with -s
    DCA_REFETCH_DAYS = 14

Validation is strict so a typo is caught when the file is written, not after a
month of silent misbehaviour: unknown keys, missing fields, bad URLs, unknown
profiles and time zones are reported together, with the site and key named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REQUIRED = ("profile", "start_urls")
DEFAULTS = {"timezone": None, "delay": 2.0, "concurrency": 1, "max_pages": 0, "max_minutes": 0, "autothrottle": True,
            "settings": {}}
KNOWN = set(REQUIRED) | set(DEFAULTS)
TOP_LEVEL = {"defaults", "sites"}


class SiteListError(ValueError):
    """The site list is unusable; `problems` lists every fault found, one per line."""

    def __init__(self, path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s) in the site list:\n"
                         + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Site:
    name: str
    profile: str
    start_urls: tuple[str, ...]
    timezone: str | None = None    # None: the profile's own zone
    delay: float = DEFAULTS["delay"]
    concurrency: int = DEFAULTS["concurrency"]
    max_pages: int = DEFAULTS["max_pages"]
    max_minutes: float = DEFAULTS["max_minutes"]
    autothrottle: bool = DEFAULTS["autothrottle"]
    settings: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return self.start_urls[0]

    def crawl_settings(self) -> dict:
        """Scrapy settings of a run of this site (the site's own `settings` win)."""
        out = {
            "DOWNLOAD_DELAY": self.delay,
            "AUTOTHROTTLE_START_DELAY": max(self.delay, 0.0),
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency,
            "DCA_SITE_NAME": self.name,
            "DCA_START_URLS": list(self.start_urls),
        }
        if self.timezone:  # dates shown without a zone are read in it (extraction, sitemaps)
            out["DCA_SITE_TIMEZONE"] = self.timezone
        if self.max_pages:
            out["CLOSESPIDER_PAGECOUNT"] = self.max_pages
        if self.max_minutes:
            out["CLOSESPIDER_TIMEOUT"] = self.max_minutes * 60
        out.update(self.settings)
        return out


def load_sites(path) -> list[Site]:
    """The sites of a site list file, in file order; SiteListError when anything is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteListError(path, ["file not found"]) from None
    except tomllib.TOMLDecodeError as err:
        raise SiteListError(path, [f"not valid TOML: {err}"]) from None
    return parse_sites(data, path)


def parse_sites(data: dict, path="<site list>") -> list[Site]:
    problems: list[str] = []
    for key in sorted(set(data) - TOP_LEVEL):
        problems.append(f"unknown top-level key {key!r} (expected [defaults] and [sites.NAME] tables)")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append("[defaults] must be a table")
        defaults = {}
    for key in sorted(set(defaults) - KNOWN):
        problems.append(f"[defaults]: unknown key {key!r}{_hint(key)}")
    tables = data.get("sites", {})
    if not isinstance(tables, dict) or not tables:
        problems.append("no sites: add at least one [sites.NAME] table")
        tables = {}
    sites = []
    for name, table in tables.items():
        site = _site(name, table, defaults, problems)
        if site is not None:
            sites.append(site)
    if problems:
        raise SiteListError(path, problems)
    return sites


def find_site(sites: list[Site], name: str) -> Site | None:
    return next((s for s in sites if s.name == name), None)


def _site(name: str, table, defaults: dict, problems: list[str]) -> Site | None:
    where = f"[sites.{name}]"
    if not isinstance(table, dict):
        problems.append(f"{where} must be a table")
        return None
    before = len(problems)
    for key in sorted(set(table) - KNOWN):
        problems.append(f"{where}: unknown key {key!r}{_hint(key)}")
    values = {**DEFAULTS, **{k: v for k, v in defaults.items() if k in KNOWN}, **table}
    for key in REQUIRED:
        if key not in values:
            problems.append(f"{where}: missing field {key!r}")
    if len(problems) > before:
        return None
    urls = values["start_urls"]
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls:
        problems.append(f"{where}: start_urls must be a non-empty list of URLs")
        urls = []
    for url in urls:
        if not _is_http_url(url):
            problems.append(f"{where}: start_urls: {url!r} is not an absolute http(s) URL")
    _check_profile(where, values["profile"], problems)
    if values["timezone"] is not None:
        _check_timezone(where, values["timezone"], problems)
    _check_number(where, "delay", values["delay"], float, problems)
    _check_number(where, "concurrency", values["concurrency"], int, problems, minimum=1)
    _check_number(where, "max_pages", values["max_pages"], int, problems)
    _check_number(where, "max_minutes", values["max_minutes"], float, problems)
    if not isinstance(values["autothrottle"], bool):
        problems.append(f"{where}: autothrottle must be true or false")
    if not isinstance(values["settings"], dict):
        problems.append(f"{where}: settings must be a table of NAME = value")
    if len(problems) > before:
        return None
    return Site(name=name, profile=values["profile"], start_urls=tuple(urls), timezone=values["timezone"],
                delay=float(values["delay"]), concurrency=int(values["concurrency"]),
                max_pages=int(values["max_pages"]), max_minutes=float(values["max_minutes"]),
                autothrottle=values["autothrottle"], settings=dict(values["settings"]))


def _is_http_url(url) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_profile(where, profile, problems) -> None:
    from crawler.sites import all_profiles

    ids = sorted(p.id for p in all_profiles())
    if profile not in ids:
        problems.append(f"{where}: unknown profile {profile!r} (known: {', '.join(ids)})")


def _check_timezone(where, zone, problems) -> None:
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where}: unknown time zone {zone!r} (an IANA name such as 'America/New_York')")


def _check_number(where, key, value, kind, problems, minimum=0) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or value < minimum:
        what = "a whole number" if kind is int else "a number"
        problems.append(f"{where}: {key} must be {what} >= {minimum}, not {value!r}")


def _hint(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(KNOWN), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(sorted(KNOWN))})"
