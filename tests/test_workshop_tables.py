"""The room's shared state without a browser: table names, pushes to all or one, the
budget refusing a submission under the room's lock, the console's refusals in one line,
the address carrying the table, and the board's batch spec (common seeds, one scenario
file per table)."""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

import pytest

from sim.viz import board as board_mod
from sim.viz.address import make_query, parse_address
from sim.viz.console import act
from sim.viz.room_state import Room, TableRefused, check_table, reset_room


@pytest.fixture
def fresh_room() -> Room:
    return reset_room()


@pytest.mark.parametrize("name", ["3", "Table B", "三桌", "a-b_c"])
def test_table_names_a_room_uses(name: str) -> None:
    assert check_table(f"  {name} ") == name


@pytest.mark.parametrize("name", ["", " ", "a/b", "x" * 25, "<b>"])
def test_table_names_refused(name: str) -> None:
    with pytest.raises(TableRefused):
        check_table(name)


def test_a_push_reaches_every_table_or_only_the_one_chosen(fresh_room: Room) -> None:
    r = fresh_room
    r.push("setting", None, levers={"burden.ledgers": 3})
    r.push("setting", "B", levers={"burden.ledgers": 9})
    r.push("play", None)
    got_a, seen_a = r.pushes_after(0, "A")
    got_b, seen_b = r.pushes_after(0, "B")
    assert [p.kind for p in got_a] == ["setting", "play"]
    assert [p.levers for p in got_b if p.kind == "setting"] == [{"burden.ledgers": 3},
                                                                {"burden.ledgers": 9}]
    assert seen_a == seen_b == 3
    assert r.pushes_after(3, "A") == ([], 3)


def test_a_table_that_joins_late_gets_the_setting_so_far(fresh_room: Room) -> None:
    r = fresh_room
    assert r.standing("A") is None
    r.push("setting", None, levers={"burden.ledgers": 3})
    r.push("setting", None, scenario="burden_cut_f12.toml", levers={"burden.ledgers": 5})
    r.push("setting", "A", levers={"micro_grid.coverage": 0.5}, seed=9)
    r.push("play", None)
    a, b = r.standing("A"), r.standing("B")
    assert a is not None and b is not None
    assert (a.scenario, a.levers, a.seed, a.seq) == (
        "burden_cut_f12.toml", {"burden.ledgers": 5, "micro_grid.coverage": 0.5}, 9, 4)
    assert (b.levers, b.seed) == ({"burden.ledgers": 5}, None)


def test_the_budget_refuses_a_submission_over_it(fresh_room: Room) -> None:
    r = fresh_room
    assert r.submit("A", "nanjing_baseline.toml", {}, 5e6) is not None  # no budget yet
    r.set_budget(4e6)
    assert r.submit("B", "nanjing_baseline.toml", {}, 5e6) is None
    assert [s.table for s in r.submissions()] == ["A"]
    again = r.submit("A", "burden_cut_f12.toml", {"burden.ledgers": 2}, 3e6)
    assert again is not None and [s.scenario for s in r.submissions()] == ["burden_cut_f12.toml"]
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            r.set_budget(bad)


def test_the_servers_log_names_the_budget_and_every_verdict(
        fresh_room: Room, caplog: pytest.LogCaptureFixture) -> None:
    """What the facilitator's server log says (at info): a budget set, and each
    submission with its cost, the budget it was judged against and the verdict."""
    caplog.set_level("INFO", logger="govsim.room")
    fresh_room.set_budget(4e6)
    fresh_room.submit("B", "nanjing_baseline.toml", {}, 5e6)
    fresh_room.submit("C", "nanjing_baseline.toml", {}, 3e6)
    assert [rec.getMessage() for rec in caplog.records] == [
        "budget set: 4,000,000",
        "table B submitted nanjing_baseline.toml (cost 5,000,000, budget 4,000,000): refused",
        "table C submitted nanjing_baseline.toml (cost 3,000,000, budget 4,000,000): recorded"]


