"""``govsim viz [SCENARIO.toml] [--host H] [--port P] [--workers N] [--no-browser]
[--room ...]``: serve the page (with ``--room``: behind a join code, with the console
and the results board)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import threading
import webbrowser
from pathlib import Path

from sim.errors import InputError
from sim.viz import server
from sim.viz.page_server import log_level_refusal
from sim.viz.picker import load_for_page, scenarios_dir
from sim.viz.room import RoomCodes, join_url, make_codes, qr_terminal


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``viz`` subcommand to the ``govsim`` command line."""
    p = subparsers.add_parser(
        "viz",
        help="serve the workshop page (levers, community graph, live charts) in a browser",
        description="Serve the bilingual workshop page on this machine, fully offline. "
                    "SCENARIO must be a file in scenarios/ (default nanjing_baseline.toml).",
    )
    p.add_argument("scenario", nargs="?", metavar="SCENARIO.toml",
                   help="scenario file in scenarios/ to open first")
    p.add_argument("--host", default=None,
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=server.DEFAULT_PORT,
                   help=f"port (default {server.DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="server processes, each serving its own sessions (1 to 16; "
                        "default 1; 2 can help a room whose tables use their own devices)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--room", action="store_true",
                   help="serve the room's network (host 0.0.0.0 unless --host is given) "
                        "behind a join code; prints the code, a QR code and the "
                        "facilitator's code")
    p.add_argument("--board-replicates", type=int, default=5, metavar="N",
                   help="--room: replicates of each table's policy on the results board "
                        "(2 to 50; default 5)")
    p.add_argument("--board-days", type=int, default=365, metavar="D",
                   help="--room: simulated days of each board run (1 to 3650; default 365)")
    p.add_argument("--room-dir", default=None, metavar="DIR",
                   help="--room: where the board writes the policies, runs and report "
                        "(default results/workshop_room)")
    p.set_defaults(handler=run_viz)
    return p


def check_args(args: argparse.Namespace) -> tuple[str | None, int]:
    """The scenario name (checked by the picker) and the port; InputError when wrong."""
    name = None
    if args.host is None:
        args.host = ROOM_HOST if getattr(args, "room", False) else server.DEFAULT_HOST
    if args.scenario:
        # Refuse a broken, oversized or city-scale file now, not in the page after the
        # server started.
        real, _ = load_for_page(args.scenario, allow_outside_spelling=True)
        name = real.relative_to(scenarios_dir().resolve()).as_posix()
    workers = getattr(args, "workers", None)
    if workers is not None and not 1 <= int(workers) <= 16:
        raise InputError(f"--workers {workers}: allowed 1 to 16")
    refusal = log_level_refusal()
    if refusal:
        raise InputError(refusal)
    if not 2 <= int(getattr(args, "board_replicates", 5)) <= 50:
        raise InputError(f"--board-replicates {args.board_replicates}: allowed 2 to 50")
    if not 1 <= int(getattr(args, "board_days", 365)) <= 3650:
        raise InputError(f"--board-days {args.board_days}: allowed 1 to 3650")
    port = int(args.port)
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: allowed 0 to 65535")
    try:
        socket.getaddrinfo(args.host, None)
    except (OSError, UnicodeError):
        raise InputError(f"--host {args.host!r}: not an address of this machine; allowed: "
                         f"an address or name such as {server.DEFAULT_HOST}") from None
    if port == 0:
        port = server.free_port(args.host)
    elif not server.port_free(args.host, port):
        raise InputError(f"--port {port}: already in use on {args.host}; pass another --port")
    return name, port


ROOM_HOST = "0.0.0.0"


def lan_address() -> str:
    """This machine's address on the room's network (no packet leaves: a UDP socket's
    route is looked up, nothing is sent); 127.0.0.1 when there is none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def room_banner(codes: RoomCodes, host: str, port: int) -> str:
    shown = lan_address() if host in ("0.0.0.0", "") else host
    base = server.url_for(shown, port)
    link = join_url(base, codes.join)
    return (f"join code: {codes.join}    (tables: open {base} and type it, or scan)\n"
            f"{qr_terminal(link)}{link}\n"
            f"facilitator's code: {codes.facilitator}  (keep it: {base}join, then the code; "
            f"{base}room is the console: the join code and QR code to project, pushes to "
            f"the tables, Start / Pause, the budget; {base}room/board the results board)")


def _open_when_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    with contextlib.suppress(RuntimeError):
        server.wait_ready(proc, url, timeout=120)
        webbrowser.open(url)


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_viz(args: argparse.Namespace) -> int:
    name, port = check_args(args)
    # SIGTERM / SIGHUP stop the page's server too (it runs in its own process group)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    url = server.url_for(args.host, port)
    codes = make_codes() if args.room else None
    from sim.viz import board

    room_env = {board.ENV_REPLICATES: str(args.board_replicates),
                board.ENV_DAYS: str(args.board_days),
                **({board.ENV_DIR: str(Path(args.room_dir).resolve())} if args.room_dir else {})}
    proc = server.start(name, args.host, port, room=codes,
                        extra_env=room_env if codes else None, workers=args.workers)
    if not args.no_browser and codes is None:
        threading.Thread(target=_open_when_ready, args=(proc, url), daemon=True).start()
    print(f"govsim viz: serving {name or 'the default scenario'} at {url} "
          "(Ctrl+C to stop)", file=sys.stderr, flush=True)
    if codes is not None:
        print(room_banner(codes, args.host, port), file=sys.stderr, flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop(proc)
