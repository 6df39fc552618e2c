"""Ctrl-C in the terminal: SIGINT reaches `dca crawl` and its child processes (the extraction
worker, the WARC writer) at once. The crawl stops gracefully: every record it sent is written
whole, the index is merged, the run is recorded, and a second crawl goes on from there."""

import os
import signal
import subprocess
import sys
import time

from warcio.archiveiterator import ArchiveIterator

from archive.warc import scan_members
from crawler.runner import LOOPBACK_SETTINGS
from tests.crawl_helpers import REPO, connect, last_crawl_stats
from tests.sample_site import SampleSite


def test_ctrl_c_stops_the_crawl_with_whole_files_an_index_and_a_recorded_run(tmp_path):
    out = tmp_path / "out"
    settings = {**LOOPBACK_SETTINGS, "DCA_PROGRESS_INTERVAL": 0, "DOWNLOAD_DELAY": 0.02,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "AUTOTHROTTLE_ENABLED": False}
    with SampleSite(n_articles=60) as site:
        command = [sys.executable, "-m", "crawler.cli", "crawl", site.base_url, "--out", str(out),
                   "--site", "dca-sample"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        crawl = subprocess.Popen(command, cwd=REPO, start_new_session=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(site.requests()) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(crawl.pid, signal.SIGINT)  # what the terminal does: the whole process group
        _, stderr = crawl.communicate(timeout=120)
    assert len(site.requests()) < 400, "the crawl ended before the signal: nothing was interrupted"
    db = connect(out / "archive.sqlite")
    stats = last_crawl_stats(db)
    assert stats["finish_reason"] == "shutdown", stderr[-3000:]
    assert "warc/write_failed" not in stats and "extract/errors" not in stats, stderr[-3000:]
    assert "Traceback" not in stderr and "died" not in stderr, stderr[-3000:]
    files = sorted((out / "warc").glob("*.warc.gz"))
    assert files and all(not scan_members(path).partial and not scan_members(path).damaged for path in files)
    records = [r.rec_type for path in files for r in ArchiveIterator(open(path, "rb"))]
    assert stats["warc/records"] == len(records)
    index = (out / "index.cdxj").read_text().splitlines()
    assert len(index) == records.count("response") + records.count("revisit")
    captured = db.execute("SELECT count(*) FROM captures").fetchone()[0]
    assert captured == records.count("response") + records.count("revisit")
