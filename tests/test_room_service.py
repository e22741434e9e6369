"""The room shared between the page server's worker processes: real processes, a real
:mod:`multiprocessing` manager on 127.0.0.1 (as :mod:`sim.viz.page_server` starts it).

A "supervisor" process holds the room and serves it; the test and a "worker" process
(both spawned from, or being, the supervisor's parent: they share its key) reach it
through :mod:`sim.viz.room_service`, as a worker of the page server does."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sim.viz import room_service

SPAWN = mp.get_context("spawn")


def _supervise(address_out: Any, stop: Any, folder: str) -> None:
    import os

    os.environ["GOVSIM_ROOM_DIR"] = folder
    address_out.put(room_service.serve())
    stop.wait(120)


def _worker_submits(address: str, table: str, done: Any) -> None:
    import os

    os.environ[room_service.ENV_ADDRESS] = address
    from sim.viz.room_state import room

    r = room()
    r.report(table, "device-1", day=7, playing=True)
    done.put((type(r).__name__, r.submit(table, "nanjing_baseline.toml",
                                         {"burden.ledgers": 3}, 5.0)))


@pytest.fixture
def supervisor(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[str]:
    out, stop = SPAWN.Queue(), SPAWN.Event()
    proc = SPAWN.Process(target=_supervise, args=(out, stop, str(tmp_path)), daemon=True)
    proc.start()
    address = out.get(timeout=60)
    monkeypatch.setenv(room_service.ENV_ADDRESS, address)
    monkeypatch.setattr(room_service, "_proxies", {})
    try:
        yield address
    finally:
        stop.set()
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def test_a_workers_room_is_the_supervisors(supervisor: str) -> None:
    from sim.viz.room_state import Room, room

    r = room()
    assert not isinstance(r, Room), "a worker must reach the supervisor's room"
    # another worker process submits and reports; this one sees both
    done = SPAWN.Queue()
    other = SPAWN.Process(target=_worker_submits, args=(supervisor, "B", done))
    other.start()
    kind, sub = done.get(timeout=60)
    other.join(30)
    assert kind == "RoomProxy"
    assert sub.table == "B" and sub.levers == {"burden.ledgers": 3} and sub.version == 1
    assert [s.table for s in r.submissions()] == ["B"]
    assert r.tables()["B"][0].day == 7
    # the budget is checked in the supervisor, under its lock
    r.set_budget(4.0)
    assert r.budget == 4.0
    assert r.submit("C", "nanjing_baseline.toml", {}, 5.0) is None
    with pytest.raises(ValueError, match="a number of yuan above 0"):
        r.set_budget(-1.0)  # a refusal comes back as itself, not as a remote error
    r.share_board(True)
    assert r.board_shared is True


def test_a_push_wakes_a_table_waiting_in_another_process(supervisor: str) -> None:
    from sim.viz.room_state import room

    r = room()
    seq = r.last_seq()
    woke: list[float] = []

    def table_waits() -> None:  # a table's page thread, blocked on the room
        t0 = time.monotonic()
        r.wait(seq, 20.0)
        woke.append(time.monotonic() - t0)

    waiting = threading.Thread(target=table_waits)
    waiting.start()
    time.sleep(0.5)
    p = r.push("setting", "A", levers={"burden.ledgers": 2}, seed=4)
    waiting.join(25)
    assert woke and woke[0] < 5.0, "the push should wake the table at once, not at timeout"
    got, last = r.pushes_after(seq, "A")
    assert [x.seq for x in got] == [p.seq] and last == p.seq
    assert r.pushes_after(seq, "B") == ([], p.seq)
    assert r.standing("A").levers == {"burden.ledgers": 2}


def test_a_workers_board_is_the_supervisors(supervisor: str) -> None:
    from sim.viz.board import Board, board

    b = board()
    assert not isinstance(b, Board)
    assert b.replicates == 5 and b.days == 365 and b.reference == "nanjing_baseline.toml"
    progress = b.progress_now()
    assert (progress.total, progress.done, progress.report) == (0, 0, None)
    assert b.standings("incidents") == []
