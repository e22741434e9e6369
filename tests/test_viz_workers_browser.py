"""The page's server processes, in real Chromium: a worker whose sessions have all closed
ends and a fresh one takes its place (its memory goes back to the system), and the page
keeps working meanwhile; two workers serve tables side by side."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from viz_fixtures import ARTIFACTS, PageServer, start_page_server
from workshop_browser import TIMEOUT_MS, day_pattern, open_page

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=TIMEOUT_MS)


def workers(srv: PageServer) -> list[psutil.Process]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    out = []
    for c in psutil.Process(srv.proc.pid).children():
        try:
            if "spawn_main" in " ".join(c.cmdline()):
                out.append(c)
        except psutil.Error:  # ended: a zombie until the supervisor reaps it
            pass
    return out


def gone(proc: psutil.Process) -> bool:
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture(scope="module")
def one_worker() -> Iterator[PageServer]:
    yield from start_page_server(ARTIFACTS / "viz_one_worker.log", workers=1,
                                 extra_env={"GOVSIM_VIZ_RECYCLE_SECONDS": "2",
                                            "SOLARA_KERNEL_CULL_TIMEOUT": "1s"})


def step_to(page: Any, day: int) -> None:
    for d in range(1, day + 1):
        page.locator(".govsim-step").click()
        expect(page.locator(".govsim-day")).to_have_text(day_pattern(d))


def test_a_worker_left_without_sessions_is_replaced_and_its_memory_goes_back(
        browser: Any, one_worker: PageServer) -> None:
    [first] = workers(one_worker)
    page = open_page(browser, one_worker)
    step_to(page, 3)
    used = first.memory_info().rss
    page.context.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not gone(first):
        time.sleep(0.25)
    assert gone(first), "the worker should end a couple of seconds after its last session"
    while time.monotonic() < deadline and not [w for w in workers(one_worker)
                                               if w.pid != first.pid]:
        time.sleep(0.25)
    [fresh] = [w for w in workers(one_worker) if w.pid != first.pid]
    assert fresh.memory_info().rss < used, "a fresh worker holds less than a used one"
    # the page works again, from the fresh worker, as before
    page = open_page(browser, one_worker)
    expect(page.locator(".govsim-day")).to_have_text(day_pattern(0))
    step_to(page, 2)
    assert workers(one_worker) == [fresh]
    page.context.close()


def test_two_workers_serve_tables_each_with_its_own_run(browser: Any) -> None:
    """Which worker takes a session is the operating system's choice (the benchmark
    reads how the load is shared); here: four tables, each on its own day."""
    for srv in start_page_server(ARTIFACTS / "viz_two_workers.log", workers=2,
                                 extra_env={"GOVSIM_VIZ_RECYCLE_SECONDS": "0"}):
        assert len(workers(srv)) == 2
        pages = [open_page(browser, srv) for _ in range(4)]
        for i, page in enumerate(pages):
            step_to(page, i + 1)
        for i, page in enumerate(pages):
            expect(page.locator(".govsim-day")).to_have_text(day_pattern(i + 1))
        for page in pages:
            page.context.close()
