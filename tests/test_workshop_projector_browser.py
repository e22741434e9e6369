"""Presentation mode on a projector, in real Chromium at 1280x720 and 1920x1080, Chinese
and English: the pictures grow with the screen, every piece of text in them (SVG text and
the graph's legend) is rendered at >= 14 CSS px (measured in the browser: the font size
times the SVG's scale on the screen), nothing sticks out of the window, and the cards'
verdicts (变好 / 变差) never break inside a word."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from viz_fixtures import ARTIFACTS, PageServer, start_page_server
from workshop_browser import TIMEOUT_MS, day_pattern, open_page

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=TIMEOUT_MS)

MIN_TEXT_PX = 14.0
SCREENS = {"720p": {"width": 1280, "height": 720}, "1080p": {"width": 1920, "height": 1080}}

MEASURE_JS = """() => {
    const out = {svg: [], html: [], pictures: [], verdicts: [], outside: []};
    for (const el of document.querySelectorAll('.govsim-present-pictures svg text')) {
        const r = el.getBoundingClientRect();
        if (!el.textContent.trim() || r.width === 0) continue;
        const m = el.getScreenCTM();
        const scale = Math.hypot(m.a, m.b);
        const size = parseFloat(getComputedStyle(el).fontSize) * scale;
        out.svg.push([el.textContent.trim(), size, r.height]);
    }
    for (const el of document.querySelectorAll('.govsim-present-legend .govsim-legend-item')) {
        out.html.push([el.textContent.trim(), parseFloat(getComputedStyle(el).fontSize)]);
    }
    for (const el of document.querySelectorAll('.govsim-present-pictures svg')) {
        const r = el.getBoundingClientRect();
        out.pictures.push([r.width, r.height, r.bottom, r.right]);
    }
    for (const el of document.querySelectorAll('.govsim-verdict')) {
        out.verdicts.push([el.textContent, el.getClientRects().length]);
    }
    const d = document.documentElement;
    if (d.scrollWidth > window.innerWidth + 1 || d.scrollHeight > window.innerHeight + 1)
        out.outside.push('page scrolls ' + d.scrollWidth + 'x' + d.scrollHeight);
    return out;
}"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    yield from start_page_server(ARTIFACTS / "workshop_projector_server.log")


MEASURED: dict[tuple[str, str], dict[str, Any]] = {}


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_presentation_text_is_at_least_14_px_and_the_pictures_fill_the_screen(
        browser: Any, page_server: PageServer, lang: str, screen: str) -> None:
    query = (f"?lang={lang}&compare=nanjing_baseline.toml&staffing.workers_per_10k=30"
             "&view=present")
    page = open_page(browser, page_server, query, viewport=SCREENS[screen],
                     locale="zh-CN" if lang == "zh" else "en-US", wait_graph=False)
    page.wait_for_selector(".govsim-present-pictures svg text")
    for day in (1, 2):
        page.keyboard.press("ArrowRight")
        expect(page.locator(".govsim-day").first).to_have_text(day_pattern(day))
    page.wait_for_timeout(1500)  # the frame drawn at the measured size lands
    got = page.evaluate(MEASURE_JS)
    page.screenshot(path=str(ARTIFACTS / f"workshop_projector_{lang}_{screen}.png"))
    MEASURED[(lang, screen)] = got
    assert len(got["svg"]) > 10 and len(got["html"]) >= 6
    small = [(text, round(size, 1)) for text, size, _ in got["svg"] if size < MIN_TEXT_PX]
    assert not small, small[:10]
    assert min(size for _, size in got["html"]) >= MIN_TEXT_PX
    assert min(h for *_, h in got["svg"]) >= MIN_TEXT_PX  # the glyphs' boxes, too
    heights = [h for _, h, *_ in got["pictures"]]
    assert len(heights) == 2
    if screen == "1080p":
        assert min(heights) > 500, heights  # was 300 px whatever the screen
    assert not got["outside"], got["outside"]
    assert all(bottom <= SCREENS[screen]["height"] + 1 and right <= SCREENS[screen]["width"]
               + 1 for *_, bottom, right in got["pictures"]), got["pictures"]
    assert got["verdicts"] and all(n == 1 for _, n in got["verdicts"]), got["verdicts"]
    page.context.close()
