"""Unit tests of the small extraction helpers: decoding, dates, bylines, credits."""
import pytest

from crawler.extract.authors import split_byline
from crawler.extract.dates import parse_date
from crawler.extract.html import decode_body, parse_html, text_of
from crawler.extract.images import clean_credit, split_credit

NY = "America/New_York"


@pytest.mark.parametrize("body, content_type, expected", [
    ("é".encode("latin-1"), "text/html; charset=ISO-8859-1", "é"),
    ('<meta charset="windows-1252">é'.encode("cp1252"), None, '<meta charset="windows-1252">é'),
    ("é".encode("utf-8"), None, "é"),
    (b"\xff\xfeok", None, "\ufffd\ufffdok"),
    (b"\xef\xbb\xbfhi", "text/html", "hi"),
    ("é".encode("utf-8"), "text/html; charset=bogus", "é"),
])
def test_decode_body(body, content_type, expected):
    assert decode_body(body, content_type) == expected


def test_http_charset_wins_over_meta():
    body = '<meta charset="utf-8">é'.encode("latin-1")
    assert decode_body(body, "text/html; charset=latin-1").endswith("é")


@pytest.mark.parametrize("text", ["", "   ", "no markup at all", "\x00\x01\x02"])
def test_parse_html_nothing(text):
    assert parse_html(text) is None


def test_text_of_separates_blocks_and_skips_scripts():
    doc = parse_html("<div><p>a</p><p>b<script>x()</script></p>c<br>d</div>")
    assert text_of(doc.body) == "a b c d"


@pytest.mark.parametrize("value, kwargs, expected", [
    ("2024-03-05T09:30:00-05:00", {}, "2024-03-05T09:30:00-05:00"),
    ("2024-03-05T14:30:00Z", {}, "2024-03-05T14:30:00+00:00"),
    ("2024-03-05T09:30:00.123+0100", {}, "2024-03-05T09:30:00+01:00"),
    ("2024-03-05T09:30:00", {}, "2024-03-05T09:30:00-05:00"),
    ("2024-07-05T09:30:00", {}, "2024-07-05T09:30:00-04:00"),
    ("March 5, 2019", {"time_text": "9:30 am"}, "2019-03-05T09:30:00-05:00"),
    ("March 5, 2019", {"time_text": "9:30 pm"}, "2019-03-05T21:30:00-05:00"),
    ("February 3, 2023 at 6:37 pm", {}, "2023-02-03T18:37:00-05:00"),
    ("Posted on March 5th, 2019", {}, "2019-03-05T00:00:00-05:00"),
    ("23. Juni 2016 um 14:22", {"languages": ["de"]}, "2016-06-23T14:22:00-04:00"),
    # 25 characters, as parse_date's own output is, but not that output (the fast path must not keep them)
    ("2024-03-05T09:30:00-00:00", {}, "2024-03-05T09:30:00+00:00"),
    ("2024-03-05t09:30:00+01:00", {}, "2024-03-05T09:30:00+01:00"),
    ("2024-03-05 09:30:00+01:00", {}, "2024-03-05T09:30:00+01:00"),
    ("2024-02-30T09:30:00+01:00", {}, None),
    ("2024-03-05T09:30:00.5+0100", {}, "2024-03-05T09:30:00+01:00"),
    ("  2024-03-05T09:30:00+05:30  ", {}, "2024-03-05T09:30:00+05:30"),
])
def test_parse_date(value, kwargs, expected):
    assert parse_date(value, NY, **kwargs) == expected


@pytest.mark.parametrize("value", [None, "", "junk", "8 hours ago", "June 20th at 2:41 am", "yesterday"])
def test_parse_date_never_guesses_from_the_clock(value):
    assert parse_date(value, NY) is None


def test_parse_date_is_a_fixpoint():
    once = parse_date("February 3, 2023 at 6:37 pm", NY)
    assert parse_date(once, NY) == once
    assert parse_date(once, "UTC") == once  # an explicit offset is kept


@pytest.mark.parametrize("byline, names", [
    ("By A and B", ["A", "B"]),
    ("by Ann Alpha and Bob Beta", ["Ann Alpha", "Bob Beta"]),
    ("A, B and C", ["A", "B", "C"]),
    ("Jane Doe, Bob Roe, and Carl Poe", ["Jane Doe", "Bob Roe", "Carl Poe"]),
    ("A | Contributor", ["A"]),
    ("By: John Smith, Jr.", ["John Smith, Jr."]),
    ("Renée Castellanos & Tom O’Rourke", ["Renée Castellanos", "Tom O’Rourke"]),
    ("", []),
    (None, []),
])
def test_split_byline(byline, names):
    assert split_byline(byline) == names


@pytest.mark.parametrize("text, caption, credit", [
    ("A T-84 tank from Ukraine. Image Credit: Creative Commons.", "A T-84 tank from Ukraine.", "Creative Commons"),
    ("A jet on a range. Photo: U.S. Army photo by Sgt. Dana Reyes", "A jet on a range.", "U.S. Army photo by Sgt. Dana Reyes"),
    ("Crews at work. Credit: U.S. Navy.", "Crews at work.", "U.S. Navy"),
    ("A Su-24 drops flares (Shamil Zhumatov/REUTERS)", "A Su-24 drops flares", "Shamil Zhumatov/REUTERS"),
    ("Map of the network (as of June 2016)", "Map of the network (as of June 2016)", None),
    ("Image Credits: Strava", None, "Strava"),
    ("Just a caption.", "Just a caption.", None),
    ("", None, None),
])
def test_split_credit(text, caption, credit):
    assert split_credit(text) == (caption, credit)


@pytest.mark.parametrize("raw, clean", [
    ("Image Credit: DVIDS.", "DVIDS"), ("U.S. Navy.", "U.S. Navy"), ("Acme Inc.", "Acme Inc."), (None, None),
])
def test_clean_credit(raw, clean):
    assert clean_credit(raw) == clean
