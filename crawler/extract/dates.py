"""Dates: ISO 8601 and display text -> ISO 8601 with offset, seconds precision.

A date without a zone is read in the site's time zone (zoneinfo). Pure: the
clock is never consulted, so relative dates ("8 hours ago") and dates missing
a year give None rather than a guess that depends on when extraction ran.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TEXT_FORMATS = (
    "%B %d, %Y %I:%M %p", "%B %d, %Y %I:%M%p", "%b %d, %Y %I:%M %p", "%B %d, %Y %H:%M",
    "%d %B %Y %I:%M %p", "%d %B %Y %H:%M", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y",
    "%B %d %Y", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
)
# Numeric dates read day first ("09/06/2020" is 9 June), for pages whose locale says so.
_DAY_FIRST_FORMATS = tuple(f.replace("%m/%d/", "%d/%m/") for f in _TEXT_FORMATS)
_AT = re.compile(r"\s+(?:at|@|-|–|—|,)\s+(?=\d{1,2}[:.]\d{2})", re.I)
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_LABEL = re.compile(r"^(?:published|posted|updated|last updated|modified|on)\s*:?\s*(?:on\s+)?", re.I)
_AMPM = re.compile(r"\b([ap])\.?m\.?(?=\W|$)", re.I)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$", re.I)
_ISO_HINT = re.compile(r"\d{4}-\d{2}-\d{2}")


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_iso(dt: datetime, tz: str | None = None) -> str:
    """Seconds-precision ISO with offset; a naive datetime is placed in `tz`."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    return dt.replace(microsecond=0).isoformat(timespec="seconds")


def parse_iso(value: str) -> datetime | None:
    value = value.strip()
    if not _ISO.match(value):
        return None
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.replace(" ", "T", 1))
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None


def _clean_text(text: str) -> str:
    text = _LABEL.sub("", " ".join(text.split()))
    text = _ORDINAL.sub(r"\1", text)
    text = _AMPM.sub(lambda m: m.group(1).upper() + "M", text)
    return _AT.sub(" ", text).strip(" ,|")


def parse_text(text: str, tz: str | None = None, languages=None, day_first: bool = False) -> datetime | None:
    """A display date ("March 5, 2019 9:30 am", "February 3, 2023 at 6:37 pm")."""
    cleaned = _clean_text(text)
    for fmt in _DAY_FIRST_FORMATS if day_first else _TEXT_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    return _dateparser(cleaned, tz, languages, day_first)


def _dateparser(text: str, tz: str | None, languages, day_first: bool = False) -> datetime | None:
    if not text or len(text) > 80 or not re.search(r"\d{4}", text):
        return None
    import dateparser

    settings = {
        "TIMEZONE": tz or "UTC",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PARSERS": ["absolute-time", "custom-formats"],
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DAY_OF_MONTH": "first",
    }
    if day_first:
        settings["DATE_ORDER"] = "DMY"
    try:
        return dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
    except Exception:  # dateparser raises assorted errors on junk
        return None


def parse_date(value, tz: str | None = None, *, time_text: str | None = None, languages=None,
               day_first: bool = False) -> str | None:
    """Anything date-like -> ISO 8601 with offset, or None.

    `time_text` is a separate display time ("9:30 am") combined with a date-only value.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_iso(value, tz)
    if isinstance(value, date):
        value = value.isoformat()
    value = str(value).strip()
    if not value:
        return None
    if len(value) == 25 and _is_own_output(value):  # normalizing again (pipelines, rebuild): most dates
        return value
    dt = parse_iso(value)
    if dt is None and not (_ISO_HINT.match(value) and "T" in value):
        dt = parse_text(value, tz, languages, day_first)
    if dt is None:
        return None
    if time_text and dt.time() == time.min and dt.tzinfo is None:
        clock = parse_time(time_text)
        if clock is not None:
            dt = datetime.combine(dt.date(), clock)
    return to_iso(dt, tz)


def _is_own_output(value: str) -> bool:
    """Whether value is already what parse_date returns: seconds precision with an offset."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return False
    return dt.tzinfo is not None and dt.isoformat() == value


def parse_time(text: str) -> time | None:
    cleaned = _AMPM.sub(lambda m: m.group(1).upper() + "M", " ".join(text.split()))
    for fmt in ("%I:%M %p", "%I:%M%p", "%H:%M", "%H:%M:%S", "%I %p"):
        try:
            return datetime.strptime(cleaned, fmt).time()
        except ValueError:
            continue
    return None
