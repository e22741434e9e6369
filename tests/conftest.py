"""Shared fixtures. Helpers for scenarios live in tests/helpers.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Make tests/helpers.py importable as `helpers` from every test module.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system's Chromium, one per test module (the browser tests')."""
    from playwright.sync_api import sync_playwright
    from viz_fixtures import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


SERVER_FIXTURES = ("page_server", "room_server")
LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test carries the tail of its page server's log (a worker that
    ended, a socket that closed), so a failure seen once in CI can be read afterwards."""
    report = yield
    if report.failed:
        for name in SERVER_FIXTURES:
            srv = getattr(item, "funcargs", {}).get(name)
            if srv is not None and hasattr(srv, "log_text"):
                tail = "\n".join(srv.log_text().splitlines()[-LOG_TAIL_LINES:])
                report.sections.append((f"{name} log, last {LOG_TAIL_LINES} lines", tail))
    return report
