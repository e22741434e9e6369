"""Serving the page: Solara's app in a child process (:mod:`sim.viz.page_server`: one or
more worker processes under a supervisor), offline, on 127.0.0.1.

The child gets the scenario in ``$GOVSIM_VIZ_SCENARIO`` (a name already checked by the
picker) and settings that keep every request on this machine: no telemetry, no version
check against the package index, Solara's own bundled assets (solara-assets).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from sim.viz.picker import ENV_SCENARIO
from sim.viz.room import RoomCodes
from sim.viz.serving import CULL_TIMEOUT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_THEME_SHOW_BANNER": "false",
    "SOLARA_ASSETS_PROXY": "true",  # served from the installed solara-assets package
    "SOLARA_MODE": "production",
    "MPLBACKEND": "Agg",
    # a closed tab's session (models, pictures) is freed soon, not after 24 h
    "SOLARA_KERNEL_CULL_TIMEOUT": CULL_TIMEOUT,
}


# How the server's memory is held, read by the C library and Python when the process
# starts (so set here, in the child's environment, not from inside it): sessions open
# and close all day, and what a closed one freed must go back to the system.
# - glibc gives each thread that allocates its own heap ("arena", up to 8 per core); the
#   server serves sessions from a pool of up to 40 threads, and a freed block in one arena
#   cannot serve another's: two arenas held 604 MB with 30 sessions open where the
#   default held 968 MB.
# - Python's own small-object allocator keeps a 1 MB block while any object lives in it,
#   and long-lived objects made during a session pin them: with the C allocator instead
#   (PYTHONMALLOC=malloc) the freed pages go back on ``malloc_trim`` (10 sessions
#   rendered in-process: 82 MB grown, all of it back after they closed; 46 MB of 73
#   with Python's allocator).
MEMORY_ENV: dict[str, str] = {
    "MALLOC_ARENA_MAX": "2",
    "PYTHONMALLOC": "malloc",
}


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port the OS says is free on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def page_command(host: str, port: int, workers: int | None = None) -> list[str]:
    """The command line of the page's server (behind the room's join code when the codes
    are in its environment); ``workers`` processes (by default
    :data:`sim.viz.page_server.DEFAULT_WORKERS`)."""
    cmd = [sys.executable, "-m", "sim.viz.page_server", "--host", host, "--port", str(port)]
    return cmd + (["--workers", str(workers)] if workers is not None else [])


def server_env(scenario: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OFFLINE_ENV)
    env.update(MEMORY_ENV)
    if scenario:
        env[ENV_SCENARIO] = scenario
    else:
        env.pop(ENV_SCENARIO, None)
    # the child must import this checkout's ``sim`` even when run from elsewhere
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def start(scenario: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          extra_env: Mapping[str, str] | None = None,
          stdout: int | None = None, stderr: int | None = None,
          room: RoomCodes | None = None, workers: int | None = None,
          ) -> subprocess.Popen[bytes]:
    """Start the server in its own process group (so it can be stopped with its children).
    With ``room`` codes, behind the join-code gate (:mod:`sim.viz.room`)."""
    env = server_env(scenario, {**(extra_env or {}), **(room.env() if room else {})})
    return subprocess.Popen(
        page_command(host, port, workers),
        env=env,
        start_new_session=True,
        stdout=stdout,
        stderr=stderr,
    )


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 60.0) -> None:
    """Wait until the page answers (raises RuntimeError if the server died or timed out)."""
    deadline = time.monotonic() + timeout
    readyz = url.rstrip("/") + "/readyz"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the page's server exited with code {proc.returncode}")
        try:
            with opener.open(readyz, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the page did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop the server and everything it started (its process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
