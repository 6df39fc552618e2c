"""The sample site: invented WordPress-like pages served on 127.0.0.1 (see SPEC.md)."""

from .data import (Article, Author, Category, Comment, Image, SiteData, build_site,
                   expected_record, site_totals)
from .render import Page, render
from .server import RawResponse, SampleSite, build_response, fetch_exact

__all__ = ["Article", "Author", "Category", "Comment", "Image", "SiteData", "build_site",
           "expected_record", "site_totals", "Page", "render", "RawResponse", "SampleSite",
           "build_response", "fetch_exact"]
