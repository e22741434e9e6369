"""Speed and memory at each scale preset: one simulated year of the baseline.

Run by hand (not a test): ``python benchmarks/scale.py [--presets community street ...]
[--repeats N]``. Each run is a fresh process, so its peak RSS is its own. Prints the
median wall time (set-up and the year separately), peak RSS and issues handled per
second (issues raised in the year / wall time of the year).
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


def run_once(preset: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "scenarios" / "nanjing_baseline.toml"), preset],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", nargs="+", default=["community", "street", "district"],
                        choices=list(TARGETS))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'preset':<10} {'residents':>10} {'agents':>10} {'setup s':>8} {'year s':>8} "
          f"{'total s':>8} {'peak MB':>8} {'issues':>9} {'issues/s':>9}  target")
    for preset in args.presets:
        repeats = args.repeats if preset in {"community", "street"} else min(args.repeats, 3)
        if preset == "city":
            repeats = 1
        runs = [run_once(preset) for _ in range(repeats)]

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        print(f"{preset:<10} {med('residents'):>10,.0f} {med('agents'):>10,.0f} "
              f"{med('setup_s'):>8.2f} {med('year_s'):>8.2f} {med('total_s'):>8.2f} "
              f"{med('peak_rss_mb'):>8.0f} {med('raised'):>9,.0f} "
              f"{med('raised') / med('year_s'):>9,.0f}  {TARGETS[preset]} "
              f"(median of {repeats})", flush=True)


if __name__ == "__main__":
    main()
