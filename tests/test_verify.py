"""`dca verify`: digests, damaged files, and the database against the records, both ways."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import WarcWriter
from tests.fidelity_server import FidelityServer
from tests.test_fidelity import run

REPO = Path(__file__).resolve().parents[1]
PATHS = ["/gzip", "/br", "/chunked", "/reason", "/repeated", "/empty"]


def dca_verify(out: Path):
    return subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True)


@pytest.fixture(scope="module")
def server():
    with FidelityServer() as s:
        yield s


@pytest.fixture(scope="module")
def archive(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("verify") / "out"
    out.mkdir()
    run(out, [server.base + p for p in PATHS])
    return out


@pytest.fixture
def copy(archive, tmp_path):
    dest = tmp_path / "out"
    shutil.copytree(archive, dest)
    return dest


def test_a_sound_archive_verifies(archive):
    proc = dca_verify(archive)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout and "1 WARC file(s), 15 record(s), 7 captures row(s)" in proc.stdout


def record_spans(warc: Path) -> list[tuple[int, int]]:
    with open(warc, "rb") as fh:
        it = ArchiveIterator(fh)
        spans = []
        for rec in it:
            rec.raw_stream.read()
            spans.append((it.get_record_offset(), it.get_record_length()))
    return spans


def test_file_cut_in_its_last_record_is_an_interrupted_write_not_a_fault(copy, server):
    [warc] = list((copy / "warc").glob("*.warc.gz"))
    # Cut the last record (a response) in the middle: what a crawl killed while writing leaves.
    offset, length = record_spans(warc)[-1]
    with open(warc, "r+b") as fh:
        fh.truncate(offset + length // 2)
    damaged = hashlib.sha256(warc.read_bytes()).hexdigest()
    interrupted = f"{warc.name}: readable up to offset {offset}, {length // 2} bytes of partial record"
    proc = dca_verify(copy)
    # The finished crawl had stored the cut record's row; a killed one never has (the row follows the write).
    assert proc.returncode == 1
    assert "faults:" not in proc.stdout and "damaged" not in proc.stdout
    assert "interrupted writes (not faults): 1" in proc.stdout and interrupted in proc.stdout
    assert "1 interrupted write(s)" in proc.stdout.splitlines()[0]
    assert "rows without a record: 1" in proc.stdout and "(its file was interrupted while writing)" in proc.stdout
    db = sqlite3.connect(copy / "archive.sqlite")
    db.execute("DELETE FROM captures WHERE warc_file = ? AND warc_offset = ?", (warc.name, offset))
    db.commit()
    db.close()
    proc = dca_verify(copy)
    assert proc.returncode == 0, proc.stdout
    assert interrupted in proc.stdout and proc.stdout.rstrip().endswith("OK")

    run(copy, [server.base + "/reason"])
    files = sorted((copy / "warc").glob("*.warc.gz"))
    assert len(files) == 2 and warc in files
    assert hashlib.sha256(warc.read_bytes()).hexdigest() == damaged
    proc = dca_verify(copy)
    assert proc.returncode == 0, proc.stdout
    assert interrupted in proc.stdout and "1 interrupted write(s)" in proc.stdout
    # The new file is sound and indexed; the cut one's good records stay indexed.
    index = (copy / "index.cdxj").read_text()
    assert files[1].name in index and warc.name in index


def test_damage_in_the_middle_of_a_file_is_a_fault(copy):
    [warc] = list((copy / "warc").glob("*.warc.gz"))
    spans = record_spans(warc)
    offset, length = spans[len(spans) // 2]
    with open(warc, "r+b") as fh:  # scramble bytes inside one member's compressed data
        fh.seek(offset + length // 2)
        middle = fh.read(16)
        fh.seek(offset + length // 2)
        fh.write(bytes(b ^ 0xFF for b in middle))
    proc = dca_verify(copy)
    assert proc.returncode == 1
    assert f"{warc.name}: damaged at offset {offset}; last good record ends at offset {offset}" in proc.stdout
    assert "interrupted" not in proc.stdout


def test_bad_record_after_the_last_whole_member_is_damage_not_an_interrupted_write(copy):
    [warc] = list((copy / "warc").glob("*.warc.gz"))
    size = warc.stat().st_size
    with open(warc, "ab") as fh:  # bytes that are no gzip member at all
        fh.write(b"not a gzip member\r\n")
    proc = dca_verify(copy)
    assert proc.returncode == 1
    assert f"{warc.name}: damaged at offset {size}; last good record ends at offset {size}" in proc.stdout
    assert "interrupted" not in proc.stdout


def test_orphans_both_ways(copy):
    db = sqlite3.connect(copy / "archive.sqlite")
    gone = db.execute("SELECT warc_record_id FROM captures WHERE url LIKE '%/br'").fetchone()[0]
    db.execute("DELETE FROM captures WHERE warc_record_id = ?", (gone,))
    db.execute("INSERT INTO captures (url, warc_file, warc_offset, warc_record_id, warc_type)"
               " VALUES ('http://x.test/', 'nope.warc.gz', 0, '<urn:uuid:0000>', 'response')")
    db.commit()
    db.close()
    proc = dca_verify(copy)
    assert proc.returncode == 1
    assert "records without a captures row: 1" in proc.stdout and gone in proc.stdout
    assert "rows without a record: 1" in proc.stdout and "<urn:uuid:0000>" in proc.stdout


def test_digest_mismatch_is_a_fault(tmp_path):
    with WarcWriter(tmp_path / "warc") as w:
        w.write_exchange("http://x.test/", request_line="GET / HTTP/1.1", request_headers=[("Host", "x.test")],
                         status=200, reason="OK", response_headers=[("Content-Length", "5")],
                         response_body=b"hello", payload_digest="sha1:" + "A" * 32)
    proc = dca_verify(tmp_path)
    assert proc.returncode == 1 and "payload digest mismatch" in proc.stdout
