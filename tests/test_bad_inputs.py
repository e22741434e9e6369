"""A corpus of bad inputs (tests/bad_inputs/, one file per case), run through the real
``govsim`` command: each must exit 2 with one line naming the file and the key, with no
traceback, no warning, nothing on stdout, and nothing changed on disk.

Each case file is a scenario or spec file whose leading comments say how to run it:

    # args: run {file} --days 2          the command line ({file}: the case file)
    # expect: name                       a text the one-line message must hold (repeatable)
    # setup: results                     prepare the sandbox (see ``_setup``; repeatable)
    # env: GOVSIM_SCHEDULER_TIMEOUT=abc  an environment variable for the command

The command runs in a sandbox folder ``work/`` (inside the test's own tmp folder) that
holds copies of the shipped scenarios, the case file in ``work/scenarios/``, a user's
file ``notes.txt``, an earlier run in ``results/earlier/`` and, with ``setup: results``,
a real batch's results in ``results/demo/``. The whole tmp folder is listed (names,
sizes, contents, times) before and after; the listings must be equal.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((Path(__file__).resolve().parent / "bad_inputs").glob("*.toml"))
# What a message must never show: a traceback, a Python class, an object's address.
LEAKS = re.compile(
    r"Traceback|<class|object at 0x|\b\w+(Error|Exception|Warning)\b|\bpydantic\b|"
    r"\b(Scenario|Layout|Residents|Channels|Burden|Staffing|MicroGrid|MobileGrid|Volunteers|"
    r"SocialOrgs|Utilities|Platform|Consultation|Handling|Category|RunParams|BatchSpec|"
    r"SweepSpec|Parameter|Design|Path|PosixPath|datetime)\b"
)


def _header(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*(args|expect|setup|env):\s*(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2).strip())
    return out


def test_the_corpus_covers_every_command_and_class() -> None:
    commands = {shlex.split(_header(c)["args"][0])[0] for c in CASES}
    assert commands >= {"run", "validate", "show", "batch", "sweep", "report", "viz"}
    names = " ".join(c.stem for c in CASES)
    for word in ("name", "out", "huge", "extends", "sobol", "morris", "integer", "nan",
                 "scheduler", "corrupt", "factorial", "timeout"):
        assert word in names, word
    for case in CASES:
        head = _header(case)
        assert len(head.get("args", [])) == 1 and head.get("expect"), case.name


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch's results folder: 2 scenarios x 2 replicates x 5 days."""
    from sim.experiments import run_batch

    base = tmp_path_factory.mktemp("demo")
    spec = base / "demo.toml"
    spec.write_text(
        'kind = "batch"\nname = "demo"\nseed = 3\nreplicates = 2\ndays = 5\n'
        f'scenarios = ["{ROOT}/scenarios/nanjing_baseline.toml", '
        f'"{ROOT}/scenarios/burden_cut_f12.toml"]\n', encoding="utf-8")
    res = run_batch(spec, out=base / "demo", workers=1, quiet=True)
    assert res.ok
    return base / "demo"


class _Silent:
    """A TCP port that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


class _Web:
    """A plain web server (what a mistyped dashboard port answers with)."""

    def __init__(self) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(work: Path, steps: list[str], demo: Path, case: Path) -> Iterator[dict[str, str]]:
    """Prepare the sandbox for one case; yields extra placeholders ({port})."""
    servers: list[_Silent | _Web] = []
    subs: dict[str, str] = {}
    try:
        for step in steps:
            what, _, arg = step.partition(" ")
            if what == "results":
                shutil.copytree(demo, work / "results" / "demo")
            elif what == "corrupt":
                (work / arg).write_bytes(b"not a parquet file\n")
            elif what == "file":
                (work / arg).parent.mkdir(parents=True, exist_ok=True)
                (work / arg).write_text("a user's file\n", encoding="utf-8")
            elif what == "dir":  # a user's folder with their work in it
                (work / arg).mkdir(parents=True, exist_ok=True)
                (work / arg / "thesis.docx").write_bytes(b"years of work")
            elif what == "chain":  # case -> chain0.toml -> ... -> chain{N-1}.toml
                n = int(arg)
                for i in range(n):
                    text = f'extends = "chain{i + 1}.toml"\n' if i < n - 1 else 'name = "x"\n'
                    (work / "scenarios" / f"chain{i}.toml").write_text(text, encoding="utf-8")
            elif what == "listen":
                server = _Silent() if arg == "silent" else _Web()
                servers.append(server)
                subs["port"] = str(server.port)
            elif what == "closed":
                subs["port"] = str(_free_port())
            else:  # pragma: no cover - a typo in a case file
                raise AssertionError(f"{case.name}: unknown setup {step!r}")
        yield subs
    finally:
        for server in servers:
            server.close()


def _listing(root: Path) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath) / d
            out[str(p.relative_to(root))] = ("dir", p.stat().st_mode)
        for f in filenames:
            p = Path(dirpath) / f
            st = p.stat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns, st.st_mode, digest)
    return out


def _sandbox(tmp_path: Path, case: Path) -> Path:
    work = tmp_path / "outer" / "work"
    (work / "scenarios").mkdir(parents=True)
    for f in (ROOT / "scenarios").glob("*.toml"):
        shutil.copy2(f, work / "scenarios" / f.name)
    shutil.copy2(case, work / "scenarios" / case.name)
    (work / "notes.txt").write_text("a user's notes\n", encoding="utf-8")
    earlier = work / "results" / "earlier"  # what an earlier `govsim run` left
    earlier.mkdir(parents=True)
    (earlier / "manifest.json").write_text('{"scenario": "x", "seed": 1, "days": 2}',
                                           encoding="utf-8")
    (earlier / "summary.json").write_text("{}", encoding="utf-8")
    return work


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input_is_refused_cleanly(case: Path, tmp_path: Path, demo_results: Path) -> None:
    head = _header(case)
    work = _sandbox(tmp_path, case)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOVSIM_", "PYTHONWARNINGS"))}
    env["GOVSIM_SCENARIOS_DIR"] = str(work / "scenarios")
    gen = _setup(work, head.get("setup", []), demo_results, case)
    subs = next(gen)
    try:
        subs.update(file=f"scenarios/{case.name}", work=str(work))
        for item in head.get("env", []):
            key, _, value = item.partition("=")
            env[key] = value.format(**subs)
        args = [a.format(**subs) for a in shlex.split(head["args"][0])]
        before = _listing(tmp_path)
        proc = subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)
        after = _listing(tmp_path)
    finally:
        gen.close()
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\n{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("govsim: "), err
    assert proc.stdout == "", proc.stdout
    leak = LEAKS.search(lines[0])
    assert leak is None, f"{leak.group(0)!r} in: {lines[0]}"
    # Each expected text must be in the message, and not only as part of the file's name.
    rest = lines[0].replace(subs["file"], "<file>")
    for text in head["expect"]:
        where = lines[0] if "{file}" in text else rest
        assert text.format(**subs) in where, f"{text!r} not in: {lines[0]}"
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"changed on disk: {sorted(changed)[:10]}"
