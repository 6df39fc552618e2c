"""Generic body extraction (trafilatura) for pages the profile's selectors miss."""
from __future__ import annotations

import html as html_lib

import lxml.html

from .html import collapse


def fallback_body(doc, url: str) -> tuple[str | None, str | None]:
    """(body_text, body_html) from trafilatura; (None, None) when it finds nothing."""
    try:
        import trafilatura

        text = trafilatura.extract(
            lxml.html.tostring(doc, encoding="unicode"), url=url, include_comments=False,
            include_tables=False, include_images=False, favor_precision=True, deduplicate=False,
        )
    except Exception:  # trafilatura is best effort here
        return None, None
    paragraphs = [collapse(line) for line in (text or "").splitlines() if collapse(line)]
    if not paragraphs:
        return None, None
    html = "\n".join(f"<p>{html_lib.escape(p, quote=False)}</p>" for p in paragraphs)
    return "\n\n".join(paragraphs), html
