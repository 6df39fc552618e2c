"""The key test: extraction of every rendered sample-site article equals the ground truth."""
import pytest

from crawler.extract import extract_page, merge_comment_pages
from crawler.sites import get_profile

data = pytest.importorskip("tests.sample_site.data")
render_mod = pytest.importorskip("tests.sample_site.render")

BASE = "http://127.0.0.1:8765"
SITE = data.build_site()
PROFILE = get_profile("dca-sample")


def fetch(path: str) -> dict:
    page = render_mod.render(SITE, path, BASE)
    assert page.status == 200, path
    return extract_page(BASE + path, page.body, content_type=page.content_type, profile=PROFILE)


def extracted(article) -> dict:
    pages = [fetch(article.comment_page_path(n)) for n in range(1, article.n_comment_pages + 1)]
    return merge_comment_pages(pages)


def assert_matches(got: dict, expected: dict) -> None:
    diffs = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    assert not diffs, "\n".join(f"{k}:\n  got      {g!r}\n  expected {e!r}" for k, (g, e) in diffs.items())


@pytest.mark.parametrize("article", SITE.articles, ids=lambda a: f"{a.index}-{a.theme}")
def test_article_matches_ground_truth(article):
    got = extracted(article)
    assert "error" not in got["sources"]
    assert got["site"] == "dca-sample" and got["body_html"] is not None or article.expect_invalid
    assert_matches(got, data.expected_record(article, BASE))


@pytest.mark.parametrize("article", [a for a in SITE.articles if a.n_comment_pages > 1], ids=lambda a: str(a.index))
def test_each_comment_page_alone(article):
    for n in range(1, article.n_comment_pages + 1):
        assert_matches(fetch(article.comment_page_path(n)), data.expected_record(article, BASE, comment_page=n))


def test_home_page_is_a_listing():
    assert fetch("/")["page_type"] == "listing"
