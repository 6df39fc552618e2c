"""One run at a time per output directory: DIR/crawl.lock.

Two crawls writing one archive at once would interleave their database
batches and race on the crawl bookkeeping, so `dca crawl` takes this lock
before anything else and a second, overlapping run exits at once.

The lock is an exclusive `flock` on the file, which the kernel releases when
the holder dies, however it dies (kill -9 included). The file also holds the
holder's pid, host and start time, for the message a second run prints and so
that a run that finds the file left behind by a dead process says so in the log.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_NAME = "crawl.lock"


class LockedError(RuntimeError):
    """Another live run holds the lock; the message says which."""


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


class RunLock:
    def __init__(self, out_dir, command: str = "dca crawl"):
        self.path = Path(out_dir) / LOCK_NAME
        self.command = command
        self._fh = None
        self.took_over: dict | None = None  # the dead holder's details, when the lock was stale

    def acquire(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fh)
            fh.close()
            raise LockedError(self._busy_message(holder)) from None
        previous = _read(fh)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            # The kernel released the flock, so its holder is gone: a crash or kill -9.
            self.took_over = previous
        fh.seek(0)
        fh.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                   "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, fh)
        fh.flush()
        self._fh = fh
        return self

    def takeover_message(self) -> str | None:
        """The log line for a lock left behind by a dead run (None when the lock was free)."""
        if not self.took_over:
            return None
        pid = self.took_over.get("pid")
        state = "dead" if not pid_alive(int(pid)) else "alive but no longer holding it"
        return (f"taking over the stale lock {self.path} of pid {pid} ({state}; "
                f"{self.took_over.get('command', '?')}, started {self.took_over.get('started', '?')})")

    def release(self) -> None:
        if self._fh is None:
            return
        self._fh.seek(0)
        self._fh.truncate()  # an empty file: nothing stale for the next run to report
        self._fh.flush()
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def _busy_message(self, holder: dict) -> str:
        who = f"pid {holder.get('pid', '?')}"
        if holder.get("host"):
            who += f" on {holder['host']}"
        since = f", running since {holder['started']}" if holder.get("started") else ""
        return (f"another run ({who}{since}: {holder.get('command', 'dca crawl')}) is using "
                f"{self.path.parent}; not starting a second one. Wait for it to finish, or pick another --out.")


def _read(fh) -> dict:
    fh.seek(0)
    try:
        data = json.loads(fh.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
