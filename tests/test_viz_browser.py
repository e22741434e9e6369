"""The workshop page end to end: the real server, the real model, real Chromium.

One page server and one browser for the module; every test opens its own page (a new
Solara session). Screenshots and downloads go to tests/artifacts/ (git-ignored). Set
GOVSIM_UPDATE_DOCS_IMG=1 to also refresh docs/img/workshop_zh.png.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import matplotlib.image as mpimg
import pandas as pd
import pytest
from viz_fixtures import (
    ARTIFACTS,
    AT_REST,
    LOCAL_HOSTS,
    REPO,
    PageServer,
    start_page_server,
)

from sim.viz.labels import scenario_title
from sim.viz.picker import list_scenarios

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 45_000
VIEWPORT = {"width": 1600, "height": 1500}
STAFFING = ".govsim-lever-staffing-workers_per_10k"
LEDGERS = ".govsim-lever-burden-ledgers"

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    yield from start_page_server(ARTIFACTS / "viz_server.log")


URLS: list[str] = []  # every address any page asked for, checked by the last test


def open_page(browser: Any, srv: PageServer, locale: str = "en-US", query: str = "") -> Any:
    ctx = browser.new_context(locale=locale, viewport=VIEWPORT, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.on("request", lambda r: URLS.append(r.url))
    page.on("websocket", lambda ws: URLS.append(ws.url))
    page.goto(srv.url + query)
    page.wait_for_selector(".govsim-graph")
    page.wait_for_selector(".govsim-day")
    return page


def day_of(page: Any) -> int:
    return int(re.search(r"(\d+)", page.locator(".govsim-day").inner_text()).group(1))


def day_text(day: int) -> re.Pattern[str]:
    return re.compile(rf"(Day {day} of|第 {day} 天)")


def image_src(page: Any, css: str) -> str:
    return page.locator(css).evaluate(
        "e => (e.tagName === 'IMG' ? e : e.querySelector('img')).src")


def image_width(page: Any, css: str) -> int:
    return int(page.locator(css).evaluate(
        "e => (e.tagName === 'IMG' ? e : e.querySelector('img')).naturalWidth"))


def lever_value(page: Any, css: str) -> float:
    text = page.locator(f"{css} .govsim-lever-label").inner_text()
    return float(re.search(r"[:：]\s*([\d.]+)", text).group(1))


def drag_lever(page: Any, css: str, fraction: float) -> None:
    """Click the slider's track at ``fraction`` of its width (as a facilitator would)."""
    track = page.locator(f"{css} .v-slider")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def step(page: Any, days: int) -> None:
    for _ in range(days):
        before = day_of(page)
        page.locator(".govsim-step").click()
        expect(page.locator(".govsim-day")).to_have_text(day_text(before + 1))
        # the table is another widget: its update can land a message after the label's
        expect(page.locator(f".govsim-outcomes table[data-day='{before + 1}']")).to_be_attached()


def cell(page: Any, key: str, column: int) -> str:
    return page.locator(f".govsim-outcomes tr[data-key='{key}'] td").nth(column).inner_text()


def test_opens_in_chinese_when_the_browser_prefers_it(browser: Any,
                                                      page_server: PageServer) -> None:
    page = open_page(browser, page_server, locale="zh-CN")
    expect(page.locator(".govsim-day")).to_contain_text("第 0 天")
    for label in ("社区治理工作坊 · 南京", "情景文件", "改革方案", "政策杠杆", "对比", "导出",
                  "主要结果", "社区图", "动态图表", "每万人社区工作者", "前进一天", "播放"):
        expect(page.get_by_text(label, exact=False).first).to_be_attached()
    assert "Community graph" not in page.content()
    # play for a while so the pictures show a run, then pause
    page.locator(".govsim-play").click()
    expect(page.locator(".govsim-day")).not_to_contain_text("第 0 天")
    time.sleep(4)
    page.locator(".govsim-play").click()  # pause
    expect(page.locator(".govsim-play")).to_contain_text("播放")
    assert day_of(page) > 5
    assert image_width(page, ".govsim-graph") > 400
    assert image_width(page, ".govsim-charts") > 400
    time.sleep(1.0)
    shot = ARTIFACTS / "workshop_zh.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    if os.environ.get("GOVSIM_UPDATE_DOCS_IMG"):
        (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "img" / "workshop_zh.png")
    page.context.close()


