"""dca: an archival crawler for defense and foreign-policy commentary."""

import os

__version__ = "0.1.0"

# tldextract (imported by Scrapy's cookie middleware) would otherwise download the
# Public Suffix List on first use; the crawler must reach nothing but the sites it
# crawls, so it uses the snapshot bundled with tldextract.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
