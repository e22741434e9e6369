"""The room's state and results board shared by the page server's workers.

With more than one worker process (:mod:`sim.viz.page_server`), a table's devices, the
facilitator's console and the board may each be served by a different process, so the
one :class:`~sim.viz.room_state.Room` and the one :class:`~sim.viz.board.Board` live in
the supervising process, served by a :mod:`multiprocessing` manager on 127.0.0.1
(:func:`serve`). A worker's :func:`~sim.viz.room_state.room` and
:func:`~sim.viz.board.board` then return proxies with the same methods; what they return
are copies, as the in-process room's are. The manager's authentication key is the
supervisor's own, which the workers inherit when they are spawned (nothing else has it).

One process alone (the tests' in-process rooms, a server of one worker without a room)
uses the objects directly: nothing here is started.
"""

from __future__ import annotations

import os
import threading
from multiprocessing.managers import BaseManager, BaseProxy
from typing import Any

ENV_ADDRESS = "GOVSIM_ROOM_SERVICE"  # host:port of the supervisor's manager

_hosting = False  # this process holds the room (the supervisor)
_lock = threading.Lock()
_proxies: dict[str, Any] = {}


class RoomProxy(BaseProxy):
    """A worker's handle on the supervisor's :class:`~sim.viz.room_state.Room`."""

    _exposed_ = ("push", "last_seq", "pushes_after", "standing", "wait", "report", "leave",
                 "tables", "get_budget", "set_budget", "submit", "submissions", "version",
                 "wait_version", "is_board_shared", "share_board")

    def push(self, kind: str, table: str | None = None, *, scenario: str | None = None,
             levers: dict[str, Any] | None = None, seed: int | None = None) -> Any:
        return self._callmethod("push", (kind, table),
                                {"scenario": scenario, "levers": levers, "seed": seed})

    def last_seq(self) -> int:
        return self._callmethod("last_seq")

    def pushes_after(self, seq: int, table: str) -> Any:
        return self._callmethod("pushes_after", (seq, table))

    def standing(self, table: str) -> Any:
        return self._callmethod("standing", (table,))

    def wait(self, seq: int, timeout: float) -> None:
        self._callmethod("wait", (seq, timeout))

    def report(self, table: str, device: str, **status: Any) -> None:
        self._callmethod("report", (table, device), status)

    def leave(self, table: str, device: str) -> None:
        self._callmethod("leave", (table, device))

    def tables(self) -> Any:
        return self._callmethod("tables")

    @property
    def budget(self) -> float | None:
        return self._callmethod("get_budget")

    def get_budget(self) -> float | None:
        return self._callmethod("get_budget")

    def set_budget(self, yuan: float | None) -> None:
        self._callmethod("set_budget", (yuan,))

    def submit(self, table: str, scenario: str, levers: dict[str, Any], cost: float) -> Any:
        return self._callmethod("submit", (table, scenario, levers, cost))

    def submissions(self) -> Any:
        return self._callmethod("submissions")

    def version(self) -> int:
        return self._callmethod("version")

    def wait_version(self, seen: int, timeout: float) -> int:
        return self._callmethod("wait_version", (seen, timeout))

    @property
    def board_shared(self) -> bool:
        return self._callmethod("is_board_shared")

    def is_board_shared(self) -> bool:
        return self._callmethod("is_board_shared")

    def share_board(self, shared: bool) -> None:
        self._callmethod("share_board", (shared,))


class BoardProxy(BaseProxy):
    """A worker's handle on the supervisor's :class:`~sim.viz.board.Board`."""

    _exposed_ = ("start", "standings", "reference_mean", "export", "progress_now", "about")

    def start(self) -> None:
        self._callmethod("start")

    def standings(self, by: str = "on_time_share") -> Any:
        return self._callmethod("standings", (by,))

    def reference_mean(self, by: str) -> Any:
        return self._callmethod("reference_mean", (by,))

    def export(self) -> None:
        self._callmethod("export")

    def progress_now(self) -> Any:
        return self._callmethod("progress_now")

    @property
    def replicates(self) -> int:
        return int(self._callmethod("about")["replicates"])

    @property
    def days(self) -> int:
        return int(self._callmethod("about")["days"])

    @property
    def reference(self) -> str:
        return str(self._callmethod("about")["reference"])


class _Host(BaseManager):
    pass


class _Client(BaseManager):
    pass


_Client.register("room", proxytype=RoomProxy)
_Client.register("board", proxytype=BoardProxy)


def serve() -> str:
    """Serve this process's room and board to the workers it will spawn; their address
    (also put in the environment the workers inherit)."""
    global _hosting
    from sim.viz.board import board
    from sim.viz.room_state import room

    _hosting = True
    _Host.register("room", callable=room, proxytype=RoomProxy)
    _Host.register("board", callable=board, proxytype=BoardProxy)
    server = _Host(address=("127.0.0.1", 0)).get_server()
    threading.Thread(target=server.serve_forever, daemon=True, name="govsim-room").start()
    host, port = server.address
    address = f"{host}:{port}"
    os.environ[ENV_ADDRESS] = address
    return address


def _shared(typeid: str) -> Any:
    address = os.environ.get(ENV_ADDRESS)
    if _hosting or not address:
        return None
    with _lock:
        if typeid not in _proxies:
            host, _, port = address.rpartition(":")
            client = _Client(address=(host, int(port)))
            client.connect()
            _proxies[typeid] = getattr(client, typeid)()
        return _proxies[typeid]


def shared_room() -> Any:
    """The supervisor's room, in a worker; ``None`` in the process that holds it."""
    return _shared("room")


def shared_board() -> Any:
    """The supervisor's board, in a worker; ``None`` in the process that holds it."""
    return _shared("board")
