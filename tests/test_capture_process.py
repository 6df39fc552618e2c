"""The WARC writer's own process (archive/capture_process.py), driven as the crawl drives it:
real WARC files written there, captures that point at their records, its log lines and stats
sent back, the index merged on close, and whole files when the crawl's process vanishes."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive import capture_process
from archive.capture_process import Archive, ArchiveConfig
from crawler.worker_process import WorkerProcess

VENV_BIN = Path(sys.executable).parent
BODY = b"<html><body><p>An invented page about tank treads.</p></body></html>"


class WarningArchive(Archive):
    """Logs one warning per exchange, in the writer's process."""

    def write_exchange(self, url, conditional, exchange):
        logging.getLogger("archive.test").warning("careful with %s", url)
        return super().write_exchange(url, conditional, exchange)


def exchange(n: int) -> dict:
    return dict(request_head_raw=f"GET /p{n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
                response_head_raw=b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
                status=200, response_body=BODY.replace(b"tank", f"tank {n}".encode()))


def start(tmp_path, archive_class=None) -> WorkerProcess:
    config = ArchiveConfig(warc_dir=str(tmp_path / "warc"), prefix="TEST", max_size=10_000_000,
                           warcinfo_fields={"operator": "tests"}, archive_class=archive_class)
    return WorkerProcess(capture_process.open_archive, (config,),
                         at_end=capture_process.socket_closed)


async def write_three(process):
    return [await process.call(capture_process.write_exchange, f"http://127.0.0.1/p{n}", None, exchange(n))
            for n in range(3)]


def test_captures_point_at_records_written_in_order_and_the_index_is_merged_on_close(tmp_path):
    process = start(tmp_path)
    try:
        answers = asyncio.run(write_three(process))

        async def close():
            return await process.call(capture_process.close_archive, str(tmp_path))
        files, _, _ = asyncio.run(close())
    finally:
        process.close()
    captures = [capture for capture, _, _ in answers]
    assert [s["records"] for _, s, _ in answers] == [3, 2, 2]  # warcinfo, then request + response
    assert answers[0][1]["files"] == 1 and all(s["bytes"] > 0 for _, s, _ in answers)
    assert files == [captures[0]["warc_file"]]
    path = tmp_path / "warc" / files[0]
    with open(path, "rb") as fh:
        for n, capture in enumerate(captures):
            fh.seek(capture["warc_offset"])
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_headers.get_header("WARC-Target-URI") == f"http://127.0.0.1/p{n}"
            assert record.content_stream().read() == exchange(n)["response_body"]
    index = (tmp_path / "index.cdxj").read_text().splitlines()
    assert len(index) == 3 and all(files[0] in line for line in index)
    check = subprocess.run([str(VENV_BIN / "warcio"), "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_writers_log_lines_come_back_with_its_answers(tmp_path):
    process = start(tmp_path, WarningArchive)
    try:
        answers = asyncio.run(write_three(process))
    finally:
        process.close()
    assert [log for _, _, log in answers] == [
        [("archive.test", logging.WARNING, f"careful with http://127.0.0.1/p{n}")] for n in range(3)]


def test_when_the_crawls_socket_ends_the_file_is_whole_and_no_index_is_made(tmp_path):
    process = start(tmp_path)
    answers = asyncio.run(write_three(process))
    process.close()  # the socket ends with no close_archive, as when the crawl's process is killed
    assert process.process.exitcode == 0
    path = tmp_path / "warc" / answers[0][0]["warc_file"]
    records = [r.rec_type for r in ArchiveIterator(open(path, "rb"))]
    assert records == ["warcinfo"] + ["request", "response"] * 3
    assert not (tmp_path / "index.cdxj").exists()
