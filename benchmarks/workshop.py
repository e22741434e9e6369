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

**Many tables** (``--many``; a workshop is many people)::

    python benchmarks/workshop.py --many            # 8 tables, 30 sessions

- *stepping at once*: ``--tables`` pages (8) each click Step ``--clicks`` times, all at
  the same moment (``--rounds`` times over: the machine's own speed varies by a third
  from one round to the next, so quote the median of several); the time from each
  click to its new day and pictures, over every click of every page: median (target
  <= 400 ms) and p90 (target <= 1 s);
  Printed beside it: the server's and Chromium's CPU a click (Chromium's split by
  process kind: renderers, GPU process, browser, network), how many cores were busy,
  and, before the clicks, what the eight open pages cost doing nothing for 10 s (an
  animation would show there);
- *Play fair*: the same pages press Play together and play ``--seconds`` (20 s) at the
  default speed; the days each reached, read once every table is at rest after Pause
  (``govsim-day-at-rest``), and the spread (every table within 20% of the others:
  ``max / min - 1 <= 0.2``);
- *memory*: the server's resident size (its process and children, psutil) with
  ``--sessions`` (30) pages open, each stepped once (target <= 1.5 GB), and 60 s after
  they all close (released: back near what one session opened and closed leaves
  behind, imports, fonts, the server's thread pool: at least 90% of the growth above
  it given back).
"""

from __future__ import annotations

import argparse
import contextlib
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

from sim.viz.page_server import DEFAULT_WORKERS  # noqa: E402

MODES: dict[str, str] = {
    "page": "?lang=en",
    "compare": "?lang=en&compare=nanjing_baseline.toml&staffing.workers_per_10k=30",
    "present": "?lang=en&compare=nanjing_baseline.toml&staffing.workers_per_10k=30"
               "&view=present",
}
STEP_JS = """async () => {
    // textContent, not innerText: innerText lays the page out, on every mutation a step
    // makes (a profile of one page: 6.7 ms of script a click and the layouts it forced,
    // the benchmark's own work, not the page's)
    const day = () => document.querySelector('.govsim-day').textContent;
    // a picture is an <img> (JPEG frames) or, in presentation mode, inline SVG
    const img = (c) => { const e = document.querySelector(c);
                         return e.tagName === 'IMG' ? e : e.querySelector('img'); };
    const pic = (c) => { const i = img(c);
                         return i ? i.src : document.querySelector(c).innerHTML; };
    const d0 = day(), g0 = pic('.govsim-graph'), c0 = pic('.govsim-charts');
    const t0 = performance.now();
    document.querySelector('.govsim-step').click();
    await new Promise((resolve, reject) => {
        const done = () => day() !== d0 && pic('.govsim-graph') !== g0 &&
                           pic('.govsim-charts') !== c0;
        // a step that never shows its new day and pictures is an error, not a wait
        const late = setTimeout(() => { obs.disconnect(); reject(new Error(
            `no new day and pictures 120 s after a click on ${d0}: day ${day() !== d0}, ` +
            `graph ${pic('.govsim-graph') !== g0}, charts ${pic('.govsim-charts') !== c0}`)); },
            120000);
        const obs = new MutationObserver(() => {
            if (done()) { clearTimeout(late); obs.disconnect(); resolve(); } });
        obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                    characterData: true});
    });
    await Promise.all(['.govsim-graph', '.govsim-charts'].map(
        (c) => img(c) ? img(c).decode() : new Promise(requestAnimationFrame)));
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


def server_rss_mb(pid: int) -> float:
    """Resident size of the server and its children (the seeds' pool), in MB."""
    import psutil

    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


def server_pss_mb(pid: int) -> float:
    """Proportional set size of the server and its children, in MB: each page shared
    between processes (libraries, the workers' common imports) counted once, split
    between them, where adding up their resident sizes counts it in each."""
    import psutil

    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_full_info().pss
    return total / 2**20


