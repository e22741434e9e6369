"""Tables, the facilitator's console and the results board, in real Chromium on
127.0.0.1: two tables stay apart; a push reaches every table, or only the one chosen;
Start and Pause reach everyone; a submission over the budget is refused; a submitted
policy appears on the board with its interval, and the board exports the report."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from viz_fixtures import ARTIFACTS, AT_REST, PageServer
from workshop_browser import TIMEOUT_MS, day_of, day_pattern, start_room_server

from sim.viz.room import RoomCodes

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=TIMEOUT_MS)

CODES = RoomCodes(join="T4BLES", facilitator="CONSOLE7KQ", secret="tables-secret")
LEVER = "staffing.workers_per_10k"


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageServer]:
    folder: Path = tmp_path_factory.mktemp("room")
    env = {"GOVSIM_ROOM_DIR": str(folder), "GOVSIM_BOARD_DAYS": "20",
           "GOVSIM_BOARD_REPLICATES": "3"}
    yield from start_room_server(ARTIFACTS / "workshop_tables_server.log", CODES, env)


def context(browser: Any) -> Any:
    ctx = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def join_table(browser: Any, srv: PageServer, table: str) -> Any:
    """A table's device joins with the join form: the code and the table's name."""
    page = context(browser).new_page()
    page.goto(srv.url + "join?lang=en")
    page.locator(".govsim-join-code").fill(CODES.join)
    page.locator(".govsim-join-table").fill(table)
    page.locator(".govsim-join-button").click()
    page.wait_for_selector(".govsim-graph")
    expect(page.locator(".govsim-table-card")).to_contain_text(f"Table {table}")
    return page


def facilitator(browser: Any, srv: PageServer) -> Any:
    page = context(browser).new_page()
    page.goto(srv.url + f"join?code={CODES.facilitator}&lang=en")
    expect(page.locator(".govsim-room-code")).to_have_text(CODES.join)
    return page


def console(fac: Any, srv: PageServer) -> None:
    fac.goto(srv.url + "room?lang=en")


def push(fac: Any, srv: PageServer, table: str = "", lever: str = "", value: str = "",
         scenario: str = "") -> None:
    console(fac, srv)
    form = fac.locator(".govsim-push")
    form.locator("select[name=table]").select_option(table)
    form.locator("select[name=scenario]").select_option(scenario)
    form.locator("select[name=lever]").select_option(lever)
    form.locator("input[name=value]").fill(value)
    form.locator(".govsim-push-button").click()
    expect(fac.locator(".govsim-console-message")).to_contain_text("Sent")


def lever_in_url(value: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(LEVER)}={value}(&|$)")


@pytest.fixture(scope="module")
def tables(browser: Any, room_server: PageServer) -> Iterator[tuple[Any, Any, Any]]:
    a = join_table(browser, room_server, "A")
    b = join_table(browser, room_server, "B")
    fac = facilitator(browser, room_server)
    yield a, b, fac
    for p in (a, b, fac):
        p.context.close()


def test_two_tables_are_isolated_and_a_push_reaches_all_or_one(
        tables: tuple[Any, Any, Any], room_server: PageServer, browser: Any) -> None:
    a, b, fac = tables
    a.locator(".govsim-step").click()
    expect(a.locator(".govsim-day").first).to_have_text(day_pattern(1))
    expect(b.locator(".govsim-day").first).to_have_text(day_pattern(0))
    console(fac, room_server)
    for name in ("A", "B"):  # the console lists both tables
        expect(fac.locator(f".govsim-console-row[data-table='{name}']")).to_have_count(1)
    push(fac, room_server, lever=LEVER, value="30")  # to every table
    for page in (a, b):
        expect(page).to_have_url(lever_in_url("30"))
        expect(page.locator(".govsim-day").first).to_have_text(day_pattern(0))
        expect(page.locator(".govsim-table-pushed")).to_be_visible()
    push(fac, room_server, table="B", lever=LEVER, value="35")  # to table B only
    expect(b).to_have_url(lever_in_url("35"))
    time.sleep(2.0)  # a push reaches a page within a moment: A must not have moved
    expect(a).to_have_url(lever_in_url("30"))
    late = join_table(browser, room_server, "B")  # joins later: starts where B is
    expect(late).to_have_url(lever_in_url("35"))
    late.context.close()
    # a lever a slider cannot show is refused on the console, and nothing is sent
    console(fac, room_server)
    form = fac.locator(".govsim-push")
    form.locator("select[name=lever]").select_option(LEVER)
    form.locator("input[name=value]").fill("nan")
    form.locator(".govsim-push-button").click()
    expect(fac.locator(".govsim-console-message")).to_contain_text("Not sent")
    expect(b).to_have_url(lever_in_url("35"))


def test_start_and_pause_everyone(tables: tuple[Any, Any, Any],
                                  room_server: PageServer) -> None:
    a, b, fac = tables
    console(fac, room_server)
    fac.locator(".govsim-play-button").click()
    for page in (a, b):
        expect(page.locator(".govsim-day").first).not_to_have_text(day_pattern(0))
    console(fac, room_server)
    fac.locator(".govsim-pause-button").click()
    # At Pause a table still takes the days its clock gave it (one last frame, which
    # takes seconds on a loaded machine): the days must come to rest, then stay.
    for page in (a, b):
        expect(page.locator(".govsim-day").first).to_have_class(AT_REST, timeout=60_000)
    days = settled_days([a, b], hold=3.0, within=45.0)
    assert min(days) > 0
    time.sleep(2.0)
    assert [day_of(a), day_of(b)] == days  # paused: neither moves


def settled_days(pages: list[Any], hold: float, within: float) -> list[int]:
    """The pages' days once none has moved for ``hold`` seconds; fails after ``within``."""
    deadline = time.monotonic() + within
    days, since = [day_of(p) for p in pages], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = [day_of(p) for p in pages]
        if now != days:
            days, since = now, time.monotonic()
        elif time.monotonic() - since >= hold:
            return days
    raise AssertionError(f"days still moving {within:.0f} s after Pause: {days}")


