"""Helpers for the workshop-page tests: a real page server and a real Chromium.

The server is :mod:`sim.viz.page_server` (Solara's app in one worker process per core)
started by :mod:`sim.viz.server` on a free 127.0.0.1 port, in its own process group
(always stopped in teardown). Every proxy variable points at a local "trap" socket, so
any request the server tries to make to the outside world (telemetry, version checks,
CDN fetches) is counted and fails.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.viz import server
from sim.viz.page_server import LOG_LEVEL_ENV

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
# the day label once neither Play nor the last days after Pause can move it
AT_REST = re.compile(r"\bgovsim-day-at-rest\b")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class ProxyTrap:
    """A TCP listener that counts connections (stands in as every HTTP(S) proxy)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    first = conn.recv(200)
                except OSError:
                    first = b""
                self.connections.append(first)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        keys = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy")
        out = {k: self.url for k in keys}
        out["NO_PROXY"] = out["no_proxy"] = "127.0.0.1,localhost"
        return out

    def close(self) -> None:
        self.sock.close()


@dataclass
class PageServer:
    url: str
    proc: subprocess.Popen[bytes]
    trap: ProxyTrap
    log: Path
    pages_opened: list[str] = field(default_factory=list)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def server_env(trap: ProxyTrap, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """A test server's environment: every proxy pointed at the trap, and the log at info
    (a worker's end, a socket's close, the room's verdicts show in it)."""
    return {**trap.env(), LOG_LEVEL_ENV: "info", **(extra_env or {})}


def start_page_server(log: Path, scenario: str | None = None,
                      extra_env: dict[str, str] | None = None,
                      workers: int | None = None) -> Iterator[PageServer]:
    """Start the page's server (``workers`` processes, by default govsim viz's); yields
    it; stops its whole process group afterwards."""
    trap = ProxyTrap()
    port = server.free_port()
    env = server_env(trap, extra_env)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = server.start(scenario, "127.0.0.1", port, extra_env=env, stdout=out,
                            stderr=subprocess.STDOUT, workers=workers)
        try:
            url = server.url_for("127.0.0.1", port)
            server.wait_ready(proc, url, timeout=90)
            yield PageServer(url=url, proc=proc, trap=trap, log=log)
        finally:
            server.stop(proc)
            trap.close()


def launch_chromium(playwright: object) -> object:
    """Chromium from the system (never a downloaded build)."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (apt-get install chromium)"
    return playwright.chromium.launch(executable_path=CHROMIUM,  # type: ignore[attr-defined]
                                      args=CHROMIUM_ARGS)
