"""Scrapy signals sent by the archive package."""

# Sent after a response has been written to WARC, before any other downloader
# middleware sees the response. Arguments: capture (dict, see docs/contracts.md),
# request, response.
capture_written = object()