def test_language_switch_changes_every_label(browser: Any, page_server: PageServer) -> None:
    page = open_page(browser, page_server, locale="en-US")
    expect(page.locator(".govsim-day")).to_have_text(day_text(0))
    expect(page.get_by_text("Community graph").first).to_be_attached()
    graph_before = image_src(page, ".govsim-graph")
    charts_before = image_src(page, ".govsim-charts")
    page.locator(".govsim-lang-zh").click()
    expect(page.locator(".govsim-day")).to_contain_text("第 0 天")
    expect(page.get_by_text("社区图").first).to_be_attached()
    expect(page.get_by_text("主要结果").first).to_be_attached()
    expect(page.locator(".govsim-outcomes")).to_contain_text("产生的问题")
    # the pictures are redrawn with Chinese legends and titles
    for _ in range(60):
        if image_src(page, ".govsim-graph") != graph_before and \
                image_src(page, ".govsim-charts") != charts_before:
            break
        time.sleep(0.5)
    assert image_src(page, ".govsim-graph") != graph_before
    assert image_src(page, ".govsim-charts") != charts_before
    # every part re-renders in its own message: wait for the last (CI saw the levers' card
    # still in English as the pictures changed)
    for english in ("Community graph", "Headline outcomes", "Policy levers", "Step one day"):
        expect(page.locator("body")).not_to_contain_text(english)
    # tooltips follow the language too
    expect(page.locator(".govsim-step")).to_have_text("前进一天")
    page.locator(".govsim-step").hover()
    expect(page.get_by_text("模拟推进一天")).to_be_visible()
    page.locator(".govsim-lang-en").click()
    expect(page.locator(".govsim-day")).to_have_text(day_text(0))
    expect(page.locator(".govsim-step")).to_have_text("Step one day")
    page.mouse.move(0, 0)
    page.locator(".govsim-step").hover()
    expect(page.get_by_text("Advance the simulation by one day")).to_be_visible()
    page.context.close()


def test_slider_then_step_changes_the_numbers(browser: Any, page_server: PageServer) -> None:
    page = open_page(browser, page_server, query="?lang=en")
    assert lever_value(page, STAFFING) == 18.0  # [F30]
    drag_lever(page, STAFFING, 0.9)
    expect(page.locator(f"{STAFFING} .govsim-lever-label")).to_contain_text("(changed)")
    assert lever_value(page, STAFFING) > 30
    assert cell(page, "raised", 1) == "0"
    step(page, 3)
    assert day_of(page) == 3
    expect(page.locator(".govsim-outcomes tr[data-key='raised'] td").nth(1)).not_to_have_text(
        "0")
    assert int(cell(page, "raised", 1).replace(",", "")) > 0
    page.screenshot(path=str(ARTIFACTS / "workshop_slider_step.png"), full_page=True)
    # restart keeps the lever, goes back to day 0
    page.locator(".govsim-reset").click()
    expect(page.locator(".govsim-day")).to_have_text(day_text(0))
    assert lever_value(page, STAFFING) > 30
    page.context.close()


