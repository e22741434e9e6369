"""Shared helpers for the experiment tests: small specs, a real Dask cluster, files."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BIN = Path(sys.executable).parent
RUN_FILES = {"daily.parquet", "issues.parquet", "summary.json", "scenario.toml",
             "manifest.json", "task.json"}


def toml_value(v: Any) -> str:
    """A TOML literal for a Python value (enough for specs)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + " }"
    return repr(v)


def write_spec(path: Path, top: dict[str, Any], design: dict[str, Any] | None = None,
               parameters: list[dict[str, Any]] | None = None) -> Path:
    """Write an experiment spec file."""
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    if design is not None:
        lines += ["", "[design]"] + [f"{k} = {toml_value(v)}" for k, v in design.items()]
    for p in parameters or []:
        lines += ["", "[[parameters]]"] + [f"{k} = {toml_value(v)}" for k, v in p.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batch_spec(path: Path, scenarios: list[str] | None = None, replicates: int = 3,
               days: int = 30, seed: int = 11, **extra: Any) -> Path:
    """A small community-scale batch spec over shipped scenarios (absolute paths)."""
    names = scenarios or ["nanjing_baseline", "staffing_22_per_10k", "no_micro_grid"]
    top = {"kind": "batch", "name": path.stem, "seed": seed, "replicates": replicates,
           "days": days, "scale": "community",
           "scenarios": [str(SCENARIOS / f"{n}.toml") for n in names]}
    top.update(extra)
    return write_spec(path, top)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kill_group(proc: subprocess.Popen[Any], sig: int = signal.SIGKILL) -> None:
    """Kill a process started with ``start_new_session=True`` and all its children."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextlib.contextmanager
def dask_cluster(tmp: Path, workers: int = 2) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

    Yields the scheduler address and the worker processes; everything is killed (whole
    process groups) on exit, whatever happened.
    """
    dask = str(BIN / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    workers_procs: list[subprocess.Popen] = []
    logs = tmp / "dask-logs"
    logs.mkdir(exist_ok=True)
    try:
        procs.append(subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            stdout=open(logs / "scheduler.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True, cwd=REPO))
        _wait_port(port, 60)
        for i in range(workers):
            p = subprocess.Popen(
                [dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}"),
                 "--death-timeout", "60"],
                stdout=open(logs / f"worker{i}.log", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO)
            procs.append(p)
            workers_procs.append(p)
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=90)
        yield address, workers_procs
    finally:
        for p in reversed(procs):
            kill_group(p)


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def complete_runs(out: Path) -> list[str]:
    """Run ids whose folder is in ``runs/`` (complete by construction)."""
    runs = out / "runs"
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))


def govsim(*args: str, timeout: float = 300, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed ``govsim`` command."""
    return subprocess.run([str(BIN / "govsim"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=kw.pop("cwd", REPO), **kw)
