"""Replay DIR/warc with pywb, which lives in its own virtualenv (.venv-replay).

pywb pins libraries that conflict with Scrapy, so it is never imported here:
we write a pywb config that points at the WARC directory in place (no copy, no
`wb-manager add`) and run its `wayback` executable as a subprocess.

    DIR/.replay/config.yaml    collection `archive`: index DIR/index.cdxj,
                               archive_paths DIR/warc/
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from archive.index import build_index, update_index

COLLECTION = "archive"
REPO_ROOT = Path(__file__).resolve().parents[1]


class ReplayUnavailable(RuntimeError):
    """pywb's virtualenv is missing or pywb failed to start."""


def replay_venv() -> Path:
    """The pywb virtualenv: $DCA_REPLAY_VENV, else <repo>/.venv-replay."""
    venv = Path(os.environ.get("DCA_REPLAY_VENV") or REPO_ROOT / ".venv-replay")
    if not (venv / "bin" / "wayback").exists():
        raise ReplayUnavailable(
            f"pywb not found: {venv}/bin/wayback does not exist. Run `make setup` "
            "to create the replay environment, or set DCA_REPLAY_VENV to a "
            "virtualenv where pywb is installed."
        )
    return venv


def write_config(out_dir) -> Path:
    """Write DIR/.replay/config.yaml and return the config directory.

    JSON is valid YAML, so no YAML library is needed on the crawler side.
    """
    out_dir = Path(out_dir).resolve()
    config_dir = out_dir / ".replay"
    config_dir.mkdir(parents=True, exist_ok=True)
    if not (out_dir / "index.cdxj").exists():
        build_index(out_dir)
    config = {
        "collections": {
            COLLECTION: {
                "index": str(config_dir / "replay.cdxj"),
                # Trailing slash: pywb joins it with the index's relative filename.
                "archive_paths": str(out_dir / "warc") + "/",
            }
        },
        # Only our collection: no auto-collections from a `collections/` dir.
        "enable_auto_colls": False,
        # Serve the page itself at /archive/TS/URL instead of a frame around it.
        "framed_replay": False,
    }
    (config_dir / "config.yaml").write_text(json.dumps(config, indent=2) + "\n")
    write_replay_index(out_dir / "index.cdxj", config_dir / "replay.cdxj")
    return config_dir


def write_replay_index(index: Path, replay_index: Path) -> None:
    """DIR/index.cdxj minus server-not-modified revisits, for pywb.

    pywb replays a 304 revisit with the 304's own head, i.e. as an empty "304
    Not Modified" page. Left out of pywb's index, a request for that time gets
    the closest capture with a payload, which is what "not modified" meant.
    The full index stays in DIR/index.cdxj; the WARC files are not copied.
    """
    tmp = replay_index.with_name(replay_index.name + ".tmp")
    with open(index, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as out:
        for line in src:
            if '"mime": "warc/revisit"' in line and '"status": "304"' in line:
                continue
            out.write(line)
    os.replace(tmp, replay_index)


def prepare(out_dir, reindex: bool = True) -> Path:
    """Bring DIR/index.cdxj up to date (if asked or missing) and write the pywb config.

    WARC files never change once written, so only files the index does not
    mention yet are indexed (`dca index` rebuilds it from scratch).
    """
    out_dir = Path(out_dir)
    if not (out_dir / "index.cdxj").exists():
        build_index(out_dir)
    elif reindex:
        update_index(out_dir, [])
    return write_config(out_dir)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ReplayServer:
    """`wayback` on 127.0.0.1 serving DIR's WARCs; use as a context manager."""

    def __init__(self, out_dir, port: int = 0, reindex: bool = True, timeout: float = 60):
        self.out_dir = Path(out_dir).resolve()
        self.port = port
        self.reindex = reindex
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.log_path = self.out_dir / ".replay" / "wayback.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def replay_url(self, url: str, timestamp: str | None = None, raw: bool = False) -> str:
        """URL of a capture; raw=True gives pywb's `id_` mode (no rewriting)."""
        # No timestamp: pywb serves the latest capture (/archive/URL, /archive/id_/URL).
        modifier = (timestamp or "") + ("id_" if raw else "")
        prefix = f"{self.base_url}/{COLLECTION}/"
        return f"{prefix}{modifier}/{url}" if modifier else f"{prefix}{url}"

    def wait(self) -> int:
        """Block until pywb exits (Ctrl-C raises KeyboardInterrupt here)."""
        return self.proc.wait()

    def start(self) -> "ReplayServer":
        venv = replay_venv()
        config_dir = prepare(self.out_dir, self.reindex)
        self.port = self.port or _free_port()
        log = open(self.log_path, "ab")
        # -b 127.0.0.1: wayback binds every interface by default.
        cmd = [str(venv / "bin" / "wayback"), "-b", "127.0.0.1", "-p", str(self.port),
               "-d", str(config_dir)]
        self.proc = subprocess.Popen(
            cmd, cwd=config_dir, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ReplayUnavailable(
                    f"wayback exited with {self.proc.returncode}; see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise ReplayUnavailable(f"wayback did not answer within {self.timeout}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = None
            return
        # wayback may fork workers: end its whole process group.
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
