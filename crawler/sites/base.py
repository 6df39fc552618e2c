"""Site profiles: what a site looks like, declaratively.

A profile never fetches anything; it only answers questions about URLs and
hands selectors to the extractor. Layouts are versioned so that an archived
page from before a redesign is read with the selectors of its time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Mapping, Sequence
from urllib.parse import urlsplit

Selectors = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Layout:
    """One design of a site, valid until `valid_until` (None = still current).

    `selectors` maps a field name to CSS selectors tried in order; see
    crawler/sites/wordpress.py for the field names the extractor knows.
    """

    selectors: Selectors
    valid_until: date | None = None

    def get(self, name: str) -> tuple[str, ...]:
        return tuple(self.selectors.get(name, ()))

    def extended(self, **more: Sequence[str]) -> "Layout":
        """A copy whose selector lists are prefixed with `more` (site quirks first)."""
        merged = dict(self.selectors)
        for key, values in more.items():
            merged[key] = tuple(values) + tuple(merged.get(key, ()))
        return replace(self, selectors=merged)


_NUMBERED_BACKREF = re.compile(r"\\[1-9]")


def _compile(patterns: Sequence[str]) -> tuple[re.Pattern, ...]:
    """The patterns as one alternation (one search per URL: the spider asks for every link),
    or one by one where they cannot be joined (inline flags, repeated group names, numbered
    back-references, which joining would renumber)."""
    if len(patterns) > 1 and not any(_NUMBERED_BACKREF.search(p) for p in patterns):
        try:
            return (re.compile("|".join(f"(?:{p})" for p in patterns)),)
        except re.error:
            pass
    return tuple(re.compile(p) for p in patterns)


@dataclass(frozen=True)
class SiteProfile:
    id: str
    name: str
    timezone: str
    layouts: tuple[Layout, ...]
    hosts: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    article_url_patterns: tuple[str, ...] = ()
    listing_url_patterns: tuple[str, ...] = ()
    deny_url_patterns: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)

    def with_timezone(self, zone: str | None) -> "SiteProfile":
        """This profile read in `zone` (the site list's time zone); itself when no zone or the same one."""
        if not zone or zone == self.timezone:
            return self
        return replace(self, timezone=zone, _compiled={})

    # -- layouts ---------------------------------------------------------
    def layout_for(self, when: date | datetime | None = None) -> Layout:
        """The layout in force on `when` (a page's publication date).

        Without a date the current layout applies; the clock is never read.
        """
        ordered = sorted(self.layouts, key=lambda l: (l.valid_until is None, l.valid_until or date.max))
        if when is None:
            return ordered[-1]
        day = when.date() if isinstance(when, datetime) else when
        for layout in ordered:
            if layout.valid_until is None or day < layout.valid_until:
                return layout
        return ordered[-1]

    @property
    def current_layout(self) -> Layout:
        return self.layout_for(None)

    # -- URLs --------------------------------------------------------------
    def _patterns(self, kind: str) -> tuple[re.Pattern, ...]:
        if kind not in self._compiled:
            self._compiled[kind] = _compile(getattr(self, kind))
        return self._compiled[kind]

    def _matches(self, kind: str, url: str) -> bool:
        return any(p.search(url) for p in self._patterns(kind))

    def is_article_url(self, url: str) -> bool:
        return not self.is_denied(url) and self._matches("article_url_patterns", url)

    def is_listing_url(self, url: str) -> bool:
        return not self.is_denied(url) and self._matches("listing_url_patterns", url)

    def is_denied(self, url: str) -> bool:
        return self._matches("deny_url_patterns", url)

    def handles_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def handles_url(self, url: str) -> bool:
        return self.handles_host(urlsplit(url).hostname or "")
