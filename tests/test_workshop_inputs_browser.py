"""Bad input on the page, in real Chromium: each refused value gets one line naming the
key and what the slider allows, nothing is clamped or rounded, no traceback or server
path reaches the browser, and the page keeps working (a Step still steps)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from viz_fixtures import ARTIFACTS, REPO, PageServer, start_page_server
from workshop_browser import TIMEOUT_MS, copy_scenarios, day_of, day_pattern, open_page

from sim.viz.picker import ENV_DIR

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=TIMEOUT_MS)

STAFFING = "staffing.workers_per_10k"


@pytest.fixture(scope="module")
def scenario_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_scenarios(tmp_path_factory.mktemp("inputs") / "scenarios")


@pytest.fixture(scope="module")
def page_server(scenario_root: Path) -> Iterator[PageServer]:
    yield from start_page_server(ARTIFACTS / "workshop_inputs_server.log",
                                 extra_env={ENV_DIR: str(scenario_root)})


def still_steps(page: Any) -> None:
    before = day_of(page)
    page.locator(".govsim-step").click()
    expect(page.locator(".govsim-day").first).to_have_text(day_pattern(before + 1))


def no_traceback(page: Any) -> None:
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error:" not in body.replace("Invalid setting", "")
    assert str(REPO) not in body and "site-packages" not in body


def test_a_300_character_scenario_name_is_refused_in_one_line(browser: Any,
                                                              page_server: PageServer) -> None:
    page = open_page(browser, page_server, "?lang=en&scenario=" + "a" * 300)
    refused = page.locator(".govsim-refused")
    expect(refused).to_contain_text("Refused")
    assert len(refused.inner_text().splitlines()) == 1 and len(refused.inner_text()) < 200
    no_traceback(page)
    expect(page.locator(".govsim-scenario")).to_contain_text("nanjing_baseline")
    still_steps(page)
    page.context.close()


@pytest.mark.parametrize("item, key, allowed", [
    (f"{STAFFING}=nan", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=99999", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=inf", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=-5", STAFFING, "allowed 0 to 40"),
    ("burden.ledgers=12.7", "burden.ledgers", "allowed whole numbers 0 to 40"),
    ("seed=-7", "seed", "allowed whole numbers 0 to"),
])
def test_a_bad_value_in_the_address_is_named_not_clamped(
        browser: Any, page_server: PageServer, item: str, key: str, allowed: str) -> None:
    page = open_page(browser, page_server, "?lang=en&" + item)
    notice = page.locator(".govsim-value-refused")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(key)
    expect(notice).to_contain_text(allowed)
    assert len(notice.inner_text().strip().splitlines()) == 1
    # the scenario's own value is used, not a clamped one, and it is not marked "changed"
    assert "(changed)" not in page.locator("body").inner_text()
    if key == "seed":
        assert page.locator(".govsim-seed input").input_value() == "1"
    no_traceback(page)
    still_steps(page)
    page.context.close()


def test_the_same_in_chinese(browser: Any, page_server: PageServer) -> None:
    page = open_page(browser, page_server, f"?lang=zh&{STAFFING}=nan", locale="zh-CN")
    expect(page.locator(".govsim-value-refused")).to_contain_text("允许 0 至 40")
    still_steps(page)
    page.context.close()


def test_a_negative_seed_typed_in_the_field_is_refused(browser: Any,
                                                       page_server: PageServer) -> None:
    page = open_page(browser, page_server)
    box = page.locator(".govsim-seed input")
    box.fill("-7")
    box.press("Enter")
    expect(page.locator(".govsim-value-refused")).to_contain_text("seed=-7")
    expect(page.locator(".govsim-value-refused")).to_contain_text("allowed whole numbers")
    box.fill("5")
    box.press("Enter")
    expect(page.locator(".govsim-value-refused")).to_have_count(0)
    still_steps(page)
    page.context.close()


@pytest.mark.parametrize("name", ["CON", "nul", "COM1"])
def test_a_windows_device_name_is_not_saved(browser: Any, page_server: PageServer,
                                            scenario_root: Path, name: str) -> None:
    page = open_page(browser, page_server, "?lang=en&burden.ledgers=12")
    page.locator(".govsim-save-name input").fill(name)
    page.locator(".govsim-save").click()
    expect(page.locator(".govsim-save-message")).to_contain_text("Not saved")
    expect(page.locator(".govsim-save-message")).to_contain_text("device name")
    assert not list((scenario_root / "saved").glob(f"{name}*")) if \
        (scenario_root / "saved").exists() else True
    page.context.close()


def test_ten_quick_right_arrows_step_ten_days(browser: Any, page_server: PageServer) -> None:
    page = open_page(browser, page_server)
    page.locator("body").click(position={"x": 5, "y": 300})  # focus the page, not a field
    for _ in range(10):
        page.keyboard.press("ArrowRight")
        time.sleep(0.05)
    expect(page.locator(".govsim-day").first).to_have_text(day_pattern(10))
    time.sleep(1.0)
    assert day_of(page) == 10  # no extra steps either
    page.context.close()


def test_day_20_is_the_last_day_of_the_csv(browser: Any, page_server: PageServer) -> None:
    """The page's "day 3" is the CSV's last page_day and the file name's day."""
    page = open_page(browser, page_server, "?lang=en&seed=2")
    for _ in range(3):
        still_steps(page)
    with page.expect_download() as info:
        page.locator(".govsim-export-csv").click()
    d = info.value
    assert d.suggested_filename.endswith("_day3.csv")
    frame = pd.read_csv(io.BytesIO(Path(d.path()).read_bytes()))
    assert list(frame["page_day"]) == [1, 2, 3] and list(frame["day"]) == [0, 1, 2]
    page.context.close()
