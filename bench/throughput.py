"""Throughput: the full archival pipeline against bare Scrapy, over one loopback sample site.

    .venv/bin/python bench/throughput.py [--articles 2000] [--rest-api on|off] [--repeat N] [-s NAME=VALUE ...]

The sample site runs in its own process. Each crawl runs in a fresh process
(Twisted's reactor cannot restart) and reports its own peak RSS. "Bare" is
Scrapy, with its own download handler, following the same links with no WARC,
no extraction and no store; "full" is `dca crawl`'s default pipeline. Both run with
the project's settings (crawler/settings.py: concurrency, CONCURRENT_ITEMS, ...) and
LOOPBACK_SETTINGS, so the ratio is the cost of archiving, not of tuning. Prints
pages/s for each, their ratio, peak RSS, and each crawl's request mix (responses
by kind), since the full crawl also asks the WordPress REST API for comment
threads (DCA_REST_API, on by default) and the bare one does not.

It also prints CPU seconds: the crawl's own process, its child processes (the
extraction worker and the WARC writer) and the sample site's process during that
crawl, and how many cores they kept busy on average (their CPU over the crawl's
wall time). The full crawl spreads its work over three processes, so on 2 cores,
with the sample site on them too, it is bound by the machine's CPU: its wall time
cannot drop below its total CPU over the cores. The bare crawl runs on one thread.
The crawl process's CPU per response, printed last, is what paces a crawl where
cores are plenty.

The sample site is started once, with --cache-all: it keeps every page it has
rendered (and every gzip body), and a warm-up crawl (the full one, not counted)
renders them all before the first measured crawl. A real site renders on its own
machine; here the site shares the crawls' cores, and rendering on demand would
charge its CPU (about 3 of its 5 CPU-seconds per full crawl) to whichever crawl asked
first. --cold skips both, for the site's own cost.

On a shared 2-core machine one pair of runs can be off by 20%: --repeat N runs
N bare/full pairs back to back, every other one with the full crawl first, and
prints every pair, the median ratio, and the ratio of each mode's fastest run.
"""

import argparse
import collections
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_site(articles: int, *options: str):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sample_site", "--port", "0", "--articles", str(articles), *options],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    url = next(word for word in line.split() if word.startswith("http://"))
    return process, url


def run_child(mode: str, url: str, out_dir: Path, rest_api: str = "on", settings: list[str] = (),
              site_pid: int | None = None) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--url", url, "--out", str(out_dir), "--rest-api", rest_api]
    for setting in settings:
        command += ["-s", setting]
    site_before = process_cpu_seconds(site_pid)
    output = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if site_before is not None:
        result["site_cpu_s"] = round(process_cpu_seconds(site_pid) - site_before, 1)
    return result


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU of a live process (all its threads), from /proc; None where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError, ValueError, IndexError):
        return None