def server_cpu_s(pid: int) -> float:
    """CPU seconds the server (and its children) have used: the work, whatever the load."""
    import psutil

    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def browser_cpu_s(server_pid: int) -> float:
    """CPU seconds of this benchmark's other children: Playwright's driver and Chromium
    (what each table's own device would do in a real room, here on the same cores)."""
    import psutil

    server = psutil.Process(server_pid)
    skip = {server_pid, *(c.pid for c in server.children(recursive=True))}
    total = 0.0
    for p in psutil.Process().children(recursive=True):
        if p.pid in skip:
            continue
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def browser_cpu_by_kind(server_pid: int) -> dict[str, float]:
    """:func:`browser_cpu_s` split by Chromium's process kinds: the pages' renderers,
    the GPU process (with ``--disable-gpu`` it composites and rasters in software), the
    browser process, its utilities (the network service), and Playwright's driver."""
    import psutil

    server = psutil.Process(server_pid)
    skip = {server_pid, *(c.pid for c in server.children(recursive=True))}
    out: dict[str, float] = {}
    for p in psutil.Process().children(recursive=True):
        if p.pid in skip:
            continue
        with contextlib.suppress(psutil.Error):
            cmd = " ".join(p.cmdline())
            kind = re.search(r"--type=([\w-]+)", cmd)
            name = kind.group(1) if kind else ("browser" if "chrom" in cmd else "driver")
            t = p.cpu_times()
            out[name] = out.get(name, 0.0) + t.user + t.system
    return out


