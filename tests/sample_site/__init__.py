"""The sample site: invented WordPress-like pages served on 127.0.0.1 (see SPEC.md)."""

from .data import (Article, Author, Category, Comment, Image, SiteData, build_site, day_clock,
                   expected_api_comments, expected_record, rest_comment, site_totals)
from .render import Page, render
from .server import RawResponse, SampleSite, build_response, fetch_exact, fixed_date

__all__ = ["Article", "Author", "Category", "Comment", "Image", "SiteData", "build_site",
           "day_clock", "expected_api_comments", "expected_record", "rest_comment", "site_totals",
           "Page", "render", "RawResponse", "SampleSite", "build_response", "fetch_exact",
           "fixed_date"]