def test_many_threads_at_once(fresh_room: Room) -> None:
    r = fresh_room

    def work(i: int) -> None:
        for k in range(50):
            r.push("setting", f"T{i}", levers={"burden.ledgers": k})
            r.report(f"T{i}", f"d{i}", day=k)
            r.submit(f"T{i}", "nanjing_baseline.toml", {}, float(k))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert r.last_seq() == 400 and r.version() == 400
    assert len(r.tables()) == 8
    assert all(len(r.pushes_after(0, f"T{i}")[0]) == 50 for i in range(8))


def test_the_address_carries_the_table() -> None:
    q = make_query("nanjing_baseline.toml", "en", 7, {}, None, table="Table B")
    assert parse_address(q).table == "Table B"
    bad = parse_address("table=a/b")
    assert bad.table is None and bad.ignored == ("table=a/b",)


def test_the_console_refuses_in_one_line(fresh_room: Room) -> None:
    with pytest.raises(ValueError, match="allowed 0 to 40"):
        act("/room/push", {"lever": "staffing.workers_per_10k", "value": "nan"})
    with pytest.raises(ValueError, match="choose"):
        act("/room/push", {})
    with pytest.raises(ValueError, match="seed"):
        act("/room/push", {"seed": "-7"})
    with pytest.raises(ValueError, match="budget"):
        act("/room/budget", {"budget": "lots"})
    assert fresh_room.last_seq() == 0
    assert "B" in act("/room/push", {"table": "B", "lever": "burden.ledgers", "value": "5"})
    assert fresh_room.pushes_after(0, "B")[0][0].levers == {"burden.ledgers": 5}
    assert act("/room/budget", {"budget": "2,500,000"}) == "budget 2,500,000"
    assert fresh_room.budget == 2.5e6
    act("/room/pause", {})
    assert fresh_room.pushes_after(0, "A")[0][-1].kind == "pause"


def test_the_board_spec_shares_seeds_and_names_the_tables(fresh_room: Room, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv(board_mod.ENV_DIR, str(tmp_path))
    monkeypatch.setenv(board_mod.ENV_REPLICATES, "4")
    monkeypatch.setenv(board_mod.ENV_DAYS, "15")
    fresh_room.submit("3", "nanjing_baseline.toml", {"burden.ledgers": 2}, 1.0)
    fresh_room.submit("Table B", "burden_cut_f12.toml", {}, 1.0)
    b = board_mod.Board(fresh_room)
    spec = tomllib.loads(b.write_spec(fresh_room.submissions()).read_text(encoding="utf-8"))
    assert spec["replicates"] == 4 and spec["days"] == 15 and spec["seed"] == 20240601
    assert spec["reference"] == "nanjing_baseline"
    assert spec["scenarios"][1:] == ["policies/table_3.toml", "policies/table_Table_B.toml"]
    runs = b.progress.runs
    assert len(runs) == 12
    assert sorted({scn for scn, _ in runs.values()}) == ["nanjing_baseline", "table_3",
                                                         "table_Table_B"]
    text = (tmp_path / "policies" / "table_3.toml").read_text(encoding="utf-8")
    assert "Table 3: nanjing_baseline.toml; burden.ledgers=2" in text
    assert b.standings() and all("diff" not in r for r in b.standings())  # nothing run yet


def test_the_board_keeps_refreshing_until_its_runner_takes_up_a_submission(
        fresh_room: Room, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A facilitator who opens the board the moment a table submits sees it running, and
    the page refreshes itself: it must not settle on "all runs done" before the runs of
    that submission have begun (it did, with the room in another process)."""
    from sim.viz.console import board_page

    monkeypatch.setenv(board_mod.ENV_DIR, str(tmp_path))
    idle = board_mod.Board(fresh_room)  # its runner not started: the submission waits
    monkeypatch.setattr(board_mod, "_BOARD", idle)
    monkeypatch.setattr(board_mod.Board, "start", lambda self: None)
    page = board_page("en", "on_time_share", True)
    assert 'http-equiv="refresh"' not in page  # nothing submitted: nothing to wait for
    fresh_room.submit("A", "nanjing_baseline.toml", {"burden.ledgers": 2}, 1.0)
    page = board_page("en", "on_time_share", True)
    assert 'http-equiv="refresh"' in page and "Running" in page
    idle.progress.version = fresh_room.version()  # taken up, and (here) nothing to run
    assert 'http-equiv="refresh"' not in board_page("en", "on_time_share", True)
