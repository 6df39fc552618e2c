"""Throughput: the full archival pipeline against bare Scrapy, over one loopback sample site.

    .venv/bin/python bench/throughput.py [--articles 2000]

The sample site runs in its own process. Each crawl runs in a fresh process
(Twisted's reactor cannot restart) and reports its own peak RSS. "Bare" is
Scrapy following the same links with no WARC, no extraction and no store; "full"
is `dca crawl`'s pipeline. Prints pages/s for each, their ratio, and peak RSS.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_site(articles: int):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sample_site", "--port", "0", "--articles", str(articles)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    url = next(word for word in line.split() if word.startswith("http://"))
    return process, url


def run_child(mode: str, url: str, out_dir: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url, "--out", str(out_dir)],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(mode: str, url: str, out_dir: Path):
    from scrapy.crawler import CrawlerProcess

    from crawler.runner import LOOPBACK_SETTINGS, crawl_settings
    from crawler.spiders.wordpress import WordPressSpider

    overrides = {**LOOPBACK_SETTINGS, "DCA_PROGRESS_INTERVAL": 0, "LOG_LEVEL": "WARNING"}
    spider_class = WordPressSpider
    if mode == "bare":
        from bench.bare_spider import BareSpider

        spider_class = BareSpider
        overrides.update({"DOWNLOADER_MIDDLEWARES": {}, "ITEM_PIPELINES": {}, "EXTENSIONS": {}})
    process = CrawlerProcess(crawl_settings(out_dir, overrides))
    crawler = process.create_crawler(spider_class)
    started = time.perf_counter()
    process.crawl(crawler, url=url, site="dca-sample")
    process.start()
    seconds = time.perf_counter() - started
    responses = crawler.stats.get_value("response_received_count", 0)
    print(json.dumps({
        "mode": mode, "responses": responses, "seconds": round(seconds, 2),
        "pages_per_s": round(responses / seconds, 1),
        "articles_stored": crawler.stats.get_value("store/articles", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--child", choices=["bare", "full"])
    parser.add_argument("--url")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url, args.out)
    site, url = start_site(args.articles)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bare = run_child("bare", url, Path(tmp) / "bare")
            full = run_child("full", url, Path(tmp) / "full")
    finally:
        site.terminate()
        site.wait()
    for result in (bare, full):
        print(f"{result['mode']:>4}: {result['responses']} responses in {result['seconds']}s = "
              f"{result['pages_per_s']} pages/s, peak RSS {result['peak_rss_mb']} MB"
              + (f" (+ extraction worker {result['worker_peak_rss_mb']} MB)" if result["mode"] == "full" else "")
              + (f", {result['articles_stored']} articles stored" if result["mode"] == "full" else ""))
    print(f"ratio full/bare: {full['pages_per_s'] / bare['pages_per_s']:.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
