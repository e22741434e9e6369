"""``python -m sim.viz.page_server --host H --port P [--workers N]``: the page's server.

Solara's web app (what ``solara run sim.viz.app --production`` serves), in ``N`` worker
processes that share one listening socket, under uvicorn's supervisor. With join codes
in the environment (``govsim viz --room``, see :mod:`sim.viz.server`) each worker wraps
the app in the room's gate (:class:`sim.viz.room.RoomGate`).

Why processes: one Python process uses one core, and the tables of a room, each on its
own device, wait for the server's work (about 75 ms of its CPU a click); ``--workers 2``
spreads the sessions over two cores. The workers take connections from the one socket
as each is free, so a session (its WebSocket and its runs) lives in the worker that
accepted it; the page itself is stateless between requests (the session's cookie and
the address carry what it needs). The default is one worker: with the tables' browsers
on the server's own cores (the benchmark's 8 Chromium pages on one 2-core laptop) the
cores are full either way, and two workers stepped no faster and played less evenly
(docs/workshop.md has the figures).

The room's state (pushes, budget, submissions) and its results board are shared by
every worker: they live in this, the supervising, process and the workers reach them
through a :mod:`multiprocessing` manager on 127.0.0.1 (:mod:`sim.viz.room_service`).

A worker whose sessions have all closed gives its memory back by ending: after
:data:`RECYCLE_SECONDS` with no session it stops itself and the supervisor starts a
fresh one (a closed session's memory stays scattered in a long-lived process's heap:
fragmentation, see docs/workshop.md). The socket stays open meanwhile, and a browser
that connects waits in its queue or goes to the other worker.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any

# seconds a worker with no session left waits before it ends (0: never; tests shorten it)
RECYCLE_SECONDS = float(os.environ.get("GOVSIM_VIZ_RECYCLE_SECONDS", "10"))
APP_MODULE = "sim.viz.app"  # the page (Solara's $SOLARA_APP)
# uvicorn's log level: "warning" keeps a room's terminal quiet; the tests ask for "info"
# (without the access log) so that a worker's end or a socket's close is in their log
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
LOG_LEVEL_ENV = "GOVSIM_VIZ_LOG_LEVEL"


def log_level_refusal(env: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """What is wrong with ``$GOVSIM_VIZ_LOG_LEVEL`` (None: nothing); ``govsim viz`` asks
    before it starts the server, the server again for a direct start."""
    level = env.get(LOG_LEVEL_ENV, "warning")
    if level in LOG_LEVELS:
        return None
    return f"{LOG_LEVEL_ENV}={level!r}: allowed {', '.join(LOG_LEVELS)}"


# One worker unless asked: measured on 7 December with 8 tables' Chromium pages on the
# same 2 cores (medians of 3), two workers gave a median click of 933 ms against 812 ms
# and a Play spread of 38% against 15% (docs/workshop.md).
DEFAULT_WORKERS = 1


def _recycle_when_idle(poll: float = 1.0) -> None:
    """End this worker once it has served a session and none is left for a while."""
    from solara.server import kernel_context

    served, idle_since = False, None
    while True:
        time.sleep(poll)
        if kernel_context.contexts:
            served, idle_since = True, None
            continue
        if not served:
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since >= RECYCLE_SECONDS:
            print(f"page_server: worker {os.getpid()} has had no session for "
                  f"{RECYCLE_SECONDS:g} s; it ends and a fresh one starts", file=sys.stderr,
                  flush=True)
            os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
            return


def room_log() -> None:
    """The room's verdicts (a budget set, a submission recorded or refused) in the
    server's log at ``$GOVSIM_VIZ_LOG_LEVEL``, in uvicorn's layout. Set up in the
    supervisor and in every worker; only the process holding the room (the supervisor,
    or a lone worker) has verdicts to log."""
    import logging

    logger = logging.getLogger("govsim.room")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     room: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(os.environ.get(LOG_LEVEL_ENV, "warning").upper())


def app() -> Any:
    """The ASGI app of one worker (uvicorn's ``factory``)."""
    from solara.server.starlette import app as solara_app

    from sim.viz.room import RoomGate, codes_from_env

    room_log()

    if RECYCLE_SECONDS > 0:
        threading.Thread(target=_recycle_when_idle, daemon=True,
                         name="govsim-recycle").start()
    codes = codes_from_env()
    return solara_app if codes is None else RoomGate(solara_app, codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.viz.page_server")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    from sim.viz.room import codes_from_env

    in_room = codes_from_env() is not None
    args.workers = DEFAULT_WORKERS if args.workers is None else args.workers
    if not 1 <= args.workers <= 16:
        print(f"page_server: --workers {args.workers}: allowed 1 to 16", file=sys.stderr)
        return 2
    refusal = log_level_refusal()
    if refusal:
        print(f"page_server: {refusal}", file=sys.stderr)
        return 2
    os.environ["SOLARA_APP"] = APP_MODULE  # as `solara run sim.viz.app` sets it
    os.environ["SERVER_NAME"] = args.host
    os.environ["SERVER_PORT"] = str(args.port)
    if in_room:
        from sim.viz.room_service import serve

        room_log()
        serve()  # the room's state, for every worker (they inherit its address)
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    # No per-message compression on the page's socket: most of what a step sends is
    # its two JPEG pictures, which do not compress, and deflating them took ~10% of the
    # server's CPU with eight tables stepping (docs/workshop.md); a room's network
    # carries the ~110 KB a step without it.
    config = Config("sim.viz.page_server:app", factory=True, host=args.host,
                    port=args.port, workers=args.workers,
                    log_level=os.environ.get(LOG_LEVEL_ENV, "warning"),
                    access_log=False, ws="auto", ws_per_message_deflate=False)
    # uvicorn's supervisor even for one worker: it starts a fresh one when one ends
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
