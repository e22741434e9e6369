"""How fast the workshop page answers: one step redrawn, and play speed, in Chromium.

Run by hand (not a test)::

    python benchmarks/workshop.py                  # step redraw (page, compare, present)
    python benchmarks/workshop.py --play           # also simulated days per second
    python benchmarks/workshop.py --clicks 10 --repeats 3

Starts ``govsim viz`` on a free 127.0.0.1 port and opens the page in the system Chromium.
**Step redraw**: the time from a click on "Step one day" until the page shows the new day
*and* both pictures (graph and charts) have been replaced and decoded, measured inside the
browser (``performance.now()``); the median of ``--clicks`` clicks after 3 warm-up clicks,
at community scale. Targets: <= 150 ms for one run, <= 250 ms comparing.
**Play**: simulated days per second seen on the page at the default speed (target >= 5).
Figures on a shared machine are upper bounds: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from viz_fixtures import launch_chromium, start_page_server  # noqa: E402

MODES: dict[str, str] = {
    "page": "?lang=en",
    "compare": "?lang=en&compare=nanjing_baseline.toml&staffing.workers_per_10k=30",
    "present": "?lang=en&compare=nanjing_baseline.toml&staffing.workers_per_10k=30"
               "&view=present",
}
STEP_JS = """async () => {
    const day = () => document.querySelector('.govsim-day').innerText;
    const img = (c) => { const e = document.querySelector(c);
                         return e.tagName === 'IMG' ? e : e.querySelector('img'); };
    const d0 = day(), g0 = img('.govsim-graph').src, c0 = img('.govsim-charts').src;
    const t0 = performance.now();
    document.querySelector('.govsim-step').click();
    await new Promise((resolve) => {
        const done = () => day() !== d0 && img('.govsim-graph').src !== g0 &&
                           img('.govsim-charts').src !== c0;
        const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
        obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                    characterData: true});
    });
    await Promise.all([img('.govsim-graph').decode(), img('.govsim-charts').decode()]);
    return performance.now() - t0;
}"""


def day_of(page: object) -> int:
    text = page.locator(".govsim-day").first.inner_text()  # type: ignore[attr-defined]
    return int(re.search(r"(\d+)", text).group(1))


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def step_redraw(browser: object, url: str, clicks: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1600, "height": 1100})  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector(".govsim-graph")
    page.wait_for_selector(".govsim-charts")
    time.sleep(1.0)
    for _ in range(3):  # warm-up: the first frames build the figures
        page.evaluate(STEP_JS)
    times = [float(page.evaluate(STEP_JS)) for _ in range(clicks)]
    page.close()
    return times


def play_rate(browser: object, url: str, seconds: float) -> float:
    page = browser.new_page(viewport={"width": 1600, "height": 1500})  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector(".govsim-graph")
    page.locator(".govsim-play").click()
    while day_of(page) == 0:
        time.sleep(0.1)
    d0, t0 = day_of(page), time.perf_counter()
    time.sleep(seconds)
    d1, t1 = day_of(page), time.perf_counter()
    page.locator(".govsim-play").click()
    page.close()
    return (d1 - d0) / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="pages per mode")
    parser.add_argument("--play", action="store_true", help="also measure play speed")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "viz_server.log"
    print(f"before: {load()}")
    for srv in start_page_server(log):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for mode, query in MODES.items():
                medians = []
                for _ in range(args.repeats):
                    times = step_redraw(browser, srv.url + query, args.clicks)
                    medians.append(statistics.median(times))
                    print(f"  {mode}: median {medians[-1]:.0f} ms of {len(times)} clicks "
                          f"(min {min(times):.0f}, max {max(times):.0f}); {load()}",
                          flush=True)
                print(f"step redraw, {mode}: median of medians {statistics.median(medians):.0f}"
                      f" ms over {args.repeats} pages x {args.clicks} clicks; {load()}")
            if args.play:
                rates = [play_rate(browser, srv.url + "?lang=en", args.seconds)
                         for _ in range(args.repeats)]
                print(f"play, community scale: median {statistics.median(rates):.2f} "
                      f"simulated days/s over {len(rates)} runs of {args.seconds:.0f} s "
                      f"(target >= 5); {load()}")
            browser.close()


if __name__ == "__main__":
    main()
