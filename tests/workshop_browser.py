"""Shared helpers for the workshop browser tests (tests/test_workshop_*.py): a page server
on a copy of scenarios/, the system Chromium, and a page opened in its own context."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from viz_fixtures import REPO, PageServer

TIMEOUT_MS = 45_000


def copy_scenarios(root: Path) -> Path:
    """A copy of scenarios/ (saving from the page never writes into the repository)."""
    root.mkdir(parents=True, exist_ok=True)
    for f in (REPO / "scenarios").glob("*.toml"):
        shutil.copy(f, root)
    return root


def open_page(browser: Any, srv: PageServer, query: str = "?lang=en",
              viewport: dict[str, int] | None = None, locale: str = "en-US",
              wait_graph: bool = True) -> Any:
    ctx = browser.new_context(locale=locale, accept_downloads=True,
                              viewport=viewport or {"width": 1600, "height": 1100})
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.goto(srv.url + query)
    if wait_graph:
        page.wait_for_selector(".govsim-graph")
        page.wait_for_selector(".govsim-day")
    return page


def day_of(page: Any) -> int:
    return int(re.search(r"(\d+)", page.locator(".govsim-day").first.inner_text()).group(1))


def day_pattern(day: int) -> re.Pattern[str]:
    return re.compile(rf"(Day {day} of|第 {day} 天)")


def pages(browser: Any, srv: PageServer, n: int, query: str) -> Iterator[Any]:
    for _ in range(n):
        yield open_page(browser, srv, query)


def start_room_server(log: Path, codes: Any, extra_env: dict[str, str] | None = None,
                      workers: int = 2) -> Iterator[PageServer]:
    """The page's server behind the room's join code, on 127.0.0.1 only; two worker
    processes (``govsim viz --room --workers 2``), so the room is shared between
    processes."""
    import subprocess

    from viz_fixtures import ProxyTrap, server_env

    from sim.viz import server

    trap = ProxyTrap()
    port = server.free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        env = server_env(trap, extra_env)
        proc = server.start(None, "127.0.0.1", port, extra_env=env, stdout=out,
                            stderr=subprocess.STDOUT, room=codes, workers=workers)
        try:
            url = server.url_for("127.0.0.1", port)
            server.wait_ready(proc, url, timeout=90)
            yield PageServer(url=url, proc=proc, trap=trap, log=log)
        finally:
            server.stop(proc)
            trap.close()