def kind(response) -> str:
    """What a response is, for the request mix."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if "/wp-json/" in response.url:
        return "rest"
    for name, marker in (("html", "html"), ("image", "image/"), ("css", "css"), ("xml", "xml")):
        if marker in content_type:
            return name
    return "other"


def child(mode: str, url: str, out_dir: Path, rest_api: str = "on", settings: list[str] = ()):
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.runner import LOOPBACK_SETTINGS, crawl_settings
    from crawler.spiders.wordpress import WordPressSpider

    overrides = {**LOOPBACK_SETTINGS, "DCA_PROGRESS_INTERVAL": 0, "LOG_LEVEL": "WARNING",
                 "DCA_REST_API": rest_api == "on"}
    if mode == "full":
        overrides.update(setting.split("=", 1) for setting in settings)
    spider_class = WordPressSpider
    if mode == "bare":
        from bench.bare_spider import BareSpider

        spider_class = BareSpider
        # Scrapy as it comes: its own HTTP handler (not the raw-head one), no archive components.
        overrides.update({"DOWNLOADER_MIDDLEWARES": {}, "SPIDER_MIDDLEWARES": {}, "ITEM_PIPELINES": {},
                          "EXTENSIONS": {}, "DOWNLOAD_HANDLERS": {}})
    process = CrawlerProcess(crawl_settings(out_dir, overrides))
    crawler = process.create_crawler(spider_class)
    mix = collections.Counter()
    per_5s = collections.Counter()
    started = time.perf_counter()

    def count(response, **kwargs):
        mix[kind(response)] += 1
        per_5s[int((time.perf_counter() - started) // 5)] += 1

    crawler.signals.connect(count, signal=signals.response_received)  # a weak reference: count lives on here
    process.crawl(crawler, url=url, site="dca-sample")
    process.start()
    seconds = time.perf_counter() - started
    responses = crawler.stats.get_value("response_received_count", 0)
    print(json.dumps({
        "mode": mode, "responses": responses, "seconds": round(seconds, 2), "mix": dict(sorted(mix.items())),
        "pages_per_s": round(responses / seconds, 1),
        "per_5s": [per_5s[i] for i in range(max(per_5s, default=-1) + 1)],
        "articles_stored": crawler.stats.get_value("store/articles", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "cpu_s": cpu_seconds(resource.RUSAGE_SELF), "children_cpu_s": cpu_seconds(resource.RUSAGE_CHILDREN),
    }))


def cpu_seconds(who) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--child", choices=["bare", "full"])
    parser.add_argument("--url")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rest-api", choices=["on", "off"], default="on",
                        help="DCA_REST_API for the full crawl (default on, as `dca crawl`)")
    parser.add_argument("--repeat", type=int, default=1, help="bare/full pairs to run (median ratio printed)")
    parser.add_argument("--cold", action="store_true",
                        help="a site that renders on demand, and no warm-up crawl (the site's CPU counts in full)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the full crawl, as `dca crawl -s` (repeatable)")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url, args.out, args.rest_api, args.set)
    site, url = start_site(args.articles, "--no-log", *(() if args.cold else ("--cache-all",)))
    try:
        if not args.cold:
            warm_up(url, args)
        ratios, best = [], {"bare": 0.0, "full": 0.0}
        for run in range(args.repeat):
            results = run_pair(args, url, site.pid, full_first=run % 2 == 1)
            for mode in best:
                best[mode] = max(best[mode], results[mode]["pages_per_s"])
            ratios.append(report(results["bare"], results["full"], args.rest_api))
    finally:
        site.terminate()
        site.wait()
    if args.repeat > 1:
        print(f"median ratio over {args.repeat} pairs: {statistics.median(ratios):.2f} "
              f"(each: {', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"best runs: bare {best['bare']} pages/s, full {best['full']} pages/s, "
              f"ratio {best['full'] / best['bare']:.2f} (each mode's fastest run, the least slowed by the machine)")


def warm_up(url: str, args) -> None:
    """One full crawl, not counted: the site renders every page either mode asks for."""
    with tempfile.TemporaryDirectory() as tmp:
        result = run_child("full", url, Path(tmp) / "warm-up", args.rest_api, args.set)
    print(f"warm-up (full, not counted): {result['responses']} responses in {result['seconds']}s; "
          f"the site now serves every page from memory")


def run_pair(args, url: str, site_pid: int, full_first: bool) -> dict:
    """One bare and one full crawl; every other pair runs the full crawl first, so a machine
    that slows down or speeds up during a pair weighs on both alike."""
    with tempfile.TemporaryDirectory() as tmp:
        return {mode: run_child(mode, url, Path(tmp) / mode, args.rest_api, args.set, site_pid)
                for mode in (("full", "bare") if full_first else ("bare", "full"))}


def cpu_line(result: dict) -> str:
    parts = [f"crawl process {result['cpu_s']}s"]
    if result["mode"] == "full":
        parts.append(f"its child processes (extraction worker, WARC writer) {result['children_cpu_s']}s")
    if "site_cpu_s" in result:
        parts.append(f"sample site {result['site_cpu_s']}s")
    total = result["cpu_s"] + (result["children_cpu_s"] if result["mode"] == "full" else 0) + result.get("site_cpu_s", 0)
    return ", ".join(parts) + f"; {total / result['seconds']:.2f} of {os.cpu_count()} cores busy on average"


def report(bare: dict, full: dict, rest_api: str) -> float:
    for result in (bare, full):
        print(f"{result['mode']:>4}: {result['responses']} responses in {result['seconds']}s = "
              f"{result['pages_per_s']} pages/s, peak RSS {result['peak_rss_mb']} MB"
              + (f" (+ largest child process {result['children_peak_rss_mb']} MB)" if result["mode"] == "full" else "")
              + (f", {result['articles_stored']} articles stored" if result["mode"] == "full" else ""))
        print(f"      CPU: {cpu_line(result)}")
        print(f"      request mix: " + ", ".join(f"{k} {v}" for k, v in result["mix"].items()))
        print(f"      responses per 5 s: {' '.join(map(str, result['per_5s']))}")
    print(f"REST API requests in the full crawl: {rest_api} (the bare spider makes none)")
    ratio = full["pages_per_s"] / bare["pages_per_s"]
    print(f"ratio full/bare: {ratio:.2f} (target >= 0.80)")
    per_response = {r["mode"]: 1000 * r["cpu_s"] / r["responses"] for r in (bare, full)}
    # Where cores are plenty, the crawl process's thread is what paces a crawl.
    print(f"crawl-process CPU per response: bare {per_response['bare']:.2f} ms, full {per_response['full']:.2f} ms"
          f" (bare/full {per_response['bare'] / per_response['full']:.2f})")
    return ratio


if __name__ == "__main__":
    main()
