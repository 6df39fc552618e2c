"""The run lock, with real processes: a second overlapping `dca crawl` exits at once; a dead run's lock is taken over."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from crawler.runlock import LockedError, RunLock
from tests.crawl_helpers import REPO, connect, crawl_log_text
from tests.sample_site import SampleSite


QUICK = ("DCA_PROGRESS_INTERVAL=0", "AUTOTHROTTLE_ENABLED=0", "DCA_EXTRACT_WORKERS=0")


def with_settings(command, settings):
    for setting in (*QUICK, *settings):
        command += ["-s", setting]
    return command


def crawl_command(base_url, out_dir, *settings):
    return with_settings([sys.executable, "-m", "crawler.cli", "crawl", base_url, "--out", str(out_dir),
                          "--site", "dca-sample"], settings)


def wait_for_lock(path, pid, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and f'"pid": {pid}' in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never named pid {pid}")


def test_overlapping_run_exits_at_once_and_a_dead_runs_lock_is_taken_over(tmp_path):
    out = tmp_path / "out"
    with SampleSite(n_articles=10) as site:
        slow = subprocess.Popen(crawl_command(site.base_url, out, "DOWNLOAD_DELAY=0.5",
                                              "CONCURRENT_REQUESTS_PER_DOMAIN=1"),
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_lock(out / "crawl.lock", slow.pid)
            started = time.monotonic()
            second = subprocess.run(crawl_command(site.base_url, out), cwd=REPO, capture_output=True, text=True,
                                    timeout=60)
            assert time.monotonic() - started < 15  # no crawling: it stops at the lock
            assert second.returncode == 75
            assert f"another run (pid {slow.pid}" in second.stderr and str(out) in second.stderr
            assert slow.poll() is None  # the first run is untouched
            requests_before = len(site.requests())
        finally:
            slow.kill()  # SIGKILL: the lock file stays behind, naming a dead process
            slow.wait()
        assert f'"pid": {slow.pid}' in (out / "crawl.lock").read_text()
        third = subprocess.run(crawl_command(site.base_url, out, "CLOSESPIDER_PAGECOUNT=5"), cwd=REPO,
                               capture_output=True, text=True, timeout=120)
        assert third.returncode == 0, third.stderr[-2000:]
        assert len(site.requests()) > requests_before
    log = crawl_log_text(out)
    assert f"taking over the stale lock {out / 'crawl.lock'} of pid {slow.pid} (dead" in log
    assert (out / "crawl.lock").read_text() == ""  # released at the end


def test_lock_in_process(tmp_path):
    with RunLock(tmp_path, command="first"):
        try:
            RunLock(tmp_path, command="second").acquire()
        except LockedError as err:
            assert f"pid {os.getpid()}" in str(err) and "first" in str(err)
        else:
            raise AssertionError("a second lock on the same directory was granted")
    with RunLock(tmp_path) as again:  # released: free again
        assert again.took_over is None


def scrapy_crawl_command(base_url, out_dir, *settings):
    """`scrapy crawl`, which the README also offers, instead of `dca crawl`."""
    return with_settings([str(Path(sys.executable).with_name("scrapy")), "crawl", "wordpress",
                          "-a", f"url={base_url}", "-a", "site=dca-sample"],
                         (f"DCA_OUT_DIR={out_dir}", "DOWNLOAD_DELAY=0", *settings))


def test_scrapy_crawl_stops_at_a_held_lock_and_recovers_a_dead_run_as_dca_crawl_does(tmp_path):
    out = tmp_path / "out"
    with SampleSite(n_articles=8) as site:
        with RunLock(out, command="a run holding DIR"):
            blocked = subprocess.run(scrapy_crawl_command(site.base_url, out), cwd=REPO, capture_output=True,
                                     text=True, timeout=120)
        assert blocked.returncode != 0
        assert f"another run (pid {os.getpid()}" in blocked.stderr and "a run holding DIR" in blocked.stderr
        assert sorted(p.name for p in out.iterdir()) == ["crawl.lock"]  # no archive, no database
        assert not site.requests()

        killed = subprocess.run(scrapy_crawl_command(site.base_url, out, "DCA_CRASH_AT=capture:12",
                                                     "DCA_STORE_BATCH=5"),
                                cwd=REPO, capture_output=True, text=True, timeout=120)
        assert killed.returncode == -9, killed.stderr[-2000:]
        resumed = subprocess.run(scrapy_crawl_command(site.base_url, out, "CLOSESPIDER_PAGECOUNT=5"), cwd=REPO,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr[-2000:]

    db = connect(out / "archive.sqlite")
    runs = db.execute("SELECT status, stats FROM crawls ORDER BY id").fetchall()
    db.close()
    assert [r["status"] for r in runs] == ["interrupted", "closespider_pagecount"]
    assert json.loads(runs[1]["stats"])["recovery/interrupted_runs"] == 1
    assert "taking over the stale lock" in resumed.stderr
    assert (out / "crawl.lock").read_text() == ""  # released when the engine stopped
