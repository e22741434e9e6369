"""Speed and memory at each scale preset: one simulated year of the baseline.

Run by hand (not a test): ``python benchmarks/scale.py [--presets community street ...]
[--repeats N] [--workers N]``. Each run is a fresh process, so its peak RSS is its own.
Prints the median wall time (set-up and the year separately), peak RSS and issues
handled per second (issues raised in the year / wall time of the year), and the load
average before and after.

With ``--workers N`` the run is split by district (sim/split.py) over a local pool of N
processes: "set-up" is then laying out the city and sharing it out, "the year" every
district's set-up and year until the last part is back, and "tables" joining the parts
into the run's daily table, issues table and summary (which the one-model figures do
not include: add ``tables`` to compare like with like). Peak memory is then the sum
over the process and its workers, sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"community": "<= 2 s", "street": "<= 15 s", "district": "<= 150 s, <= 3 GB",
           "city": "<= 10 min, <= 12 GB"}

CHILD = r"""
import json, sys, time
from sim.scenario import load_scenario
from sim.model import GovernanceModel
from sim.run import peak_rss_mb
scenario = load_scenario(sys.argv[1], {"layout.scale": sys.argv[2]})
t0 = time.perf_counter()
model = GovernanceModel(scenario, rng=1)
t1 = time.perf_counter()
model.run(365)
t2 = time.perf_counter()
summary = model.summary()
print(json.dumps({"setup_s": t1 - t0, "year_s": t2 - t1, "total_s": t2 - t0,
                  "peak_rss_mb": peak_rss_mb(), "raised": summary["raised"],
                  "resolved": summary["resolved"], "residents": summary["residents"],
                  "agents": len(model.agents)}))
"""


SPLIT_CHILD = r"""
import json, sys, threading, time
import psutil
from sim.scenario import load_scenario
from sim.experiments.executor import part_mapper
from sim import split
scenario = load_scenario(sys.argv[1], {"layout.scale": sys.argv[2]})
me, peak, done = psutil.Process(), [0.0], threading.Event()
def sample():
    while not done.is_set():
        try:
            rss = me.memory_info().rss + sum(c.memory_info().rss
                                             for c in me.children(recursive=True))
        except psutil.Error:
            rss = 0
        peak[0] = max(peak[0], rss / 2**20)
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
with part_mapper(int(sys.argv[3])) as (mapper, where):
    t0 = time.perf_counter()
    places, tasks = split.split_tasks(scenario, 365, 1)
    t1 = time.perf_counter()
    parts = mapper(split.run_part, tasks)
    t2 = time.perf_counter()
    joined = split.join(scenario, places, parts)
    daily, issues = joined.recorder.daily_frame(), split.issues_table(joined)
    summary = joined.recorder.summary()
    t3 = time.perf_counter()
done.set()
print(json.dumps({"setup_s": t1 - t0, "year_s": t2 - t1, "tables_s": t3 - t2,
                  "total_s": t3 - t0, "peak_rss_mb": peak[0], "raised": summary["raised"],
                  "resolved": summary["resolved"], "residents": summary["residents"],
                  "agents": float("nan")}))
"""


def run_once(preset: str, workers: int | None = None) -> dict[str, float]:
    base = str(ROOT / "scenarios" / "nanjing_baseline.toml")
    argv = [sys.executable, "-c", CHILD, base, preset] if workers is None else [
        sys.executable, "-c", SPLIT_CHILD, base, preset, str(workers)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", nargs="+", default=["community", "street", "district"],
                        choices=list(TARGETS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--city-repeats", type=int, default=1)
    parser.add_argument("--workers", type=int, help="split by district over N processes")
    args = parser.parse_args()
    print(f"load average before: {_load()}")
    print(f"{'preset':<10} {'residents':>10} {'agents':>10} {'setup s':>8} {'year s':>8} "
          f"{'total s':>8} {'peak MB':>8} {'issues':>9} {'issues/s':>9}  target")
    for preset in args.presets:
        repeats = args.repeats if preset in {"community", "street"} else min(args.repeats, 3)
        if preset == "city":
            repeats = args.city_repeats
        runs = [run_once(preset, args.workers) for _ in range(repeats)]

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        print(f"{preset:<10} {med('residents'):>10,.0f} {med('agents'):>10,.0f} "
              f"{med('setup_s'):>8.2f} {med('year_s'):>8.2f} {med('total_s'):>8.2f} "
              f"{med('peak_rss_mb'):>8.0f} {med('raised'):>9,.0f} "
              f"{med('raised') / med('year_s'):>9,.0f}  {TARGETS[preset]} "
              f"(median of {repeats})", flush=True)
        if args.workers:
            print(f"{'':<10} split over {args.workers} workers: tables "
                  f"{med('tables_s'):.2f} s; totals "
                  f"{', '.join(f'{r['total_s']:.1f}' for r in runs)} s", flush=True)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
