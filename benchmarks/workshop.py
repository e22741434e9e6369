"""How fast the workshop page plays: simulated days per second seen in Chromium.

Run by hand (not a test): ``python benchmarks/workshop.py [--repeats 3] [--seconds 8]``.
Starts ``govsim viz`` on a free 127.0.0.1 port, opens the page in the system Chromium,
presses Play at the default speed and reads the day counter; prints the median rate.
Target at community scale: >= 5 days/s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from viz_fixtures import launch_chromium, start_page_server  # noqa: E402


def day_of(page: object) -> int:
    text = page.locator(".govsim-day").inner_text()  # type: ignore[attr-defined]
    return int(re.search(r"(\d+)", text).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rates: list[float] = []
    log = Path(tempfile.mkdtemp()) / "viz_server.log"
    for srv in start_page_server(log):
        with sync_playwright() as p:
            browser = launch_chromium(p)
            for _ in range(args.repeats):
                page = browser.new_page(viewport={"width": 1600, "height": 1500})
                page.goto(srv.url + "?lang=en")
                page.wait_for_selector(".govsim-graph")
                page.locator(".govsim-play").click()
                while day_of(page) == 0:
                    time.sleep(0.1)
                d0, t0 = day_of(page), time.perf_counter()
                time.sleep(args.seconds)
                d1, t1 = day_of(page), time.perf_counter()
                page.locator(".govsim-play").click()
                rates.append((d1 - d0) / (t1 - t0))
                print(f"  {rates[-1]:.2f} days/s", flush=True)
                page.close()
            browser.close()
    print(f"workshop page, community scale: median {statistics.median(rates):.2f} simulated "
          f"days/s over {len(rates)} runs of {args.seconds:.0f} s (target >= 5)")


if __name__ == "__main__":
    main()
