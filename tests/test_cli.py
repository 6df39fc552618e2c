"""The `dca` commands as a newcomer types them."""

import html
import json
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from tests.crawl_helpers import REPO


def dca(*args, check=True):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=REPO,
                          capture_output=True, text=True, check=check, timeout=600)


def test_demo_crawls_the_sample_site_and_prints_summary_and_next_steps(tmp_path):
    out = tmp_path / "demo"
    result = dca("demo", "--out", str(out))
    assert "articles" in result.stdout and "\nNext (" in result.stdout
    assert "dca replay --out" in result.stdout
    connection = sqlite3.connect(out / "archive.sqlite")
    articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    comments = connection.execute("SELECT count(*) FROM comments").fetchone()[0]
    assert articles >= 30 and comments >= 300
    assert re.search(rf"articles\s*│\s*{articles}\s*│", result.stdout), result.stdout
    assert re.search(rf"comments\s*│\s*{comments}\s*│", result.stdout), result.stdout
    assert list((out / "warc").glob("*.warc.gz"))
    failed = connection.execute("SELECT status, count(*) FROM captures WHERE status >= 400 GROUP BY status").fetchall()
    breakdown = ", ".join(f"{status}: {n}" for status, n in failed)
    assert f"failed {sum(n for _, n in failed)} ({breakdown})," in result.stdout, result.stdout


def test_crawling_into_an_existing_directory_adds_to_it(tmp_path):
    out = tmp_path / "demo"
    dca("demo", "--out", str(out))
    first = sorted((out / "warc").glob("*.warc.gz"))
    dca("demo", "--out", str(out))
    second = sorted((out / "warc").glob("*.warc.gz"))
    assert len(second) == len(first) + 1 and set(first) < set(second)
    connection = sqlite3.connect(out / "archive.sqlite")
    assert connection.execute("SELECT count(*) FROM crawls").fetchone()[0] == 2
    assert connection.execute("SELECT count(DISTINCT warc_file) FROM captures").fetchone()[0] == 2


def test_extract_prints_json_lines_for_several_files_in_input_order(tmp_path):
    pages = []
    for n, title in enumerate(["First headline", "Second headline"]):
        page = tmp_path / f"p{n}.html"
        page.write_text(f"<html lang='en'><head><title>{title}</title></head><body><article>"
                        f"<h1 class='entry-title'>{title}</h1><div class='entry-content'><p>Body {n}.</p></div>"
                        "</article></body></html>")
        pages.append(str(page))
    lines = dca("extract", *pages).stdout.strip().splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["First headline", "Second headline"]


def test_bad_setting_syntax_is_a_clear_error(tmp_path):
    result = dca("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path), "-s", "NOEQUALS", check=False)
    assert result.returncode != 0
    assert "NAME=VALUE" in result.stderr


def test_replay_without_warcs_says_what_to_do(tmp_path):
    result = dca("replay", "--out", str(tmp_path), check=False)
    assert result.returncode != 0
    assert "crawl first" in result.stderr


def test_replay_serves_the_archive_and_lists_article_replay_urls(tmp_path):
    out = tmp_path / "demo"
    dca("demo", "--out", str(out))
    title, = sqlite3.connect(out / "archive.sqlite").execute(
        "SELECT title FROM articles ORDER BY published_at DESC LIMIT 1").fetchone()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "replay", "--out", str(out), "--port", "0"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in server.stdout:
            lines.append(line.rstrip())
            if line.startswith("Press Ctrl-C"):
                break
        assert lines[0].startswith("pywb is replaying") and "http://127.0.0.1:" in lines[0], lines
        assert lines[1].strip() == title
        replay_url = lines[2].strip()
        with urllib.request.urlopen(replay_url, timeout=30) as response:
            page = response.read().decode("utf-8")
        assert html.escape(title, quote=False) in page
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    with pytest.raises(OSError):
        urllib.request.urlopen(replay_url, timeout=5)


def test_unreachable_site_fails_with_an_actionable_message(tmp_path):
    result = dca("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path), "-s", "RETRY_TIMES=0",
                 "-s", "DCA_PROGRESS_INTERVAL=0", check=False)
    assert result.returncode == 1
    assert "ConnectionRefused" in result.stderr and "check the URL" in result.stderr
    assert (tmp_path / "archive.sqlite").exists()


def test_export_wacz_from_the_command_line_validates(tmp_path):
    from archive.wacz import validate_wacz

    out = tmp_path / "demo"
    dca("demo", "--out", str(out))
    result = dca("export", "wacz", "--out", str(tmp_path / "a.wacz"), "--dir", str(out), check=False)
    assert result.returncode == 0, result.stderr
    ok, output = validate_wacz(tmp_path / "a.wacz")
    assert ok, output
