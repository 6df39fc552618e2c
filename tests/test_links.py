"""crawler/spiders/links.py: one page's links resolved once (PageLinks) give what resolving each gives."""

import lxml.html

from archive.metadata import document_outlinks
from crawler.spiders.links import PageLinks, absolute_link, clean_link, page_links, requisite_links

BASE = "http://127.0.0.1:8080/2024/05/06/a-post/comment-page-2/?x=1#comments"
ROOT = "http://127.0.0.1:8080/"

# Every shape a WordPress page's href or src takes, twice where the memo could mix them up:
# the same value with and without surrounding space, empty values, schemes never followed.
VALUES = [
    "", "   ", "#", "#respond", "?replytocom=12#respond", " ?replytocom=12#respond ", "?", "/",
    "/2024/05/07/next/", " /2024/05/07/next/ ", "../up/", "./here", "other/",
    "http://127.0.0.1:8080/2024/05/06/a-post/", "HTTP://127.0.0.1:8080/Case/", "https://example.org/x?y#z",
    "//cdn.example.org/lead.jpg", "mailto:editor@example.org", " javascript:void(0)", "tel:+1555", "data:,x",
    "ftp://example.org/file", "http://", "http://127.0.0.1:8080/wp-admin/", "/wp-content/uploads/a.jpg",
]


def test_each_value_resolves_as_resolving_it_alone_does():
    resolved = PageLinks(BASE)
    for _ in range(2):  # the second round is answered from the memo
        for value in VALUES:
            assert resolved.clean(value) == clean_link(value, BASE), value
            assert resolved.absolute(value) == absolute_link(value.strip(), BASE), value


def test_a_page_read_with_one_memo_gives_what_each_pass_gives_alone():
    anchors = "".join(f'<a href="{v}">x</a>' for v in VALUES)
    images = "".join(f'<img src="{v}" srcset="{v} 2x, /wp-content/uploads/b.jpg 300w">' for v in VALUES)
    doc = lxml.html.document_fromstring(f'<html><head><link rel="stylesheet" href="/style.css"></head>'
                                        f'<body>{anchors}{images}<a href="/style.css">css</a></body></html>')
    shared = PageLinks(BASE)
    links = page_links(doc, BASE, ROOT, resolved=shared)
    requisites = requisite_links(doc, BASE, ROOT, resolved=shared)
    outlinks = document_outlinks(doc, BASE, shared)

    assert links == page_links(doc, BASE, ROOT)
    assert requisites == requisite_links(doc, BASE, ROOT)
    assert outlinks == document_outlinks(doc, BASE)
    # and they are what a page like this holds
    assert "http://127.0.0.1:8080/2024/05/07/next/" in links
    assert "http://127.0.0.1:8080/wp-content/uploads/b.jpg" in requisites
    assert ("http://127.0.0.1:8080/2024/05/06/a-post/comment-page-2/?x=1", "a/@href") in outlinks
