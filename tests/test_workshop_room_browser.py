"""Joining from the room, in real Chromium on 127.0.0.1: without the code only the join
form is served (no page, no scripts, no session); the join code opens the page; a wrong
code is refused; the facilitator's code opens the room page with the QR code, which a
table's pass does not."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from viz_fixtures import ARTIFACTS, PageServer
from workshop_browser import TIMEOUT_MS, day_pattern, start_room_server

from sim.viz.room import RoomCodes

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=TIMEOUT_MS)

CODES = RoomCodes(join="K7QM2P", facilitator="FACIL8TR9X", secret="test-secret")


@pytest.fixture(scope="module")
def room_server() -> Iterator[PageServer]:
    yield from start_room_server(ARTIFACTS / "workshop_room_server.log", CODES)


def new_page(browser: Any) -> Any:
    ctx = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx.new_page()


def status(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         NoRedirect())
    try:
        with opener.open(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_without_the_code_only_the_join_form_is_served(browser: Any,
                                                       room_server: PageServer) -> None:
    base = room_server.url.rstrip("/")
    for path in ("/", "/?lang=en", "/static/main.js", "/room", "/_solara/api/close/x"):
        assert status(base + path) in (303, 403), path
    assert status(base + "/join") == 200
    page = new_page(browser)
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(room_server.url + "?lang=en")
    expect(page.locator(".govsim-join")).to_be_visible()
    expect(page.locator(".govsim-graph")).to_have_count(0)
    assert all("/join" in u for u in seen[1:]), seen  # redirected; nothing but the form
    page.locator(".govsim-join-code").fill("WRONG1")
    page.locator(".govsim-join-button").click()
    expect(page.locator(".govsim-join-error")).to_contain_text("not right")
    expect(page.locator(".govsim-graph")).to_have_count(0)
    page.context.close()


def test_the_join_code_opens_the_page_and_it_works(browser: Any,
                                                   room_server: PageServer) -> None:
    page = new_page(browser)
    page.goto(room_server.url)
    page.locator(".govsim-join-code").fill(CODES.join.lower())  # as typed on a phone
    page.locator(".govsim-join-button").click()
    page.wait_for_selector(".govsim-graph")
    page.locator(".govsim-step").click()
    expect(page.locator(".govsim-day").first).to_have_text(day_pattern(1))
    # a table's pass does not open the facilitator's room page
    page.goto(room_server.url + "room")
    expect(page.locator(".govsim-join-error")).to_contain_text("facilitator")
    expect(page.locator(".govsim-room-code")).to_have_count(0)
    page.context.close()


def test_the_qr_address_and_the_facilitator_code(browser: Any,
                                                 room_server: PageServer) -> None:
    page = new_page(browser)
    page.goto(room_server.url + f"join?code={CODES.join}")  # what the QR code holds
    page.wait_for_selector(".govsim-graph")
    page.context.close()
    fac = new_page(browser)
    fac.goto(room_server.url + "join?lang=en")
    fac.locator(".govsim-join-code").fill(CODES.facilitator)
    fac.locator(".govsim-join-button").click()
    expect(fac.locator(".govsim-room-code")).to_have_text(CODES.join)
    expect(fac.locator(".govsim-room-qr svg")).to_have_count(1)
    expect(fac.locator(".govsim-room-url")).to_contain_text(f"/join?code={CODES.join}")
    fac.screenshot(path=str(ARTIFACTS / "workshop_room_codes.png"))
    fac.context.close()