def test_a_step_costs_the_page_one_message_and_the_busy_bar_keeps_still(
        browser: Any, page_server: PageServer) -> None:
    """What a click costs a table's device. A step sends the click and nothing else: a
    slider given a value between its steps (the baseline's dispatch delay 0.25 on 0.1
    steps) was snapped by the browser and sent back after every step, and set again by
    the server. And Solara's busy bar, shown while the server takes over 0.3 s, does
    not slide: its animation repainted the page 60 times a second while it waited."""
    page = open_page(browser, page_server, query="?lang=en")
    step(page, 1)
    page.evaluate("""() => { window.govsimSent = 0; const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
            if (typeof data === 'string' && data.includes('comm_msg')) { window.govsimSent++; }
            return send.call(this, data); }; }""")
    charts = [image_src(page, ".govsim-charts")]
    for _ in range(3):  # each step shows a new picture of the charts and the graph
        graph = image_src(page, ".govsim-graph")
        step(page, 1)
        expect(page.locator(".govsim-charts img, img.govsim-charts").first).not_to_have_attribute(
            "src", charts[-1])
        expect(page.locator(".govsim-graph img, img.govsim-graph").first).not_to_have_attribute(
            "src", graph)
        charts.append(image_src(page, ".govsim-charts"))
    sent = page.evaluate("() => window.govsimSent")
    assert sent == 3, f"the page sent {sent} widget messages for 3 steps"
    # Solara sets kernelBusyLong after 0.3 s of a busy server: the bar shows, still
    still = page.evaluate("""async () => {
        const root = document.querySelector('.v-application').__vue__.$root;
        root.kernelBusyLong = true;
        await new Promise(r => setTimeout(r, 500));
        const bar = document.querySelector('.v-application--wrap > .v-progress-linear');
        const out = [getComputedStyle(bar).visibility, document.getAnimations().length,
                     bar.getBoundingClientRect().width];
        root.kernelBusyLong = false;
        return out; }""")
    assert still[0] == "visible" and still[1] == 0 and still[2] > 0.9 * VIEWPORT["width"], still
    page.context.close()


def test_the_pages_socket_is_not_compressed(browser: Any, page_server: PageServer) -> None:
    """A step's pictures are JPEGs, which do not compress: the server declines the
    browser's offer of per-message deflate (it cost ~10% of the server's CPU). Read from
    Chromium's own record of the page's websocket handshake."""
    page = open_page(browser, page_server, query="?lang=en")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    answers: list[dict[str, str]] = []
    cdp.on("Network.webSocketHandshakeResponseReceived",
           lambda e: answers.append({k.lower(): v for k, v in e["response"]["headers"].items()}))
    page.reload()
    page.wait_for_selector(".govsim-graph")
    expect(page.locator(".govsim-day")).to_have_text(day_text(0))
    assert answers, "no websocket handshake seen"
    for headers in answers:
        assert "deflate" not in headers.get("sec-websocket-extensions", ""), headers
    page.context.close()


def test_compare_runs_side_by_side_and_shows_the_difference(browser: Any,
                                                             page_server: PageServer) -> None:
    page = open_page(browser, page_server, query="?lang=en")
    page.locator(".govsim-compare").click()
    headers = page.locator(".govsim-outcomes th")
    expect(headers).to_have_text(["Indicator", "Baseline", "Changed",
                                  "Difference (changed − baseline)"])
    expect(page.locator(".govsim-baseline")).to_be_attached()
    step(page, 2)
    # same file, same seed: the two runs are identical
    assert cell(page, "raised", 1) == cell(page, "raised", 2)
    assert cell(page, "admin_share", 3) == "+0.0 pp"
    drag_lever(page, LEDGERS, 0.97)  # 40 ledgers a year, as before the 2012 reform [P2]
    page.locator(".govsim-confirm-ok").click()  # a run is under way: the page asks first
    expect(page.locator(f"{LEDGERS} .govsim-lever-label")).to_contain_text("(changed)")
    expect(page.locator(".govsim-day")).to_have_text(day_text(0))
    step(page, 2)
    base = float(cell(page, "admin_share", 1).rstrip("%"))
    changed = float(cell(page, "admin_share", 2).rstrip("%"))
    assert changed > base
    assert cell(page, "admin_share", 3).startswith("+")
    assert cell(page, "admin_share", 3) != "+0.0 pp"
    page.screenshot(path=str(ARTIFACTS / "workshop_compare.png"), full_page=True)
    page.context.close()