def kinds_per_click(before: dict[str, float], after: dict[str, float], n: int) -> str:
    return ", ".join(f"{k} {1000 * (after.get(k, 0.0) - before.get(k, 0.0)) / n:.0f}"
                     for k in sorted(after, key=lambda k: before.get(k, 0.0) - after[k]))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def many_tables(url: str, pid: int, tables: int, clicks: int, seconds: float,
                      sessions: int, memory: bool = True, rounds: int = 1) -> None:
    import asyncio

    from playwright.async_api import async_playwright
    from viz_fixtures import CHROMIUM, CHROMIUM_ARGS

    async def open_page(browser: object, query: str = "?lang=en") -> object:
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        page = await ctx.new_page()
        await page.goto(url + query)
        await page.wait_for_selector(".govsim-graph", timeout=120_000)
        await page.wait_for_selector(".govsim-charts", timeout=120_000)
        return page

    async def day(page: object) -> int:
        text = await page.locator(".govsim-day").first.inner_text()  # type: ignore[attr-defined]
        return int(re.search(r"(\d+)", text).group(1))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rss0 = server_rss_mb(pid)
        print(f"server at start: {rss0:.0f} MB; {load()}", flush=True)
        # what one session leaves for good (imports, fonts, the thread pool): the floor
        one = await open_page(browser)
        await one.evaluate(STEP_JS)  # type: ignore[attr-defined]
        await one.context.close()  # type: ignore[attr-defined]
        await asyncio.sleep(45)  # Solara drops it after 20 s; a worker left empty ends 10 s on
        warm = server_rss_mb(pid)
        print(f"server 45 s after one session opened, stepped and closed: {warm:.0f} MB",
              flush=True)
        pages = [await open_page(browser) for _ in range(tables)]
        await asyncio.sleep(2.0)

        async def clicker(page: object) -> list[float]:
            out = []
            for _ in range(clicks):
                out.append(float(await page.evaluate(STEP_JS)))  # type: ignore[attr-defined]
            return out

        for page in pages:  # warm-up: the first frames build the figures
            await page.evaluate(STEP_JS)  # type: ignore[attr-defined]
        # what the pages cost doing nothing (an animation would show here)
        cpu0, kinds0, wall0 = server_cpu_s(pid), browser_cpu_by_kind(pid), time.perf_counter()
        await asyncio.sleep(10.0)
        idle, kinds1 = time.perf_counter() - wall0, browser_cpu_by_kind(pid)
        print(f"{tables} tables open, idle {idle:.0f} s: the server's CPU "
              f"{1000 * (server_cpu_s(pid) - cpu0) / idle:.0f} ms a second, Chromium's "
              f"{1000 * (sum(kinds1.values()) - sum(kinds0.values())) / idle:.0f} ms a second "
              f"({kinds_per_click(kinds0, kinds1, round(idle))})", flush=True)
        medians, p90s = [], []
        for _ in range(rounds):  # the machine's speed varies: quote several rounds
            cpu0, chrome0, wall0 = server_cpu_s(pid), browser_cpu_s(pid), time.perf_counter()
            kinds0 = browser_cpu_by_kind(pid)
            times = [t for ts in await asyncio.gather(*(clicker(pg) for pg in pages)) for t in ts]
            cpu, wall = server_cpu_s(pid) - cpu0, time.perf_counter() - wall0
            chrome = browser_cpu_s(pid) - chrome0
            by_kind = kinds_per_click(kinds0, browser_cpu_by_kind(pid), len(times))
            print(f"{tables} tables stepping at once: median {statistics.median(times):.0f} ms, "
                  f"p90 {quantile(times, 0.9):.0f} ms, worst {max(times):.0f} ms over "
                  f"{len(times)} clicks (targets: median <= 400 ms, p90 <= 1000 ms); the server's "
                  f"CPU {1000 * cpu / len(times):.0f} ms a click, Chromium's "
                  f"{1000 * chrome / len(times):.0f} ms ({by_kind}); cores busy "
                  f"{(cpu + chrome) / wall:.2f} "
                  f"of {os.cpu_count()}; {load()}", flush=True)
            medians.append(statistics.median(times))
            p90s.append(quantile(times, 0.9))
        if rounds > 1:
            each = ", ".join(f"{m:.0f}" for m in medians)
            print(f"{tables} tables stepping at once, {rounds} rounds: median of the medians "
                  f"{statistics.median(medians):.0f} ms ({each}), "
                  f"median of the p90s {statistics.median(p90s):.0f} ms; {load()}", flush=True)
        starts = [await day(pg) for pg in pages]
        cpu0 = server_cpu_s(pid)
        await asyncio.gather(*(pg.locator(".govsim-play").click() for pg in pages))  # type: ignore[attr-defined]
        await asyncio.sleep(seconds)
        await asyncio.gather(*(pg.locator(".govsim-play").click() for pg in pages))  # type: ignore[attr-defined]
        # at Pause each table still takes the days its clock gave it (a last frame, slow
        # with eight tables): read the days once every table is at rest
        await asyncio.gather(*(pg.wait_for_selector(  # type: ignore[attr-defined]
            ".govsim-day.govsim-day-at-rest", timeout=120_000) for pg in pages))
        played = [await day(pg) - d0 for pg, d0 in zip(pages, starts, strict=True)]
        spread = max(played) / max(min(played), 1) - 1
        print(f"Play, {tables} tables for {seconds:.0f} s at speed 10: days {sorted(played)}; "
              f"spread max/min - 1 = {100 * spread:.0f}% (target <= 20%); the server's CPU "
              f"{server_cpu_s(pid) - cpu0:.1f} s; {load()}", flush=True)
        for pg in pages:
            await pg.context.close()  # type: ignore[attr-defined]
        if not memory:
            await browser.close()
            return
        more = []
        for _ in range(sessions):
            pg = await open_page(browser)
            await pg.evaluate(STEP_JS)  # type: ignore[attr-defined]
            more.append(pg)
        await asyncio.sleep(3.0)
        full, pss = server_rss_mb(pid), server_pss_mb(pid)
        print(f"server with {sessions} sessions open: resident {full:.0f} MB, proportional "
              f"{pss:.0f} MB (target <= 1536 MB); {load()}", flush=True)
        for pg in more:
            await pg.context.close()  # type: ignore[attr-defined]
        for wait in (30, 30):
            await asyncio.sleep(wait)
            print(f"  after close +{wait} s: {server_rss_mb(pid):.0f} MB", flush=True)
        after = server_rss_mb(pid)
        print(f"  proportional then: {server_pss_mb(pid):.0f} MB", flush=True)
        above = 100 * (full - after) / max(full - warm, 1)
        print(f"server 60 s after every session closed: {after:.0f} MB (started at "
              f"{rss0:.0f} MB, peak {full:.0f} MB: {100 * (full - after) / max(full - rss0, 1):.0f}"
              f"% of the growth released; {above:.0f}% of the growth above one closed "
              f"session's {warm:.0f} MB, target >= 90%: "
              f"{'met' if above >= 90 else 'NOT met'}); {load()}", flush=True)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="pages per mode")
    parser.add_argument("--play", action="store_true", help="also measure play speed")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--many", action="store_true",
                        help="only the many-tables figures (stepping at once, fair play, "
                             "memory)")
    parser.add_argument("--tables", type=int, default=8)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="the page server's processes (default: govsim viz's)")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--no-memory", action="store_true",
                        help="--many without the 30 sessions' memory part")
    parser.add_argument("--rounds", type=int, default=1,
                        help="--many: how many times the tables step at once (each printed, "
                             "then the median of their medians)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: allowed 1 or more")
    if args.many:
        import asyncio

        log = Path(tempfile.mkdtemp()) / "viz_server.log"
        print(f"before: {load()}; the server with {args.workers} worker process(es)")
        for srv in start_page_server(log, workers=args.workers):
            asyncio.run(many_tables(srv.url, srv.proc.pid, args.tables, args.clicks,
                                    max(args.seconds, 20.0), args.sessions,
                                    memory=not args.no_memory, rounds=args.rounds))
        return
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "viz_server.log"
    print(f"before: {load()}; the server with {args.workers} worker process(es)")
    for srv in start_page_server(log, workers=args.workers):
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
