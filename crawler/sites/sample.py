"""The bundled sample site ("The Forward Line", tests/sample_site).

It has no hosts because it is served on a loopback port chosen at run time;
the spider and tests pick it explicitly with get_profile("dca-sample").
"""
from __future__ import annotations

from .wordpress import wordpress_profile

PROFILE = wordpress_profile(
    id="dca-sample",
    name="The Forward Line (sample site)",
    timezone="America/New_York",
    hosts=(),
)
# /private/ is deliberately not denied here: robots.txt must be what keeps the crawler out.