def test_export_png_and_csv(browser: Any, page_server: PageServer) -> None:
    page = open_page(browser, page_server, query="?lang=en")
    step(page, 2)
    files, names = {}, {}
    for css, suffix in ((".govsim-export-png", "_charts.png"),
                        (".govsim-export-graph", "_graph.png"),
                        (".govsim-export-csv", ".csv")):
        with page.expect_download() as info:
            page.locator(css).click()
        download = info.value
        assert download.suggested_filename.endswith(suffix)
        names[suffix] = download.suggested_filename
        target = ARTIFACTS / download.suggested_filename
        download.save_as(str(target))
        files[suffix] = target.read_bytes()
    for suffix in ("_charts.png", "_graph.png"):
        data = files[suffix]
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        image = mpimg.imread(io.BytesIO(data), format="png")
        assert image.shape[0] > 200 and image.shape[1] > 400
        assert image.std() > 0.01  # not a blank picture
    frame = pd.read_csv(io.BytesIO(files[".csv"]))
    assert list(frame["day"]) == [0, 1] or list(frame["day"]) == [1, 2]
    assert names[".csv"].endswith("_seed1_day2.csv"), names
    # the name and the rows are made at the click: a day later, both have moved on
    step(page, 1)
    with page.expect_download() as info:
        page.locator(".govsim-export-csv").click()
    assert info.value.suggested_filename.endswith("_day3.csv"), info.value.suggested_filename
    target = ARTIFACTS / info.value.suggested_filename
    info.value.save_as(str(target))
    assert len(pd.read_csv(target)) == 3
    assert set(frame["run"]) == {"run"}
    assert {"scenario", "seed", "open", "raised", "resolved", "mean_trust"} <= set(frame.columns)
    assert (frame["scenario"] == "nanjing_baseline").all()
    page.context.close()


def test_picker_lists_scenarios_and_refuses_paths_outside(browser: Any,
                                                          page_server: PageServer) -> None:
    for bad in ("..%2Fpyproject.toml", "/etc/passwd"):
        page = open_page(browser, page_server, query=f"?lang=en&scenario={bad}")
        shown = bad.replace("%2F", "/")
        expect(page.locator(".govsim-refused")).to_contain_text(f"Refused: {shown}")
        expect(page.locator(".govsim-scenario")).to_contain_text("(nanjing_baseline)")
        page.context.close()
    page = open_page(browser, page_server, query="?lang=en")
    expect(page.locator(".govsim-refused")).to_have_count(0)
    page.locator(".govsim-scenario").click()
    items = page.locator(".govsim-scenario-menu .v-list-item__title")
    expect(items).to_have_count(len(list_scenarios()))
    # the names in the page's language, the file in brackets
    assert items.all_inner_texts() == [scenario_title(n.removesuffix(".toml"), "en")
                                       for n in list_scenarios()]
    page.keyboard.press("Escape")
    # a reform preset loads its file, and the levers show its values
    page.locator(".govsim-preset-staffing_22_per_10k").click()
    expect(page.locator(".govsim-scenario")).to_contain_text("(staffing_22_per_10k)")
    expect(page.locator(f"{STAFFING} .govsim-lever-label")).to_contain_text(": 22")
    page.context.close()


def test_play_advances_by_itself_and_pause_stops_it(browser: Any,
                                                    page_server: PageServer) -> None:
    """Play runs the model on its own; Pause holds the day. (The speed itself, >= 5
    days/s at community scale, is measured by benchmarks/workshop.py, not asserted
    here: a slow machine must not fail the tests.)"""
    page = open_page(browser, page_server, query="?lang=en")
    page.locator(".govsim-play").click()
    expect(page.locator(".govsim-day")).not_to_contain_text("Day 0 of")
    d0 = day_of(page)
    expect(page.locator(".govsim-day")).not_to_contain_text(day_text(d0))
    page.locator(".govsim-play").click()  # pause
    # the days the clock gave it up to Pause may still land: wait until at rest
    expect(page.locator(".govsim-day").first).to_have_class(AT_REST, timeout=60_000)
    paused = day_of(page)
    assert paused > d0
    time.sleep(2.0)
    assert day_of(page) == paused
    page.context.close()


def test_nothing_left_the_machine(page_server: PageServer) -> None:
    """Runs last: no page asked for another host, and the server tried no outside call."""
    if not URLS:
        pytest.skip("run with the other browser tests (no page was opened)")
    # data: and blob: addresses are made inside the page (images, downloads)
    remote = [u for u in URLS if urlparse(u).scheme not in ("data", "blob")]
    outside = sorted({u for u in remote if urlparse(u).hostname not in LOCAL_HOSTS})
    assert not outside, outside[:5]
    assert any(urlparse(u).scheme == "ws" for u in remote)
    assert page_server.trap.connections == [], page_server.trap.connections[:3]
    log = page_server.log_text()
    assert "Traceback" not in log, log[-3000:]
