"""Scheduled crawls under systemd: a user service that runs `dca crawl --sites FILE`, and its timer.

The service is `Type=oneshot`: the timer does not start a second run while one is
still going (and the run lock stops one started by hand). `Persistent=true`
catches up a run missed while the machine was off; `RandomizedDelaySec` keeps a
fleet of machines from hitting the same sites at the same second. Output goes to
the journal; the crawl's own log is DIR/logs/crawl.log (rotated).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

SERVICE = """[Unit]
Description=dca: archive the sites of {sites}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={workdir}
ExecStart={command}
# The crawl exits 75 when another run still holds the output directory's lock.
SuccessExitStatus=75
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=infinity

[Install]
WantedBy=default.target
"""

TIMER = """[Unit]
Description=dca: run {name}.service on a schedule

[Timer]
OnCalendar={on_calendar}
Persistent=true
RandomizedDelaySec=15min

[Install]
WantedBy=timers.target
"""


def dca_executable() -> str:
    """The `dca` of this installation (the venv's), so the unit does not depend on PATH."""
    beside = Path(sys.executable).with_name("dca")
    return str(beside) if beside.exists() else (shutil.which("dca") or f"{sys.executable} -m crawler.cli")


def crawl_command(sites_file, out_dir) -> str:
    parts = dca_executable().split() + ["crawl", "--sites", str(Path(sites_file).resolve()),
                                        "--out", str(Path(out_dir).resolve())]
    return " ".join(shlex.quote(p) for p in parts)


def systemd_units(sites_file, out_dir, on_calendar: str = "*-*-* 03:17:00", name: str = "dca-crawl") -> dict:
    """{"NAME.service": text, "NAME.timer": text}"""
    sites = Path(sites_file).resolve()
    return {
        f"{name}.service": SERVICE.format(sites=sites, workdir=Path(out_dir).resolve().parent,
                                          command=crawl_command(sites_file, out_dir)),
        f"{name}.timer": TIMER.format(name=name, on_calendar=on_calendar),
    }


def cron_line(sites_file, out_dir, when: str = "17 3 * * *") -> str:
    """The crontab equivalent (flock -n is not needed: the crawl has its own lock)."""
    return f"{when} {crawl_command(sites_file, out_dir)} >/dev/null 2>&1"


def install_units(units: dict, directory: Path | None = None) -> list[Path]:
    directory = directory or Path.home() / ".config" / "systemd" / "user"
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in units.items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