def test_a_submission_over_the_budget_is_refused(tables: tuple[Any, Any, Any],
                                                 room_server: PageServer) -> None:
    a, _, fac = tables
    console(fac, room_server)
    fac.locator(".govsim-budget input[name=budget]").fill("1000")
    fac.locator(".govsim-budget-button").click()
    expect(fac.locator(".govsim-console-message")).to_contain_text("budget 1,000")
    expect(a.locator(".govsim-table-budget")).to_contain_text("1,000")
    expect(a.locator(".govsim-table-over")).to_contain_text("Over the budget")
    a.locator(".govsim-submit").click()
    expect(a.locator(".govsim-table-message")).to_contain_text("Not submitted")
    console(fac, room_server)
    expect(fac.locator(".govsim-console-row[data-table='A'] td").last).to_have_text("")


def test_a_submitted_policy_appears_on_the_board_with_an_interval(
        tables: tuple[Any, Any, Any], room_server: PageServer) -> None:
    a, b, fac = tables
    console(fac, room_server)
    fac.locator(".govsim-budget input[name=budget]").fill("100000000")
    fac.locator(".govsim-budget-button").click()
    expect(a.locator(".govsim-table-budget")).to_contain_text("100,000,000")
    # the refusal under the old budget is gone: it named a budget that no longer holds
    expect(a.locator(".govsim-table-message")).to_have_count(0)
    for page in (a, b):
        page.locator(".govsim-submit").click()
        expect(page.locator(".govsim-table-message")).to_contain_text("Submitted")
    fac.goto(room_server.url + "room/board?lang=en")
    for name in ("A", "B"):
        cell = fac.locator(f".govsim-board-row[data-table='{name}'] .govsim-board-interval")
        expect(cell).to_have_text(re.compile(r"[+-]\d+\.\d pp \[[+-]\d+\.\d, [+-]\d+\.\d\]"))
    expect(fac.locator(".govsim-board-state")).to_contain_text("All 9 runs done")
    fac.screenshot(path=str(ARTIFACTS / "workshop_board.png"))
    # shown to the tables on request only
    b.goto(room_server.url + "board?lang=en")
    expect(b.locator(".govsim-board-row")).to_have_count(0)
    console(fac, room_server)
    fac.locator(".govsim-share-button").click()
    b.goto(room_server.url + "board?lang=en")
    expect(b.locator(".govsim-board-row")).to_have_count(2)
    expect(b.locator(".govsim-export-button")).to_have_count(0)
    # the planner's report, with the tables' names
    fac.goto(room_server.url + "room/board?lang=en")
    fac.locator(".govsim-export-button").click()
    fac.wait_for_selector(".govsim-board-report", timeout=120_000)
    fac.locator(".govsim-board-report").click()
    expect(fac.locator("body")).to_contain_text("table_A")
    expect(fac.locator("body")).to_contain_text("Table B")
