"""An extractor that raises on one chosen URL: the crawl must count it, log it and go on.

Wired with `-s DCA_EXTRACTOR=tests.faulty_extractor.extract_page`; the URL fragment
that triggers the fault comes from the DCA_TEST_FAIL_ON environment variable.
"""

import os

from crawler.extract import extract_page as real_extract_page


class InjectedFault(RuntimeError):
    pass


def extract_page(url, body, **kwargs):
    marker = os.environ.get("DCA_TEST_FAIL_ON", "")
    if marker and marker in url:
        raise InjectedFault(f"injected extraction fault for {url}")
    return real_extract_page(url, body, **kwargs)


def dying_extract_page(url, body, **kwargs):
    """Kills its worker process on the chosen URL, as the OOM killer would."""
    marker = os.environ.get("DCA_TEST_FAIL_ON", "")
    if marker and marker in url:
        os._exit(3)
    return real_extract_page(url, body, **kwargs)
