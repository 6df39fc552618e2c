"""Site profiles and the registry."""
from datetime import date

import pytest

from crawler.sites import Layout, SiteProfile, all_profiles, get_profile, profile_for_url
from crawler.sites.wordpress import wordpress_profile


def test_registry():
    ids = {p.id for p in all_profiles()}
    assert {"wordpress", "dca-sample"} <= ids
    assert get_profile("wordpress").timezone == "UTC"
    assert get_profile("dca-sample").timezone == "America/New_York"
    assert get_profile("dca-sample").hosts == ()
    assert profile_for_url("https://unknown.example/2024/01/02/x/").id == "wordpress"
    with pytest.raises(KeyError):
        get_profile("nope")


def test_every_profile_zone_is_valid():
    from zoneinfo import ZoneInfo

    for p in all_profiles():
        ZoneInfo(p.timezone)
        assert p.layouts and p.current_layout.valid_until is None


def test_profile_for_url_by_host():
    p = wordpress_profile(id="x-site", hosts=("example.com",))
    assert p.handles_url("https://www.example.com/a") and p.handles_url("http://example.com:8080/")
    assert not p.handles_url("https://notexample.com/")


@pytest.mark.parametrize("url, kind", [
    ("http://h/2024/03/05/slug/", "article"),
    ("http://h/2024/03/05/slug/comment-page-2/", "article"),
    ("http://h/", "listing"),
    ("http://h/page/3/", "listing"),
    ("http://h/category/naval/", "listing"),
    ("http://h/author/ann/", "listing"),
    ("http://h/2024/03/05/slug/?replytocom=12#respond", "denied"),
    ("http://h/wp-admin/post.php", "denied"),
    ("http://h/wp-login.php?redirect_to=x", "denied"),
    ("http://h/feed/", "denied"),
    ("http://h/2024/03/05/slug/feed/", "denied"),
    ("http://h/comments/feed/", "denied"),
])
def test_url_patterns(url, kind):
    p = get_profile("dca-sample")
    assert (p.is_article_url(url), p.is_listing_url(url), p.is_denied(url)) == (
        kind == "article", kind == "listing", kind == "denied")


def test_sample_leaves_private_to_robots_txt():
    # The e2e robots tests would prove nothing if the profile itself refused /private/.
    assert not get_profile("dca-sample").is_denied("http://h/private/x/")


def test_layout_versions_by_date():
    old = Layout(selectors={"title": ("h1.old",)}, valid_until=date(2020, 1, 1))
    mid = Layout(selectors={"title": ("h1.mid",)}, valid_until=date(2023, 6, 1))
    new = Layout(selectors={"title": ("h1.new",)})
    p = SiteProfile(id="v", name="v", timezone="UTC", layouts=(new, old, mid))
    assert p.layout_for(date(2019, 5, 1)) is old
    assert p.layout_for(date(2020, 1, 1)) is mid
    assert p.layout_for(date(2024, 1, 1)) is new
    assert p.layout_for(None) is new
    assert new.extended(title=("h1.quirk",)).get("title") == ("h1.quirk", "h1.new")
