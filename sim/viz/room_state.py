"""The room's shared state, in the page server's memory: tables, the facilitator's
pushes, the budget and the tables' submissions.

One :class:`Room` per server (:func:`room`), guarded by one lock: the Solara sessions
(each in its own threads) and the facilitator's console and board (the room gate's HTTP
handlers) read and write it. With several worker processes it lives in the supervising
one and the workers reach it through :mod:`sim.viz.room_service`. Nothing is written to
disk here; the board (:mod:`sim.viz.board`) writes the submitted policies out when it
runs them.

The table is the unit: the facilitator addresses a table, the board lists a table, a
table submits one policy (a later submission replaces its earlier one). Each device
at a table keeps its own run (its own session), and every push to the table reaches
every device at it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TABLE_NAME = re.compile(r"[\w\- ]{1,24}")
STALE_SECONDS = 30.0  # a device not heard from for this long has left its table
log = logging.getLogger("govsim.room")  # the budget and every verdict, for the server's log


class TableRefused(ValueError):
    """A table name the room will not use."""


def check_table(name: str) -> str:
    """A table's name as typed (``3``, ``Table 3``, ``三桌``), trimmed; letters, digits,
    spaces, ``_`` or ``-``, at most 24 (it is shown on the board and in the report)."""
    text = " ".join(str(name).split())
    if not TABLE_NAME.fullmatch(text):
        raise TableRefused(f"{str(name)[:40]!r}: a table's name is 1 to 24 letters, digits, "
                           "spaces, '_' or '-'")
    return text


@dataclass(frozen=True)
class Push:
    """One thing the facilitator sent: a setting (scenario, levers, seed) or play / pause,
    to every table (``table`` None) or one."""

    seq: int
    kind: str  # "setting", "play" or "pause"
    table: str | None = None
    scenario: str | None = None
    levers: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None

    def reaches(self, table: str) -> bool:
        return self.table is None or self.table == table


@dataclass
class Device:
    """What a device at a table last reported (for the console)."""

    day: int = 0
    scenario: str | None = None
    levers: dict[str, Any] = field(default_factory=dict)
    cost: float | None = None
    playing: bool = False
    seen: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Submission:
    """A table's chosen policy: the picked file and the levers moved from it."""

    table: str
    scenario: str
    levers: dict[str, Any]
    cost: float
    version: int  # the room's submission counter when it came in


