"""``govsim viz [SCENARIO.toml] [--host H] [--port P] [--no-browser]``: serve the page."""

from __future__ import annotations

import argparse
import signal
import socket
import sys

from sim.errors import InputError
from sim.viz import server
from sim.viz.picker import resolve_scenario, scenarios_dir


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
    p.add_argument("--host", default=server.DEFAULT_HOST,
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=server.DEFAULT_PORT,
                   help=f"port (default {server.DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(handler=run_viz)
    return p


def check_args(args: argparse.Namespace) -> tuple[str | None, int]:
    """The scenario name (checked by the picker) and the port; InputError when wrong."""
    name = None
    if args.scenario:
        real = resolve_scenario(args.scenario, allow_outside_spelling=True)
        name = real.relative_to(scenarios_dir().resolve()).as_posix()
        # Refuse a broken or oversized file now, not in the page after the server started.
        from sim.scenario import load_scenario

        load_scenario(real)
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


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_viz(args: argparse.Namespace) -> int:
    name, port = check_args(args)
    # SIGTERM / SIGHUP stop the page's server too (it runs in its own process group)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    url = server.url_for(args.host, port)
    proc = server.start(name, args.host, port, open_browser=not args.no_browser)
    print(f"govsim viz: serving {name or 'the default scenario'} at {url} "
          "(Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop(proc)
