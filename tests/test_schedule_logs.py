"""Scheduling (systemd units), the rotating crawl log and the progress lines of an unattended run."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.schedule import cron_line
from tests.crawl_helpers import REPO, run_dca_crawl
from tests.sample_site import SampleSite

EXAMPLE = REPO / "sites.example.toml"


def test_schedule_prints_a_service_and_timer_for_the_site_list(tmp_path):
    out = tmp_path / "archive"
    result = CliRunner().invoke(main, ["schedule", "--systemd", "--sites", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "# dca-crawl.service" in text and "# dca-crawl.timer" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_line.endswith(f"crawl --sites {EXAMPLE.resolve()} --out {out.resolve()}")
    assert Path(exec_line.removeprefix("ExecStart=").split()[0]).exists()  # this installation's dca
    assert "Type=oneshot" in text and "SuccessExitStatus=75" in text
    assert "OnCalendar=*-*-* 03:17:00" in text and "Persistent=true" in text


def test_schedule_install_writes_the_user_units(tmp_path):
    home = tmp_path / "home"
    result = CliRunner(env={"HOME": str(home)}).invoke(
        main, ["schedule", "--systemd", "--install", "--sites", str(EXAMPLE), "--out", str(tmp_path / "o"),
               "--on-calendar", "hourly", "--name", "dca-test"])
    assert result.exit_code == 0, result.output
    units = home / ".config" / "systemd" / "user"
    assert "OnCalendar=hourly" in (units / "dca-test.timer").read_text()
    assert "ExecStart=" in (units / "dca-test.service").read_text()
    assert "systemctl --user daemon-reload" in result.output


def test_the_cron_line_runs_the_same_command():
    line = cron_line(EXAMPLE, Path("/srv/archive"))
    assert line.startswith("17 3 * * * ") and f"crawl --sites {EXAMPLE.resolve()} --out /srv/archive" in line


def test_the_crawl_log_rotates_and_progress_lines_go_to_it(tmp_path):
    out = tmp_path / "out"
    max_bytes = 20_000
    with SampleSite(n_articles=10) as site:
        result = run_dca_crawl(site.base_url, out, "LOG_LEVEL=DEBUG", f"DCA_LOG_MAX_BYTES={max_bytes}",
                               "DCA_LOG_BACKUPS=3", "DCA_PROGRESS_INTERVAL=0.2")
    logs = sorted((out / "logs").iterdir())
    assert [p.name for p in logs] == ["crawl.log", "crawl.log.1", "crawl.log.2", "crawl.log.3"]
    # a file stays under the limit unless one record alone is bigger (it then gets a file of its own)
    for path in logs:
        records = len(re.findall(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", path.read_text(), re.M))
        assert path.stat().st_size <= max_bytes or records == 1, (path.name, path.stat().st_size, records)
    current = (out / "logs" / "crawl.log").read_text()
    assert "=== dca run ended" in current
    everything = "".join(p.read_text() for p in logs)
    assert "[dca]" in everything and "finished (finished)" in everything
    # without a terminal the progress lines also go to stderr (the journal under systemd)
    assert "[dca]" in result.stderr and "pages/s" in result.stderr


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux `script` for a pseudo-terminal")
def test_on_a_terminal_the_progress_line_is_redrawn_in_place(tmp_path):
    with SampleSite(n_articles=10) as site:
        command = " ".join([sys.executable, "-m", "crawler.cli", "crawl", site.base_url, "--out", str(tmp_path / "o"),
                            "--site", "dca-sample", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                            "-s", "DCA_PROGRESS_INTERVAL=1"])
        result = subprocess.run(["script", "-q", "-e", "-c", command, "/dev/null"], cwd=REPO, capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    screen = result.stdout
    assert screen.count("[dca]") >= 2 and "\x1b[1A" in screen  # one line, redrawn (cursor up), not a scroll
    assert "finished (finished)" in screen and "pages new" in screen  # the final line and the summary