class Room:
    """Thread-safe: every method takes the lock; what it returns is a copy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pushes: list[Push] = []
        self._devices: dict[str, dict[str, Device]] = {}  # table -> device id -> status
        self._submissions: dict[str, Submission] = {}
        self._budget: float | None = None
        self._board_shared = False
        self._version = 0  # bumped by every submission: the board reruns
        self.changed = threading.Condition(self._lock)

    # -- pushes ---------------------------------------------------------------------------
    def push(self, kind: str, table: str | None = None, *, scenario: str | None = None,
             levers: dict[str, Any] | None = None, seed: int | None = None) -> Push:
        if kind not in ("setting", "play", "pause"):
            raise ValueError(f"unknown push {kind!r}")
        with self._lock:
            p = Push(len(self._pushes) + 1, kind, table, scenario, dict(levers or {}), seed)
            self._pushes.append(p)
            self.changed.notify_all()
            return p

    def last_seq(self) -> int:
        with self._lock:
            return len(self._pushes)

    def pushes_after(self, seq: int, table: str) -> tuple[list[Push], int]:
        """The pushes since ``seq`` that reach ``table``, oldest first, and the last
        sequence number looked at (read together, so none slips between)."""
        with self._lock:
            return [p for p in self._pushes[seq:] if p.reaches(table)], len(self._pushes)

    def standing(self, table: str) -> Push | None:
        """The setting the pushes so far leave ``table`` at (a scenario resets the
        levers; levers add up; the last seed counts), for a device that joins late."""
        with self._lock:
            pushes = [p for p in self._pushes if p.kind == "setting" and p.reaches(table)]
            seq = len(self._pushes)
        if not pushes:
            return None
        scenario, levers, seed = None, {}, None
        for p in pushes:
            if p.scenario:
                scenario, levers = p.scenario, {}
            levers.update(p.levers)
            seed = p.seed if p.seed is not None else seed
        return Push(seq, "setting", table, scenario, levers, seed)

    def wait(self, seq: int, timeout: float) -> None:
        """Block until a push after ``seq`` (or a timeout): the pages wake at once."""
        with self._lock:
            if len(self._pushes) <= seq:
                self.changed.wait(timeout)

    # -- tables and their devices -----------------------------------------------------------
    def report(self, table: str, device: str, **status: Any) -> None:
        with self._lock:
            self._devices.setdefault(table, {})[device] = Device(**status)

    def leave(self, table: str, device: str) -> None:
        with self._lock:
            self._devices.get(table, {}).pop(device, None)

    def tables(self) -> dict[str, list[Device]]:
        """Tables with a device heard from lately, or a submission, by name."""
        now = time.monotonic()
        with self._lock:
            names = set(self._submissions) | {
                t for t, devs in self._devices.items()
                if any(now - d.seen < STALE_SECONDS for d in devs.values())}
            return {t: [d for d in self._devices.get(t, {}).values()
                        if now - d.seen < STALE_SECONDS] for t in sorted(names)}

    # -- budget and submissions -----------------------------------------------------------
    @property
    def budget(self) -> float | None:
        return self.get_budget()

    def get_budget(self) -> float | None:
        with self._lock:
            return self._budget

    def set_budget(self, yuan: float | None) -> None:
        if yuan is not None and not (yuan > 0 and yuan < 1e13):
            raise ValueError(f"budget {yuan!r}: a number of yuan above 0")
        with self._lock:
            self._budget = yuan
            self.changed.notify_all()
        log.info("budget set: %s", "none" if yuan is None else f"{yuan:,.0f}")

    def submit(self, table: str, scenario: str, levers: dict[str, Any],
               cost: float) -> Submission | None:
        """Record a table's policy; ``None`` (nothing recorded) when its cost is over the
        budget. The check is here, under the lock, so a budget set a moment ago counts."""
        with self._lock:
            budget = self._budget
            if budget is not None and cost > budget:
                sub = None
            else:
                self._version += 1
                sub = Submission(table, scenario, dict(levers), float(cost), self._version)
                self._submissions[table] = sub
                self.changed.notify_all()
        log.info("table %s submitted %s (cost %s, budget %s): %s", table, scenario,
                 f"{cost:,.0f}", "none" if budget is None else f"{budget:,.0f}",
                 "refused" if sub is None else "recorded")
        return sub

    def submissions(self) -> list[Submission]:
        with self._lock:
            return sorted(self._submissions.values(), key=lambda s: s.table)

    def version(self) -> int:
        with self._lock:
            return self._version

    def wait_version(self, seen: int, timeout: float) -> int:
        """Block until a submission after ``seen`` (or a timeout); the version now."""
        with self._lock:
            if self._version == seen:
                self.changed.wait(timeout)
            return self._version

    @property
    def board_shared(self) -> bool:
        return self.is_board_shared()

    def is_board_shared(self) -> bool:
        with self._lock:
            return self._board_shared

    def share_board(self, shared: bool) -> None:
        with self._lock:
            self._board_shared = bool(shared)
            self.changed.notify_all()


_ROOM = Room()


def room() -> Room:
    """The server's one room (in a worker of several: a proxy to the supervisor's)."""
    from sim.viz.room_service import shared_room

    return shared_room() or _ROOM


def reset_room() -> Room:
    """A fresh room (tests)."""
    global _ROOM
    _ROOM = Room()
    return _ROOM
