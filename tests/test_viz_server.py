"""`govsim viz` serves the page on 127.0.0.1 and stops its server when it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from sim.viz import server

REPO = Path(__file__).resolve().parents[1]
GOVSIM = Path(sys.executable).parent / "govsim"

pytestmark = pytest.mark.slow


def test_server_command_is_offline_and_local() -> None:
    cmd = server.page_command("127.0.0.1", 8765, workers=2)
    assert cmd[1:3] == ["-m", "sim.viz.page_server"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--workers") + 1] == "2"
    assert "--workers" not in server.page_command("127.0.0.1", 8765)  # one per core
    env = server.server_env("x.toml")
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_MODE"] == "production"
    assert env["GOVSIM_VIZ_SCENARIO"] == "x.toml"
    assert server.url_for("0.0.0.0", 8765) == "http://127.0.0.1:8765/"


def test_govsim_viz_serves_and_stops_with_its_server(tmp_path: Path) -> None:
    port = server.free_port()
    log = (tmp_path / "viz.log").open("wb")
    cli = subprocess.Popen([str(GOVSIM), "viz", "nanjing_baseline.toml", "--port", str(port),
                            "--no-browser"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    children: list[psutil.Process] = []
    try:
        url = f"http://127.0.0.1:{port}/"
        server.wait_ready(cli, url, timeout=90)
        children = psutil.Process(cli.pid).children(recursive=True)
        assert children, "the page's server should be a child of govsim viz"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as resp:
            assert resp.status == 200
            assert b"solara" in resp.read().lower()
        listening = {c.laddr.ip for c in psutil.net_connections("tcp")
                     if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}
        os.kill(cli.pid, signal.SIGTERM)
        assert cli.wait(timeout=30) == 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(c.is_running() and c.status() !=
                                                  psutil.STATUS_ZOMBIE for c in children):
            time.sleep(0.2)
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
        assert server.port_free("127.0.0.1", port)
    finally:
        for proc in [*children, psutil.Process(cli.pid) if cli.poll() is None else None]:
            if proc is not None and proc.is_running():
                proc.kill()
        log.close()


def test_the_server_starts_with_memory_that_goes_back_when_sessions_close() -> None:
    """The allocator settings are read when the process starts, so the server gets them in
    its environment: two C heaps, not one per thread, and Python's objects on the C heap
    (freed pages go back to the system when sessions close)."""
    env = server.server_env(None)
    assert env["MALLOC_ARENA_MAX"] == "2"
    assert env["PYTHONMALLOC"] == "malloc"


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({"GOVSIM_VIZ_LOG_LEVEL": "loud"}, [],
     "page_server: GOVSIM_VIZ_LOG_LEVEL='loud': allowed critical, error, warning, info, debug"),
    ({}, ["--workers", "0"], "page_server: --workers 0: allowed 1 to 16"),
])
def test_the_page_server_refuses_a_bad_setting_in_one_line(
        env: dict[str, str], args: list[str], expected: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim.viz.page_server", "--host", "127.0.0.1", "--port",
         str(server.free_port()), *args], env={**os.environ, **env}, capture_output=True,
        text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == expected


def test_govsim_viz_refuses_a_bad_log_level_before_it_serves() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "viz", "--no-browser", "--port",
         str(server.free_port())], env={**os.environ, "GOVSIM_VIZ_LOG_LEVEL": "loud"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "serving" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "GOVSIM_VIZ_LOG_LEVEL='loud'" in lines[0], done.stderr
    assert "allowed critical, error, warning, info, debug" in lines[0]
