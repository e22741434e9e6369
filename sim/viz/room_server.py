"""``python -m sim.viz.room_server --host H --port P``: the page's server for a room.

What ``solara run sim.viz.app --production`` does, with Solara's web app wrapped in the
join-code gate (:class:`sim.viz.room.RoomGate`; the codes come in the environment from
``govsim viz --room``, see :mod:`sim.viz.server`).
"""

from __future__ import annotations

import argparse
import os
import sys

from sim.viz.room import RoomGate, codes_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.viz.room_server")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    codes = codes_from_env()
    if codes is None:
        print("room_server: no join codes in the environment", file=sys.stderr)
        return 2
    os.environ["SOLARA_APP"] = "sim.viz.app"  # as `solara run sim.viz.app` sets it
    os.environ["SERVER_NAME"] = args.host
    os.environ["SERVER_PORT"] = str(args.port)
    import uvicorn
    from solara.server.starlette import app as solara_app

    uvicorn.run(RoomGate(solara_app, codes), host=args.host, port=args.port,
                log_level="warning", ws="auto")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
