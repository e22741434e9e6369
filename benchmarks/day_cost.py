"""What one governance day costs, against Mesa's bare activation of the same residents.

Run by hand (not a test): ``python benchmarks/day_cost.py [--scale district] [--repeats 3]``.

The figure that does not depend on the machine's day: the wall time of one simulated day
(after a warm-up of ten days) over the time of ``AgentSet.shuffle_do`` of a no-op over
the model's residents, both measured in the same process (issue 20: goal ≤ 0.04 at
district scale). Then, with cProfile, where the day's time goes by part (set-up apart):
arrivals, routing (the issue's life), desks and shifts, Mesa's events, word of mouth,
recording, the workday. Shares from a profile are of profiled time; the profiler's own
overhead inflates small calls, so read them as proportions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
from sim.scenario import load_scenario
from sim.model import GovernanceModel
from sim.agents import Resident
scenario = load_scenario(sys.argv[1], {"layout.scale": sys.argv[2]})
t0 = time.perf_counter()
model = GovernanceModel(scenario, rng=1)
setup = time.perf_counter() - t0
model.run(10)
t0 = time.perf_counter()
model.run(20)
day = (time.perf_counter() - t0) / 20
Resident.noop = lambda self: None
residents = model.agents_by_type[Resident]
bare = []
for _ in range(3):
    t0 = time.perf_counter()
    residents.shuffle_do("noop")
    bare.append(time.perf_counter() - t0)
print(json.dumps({"setup_s": setup, "day_ms": day * 1000, "bare_ms": min(bare) * 1000,
                  "ratio": day / min(bare), "residents": len(residents)}))
"""

# Which part of the day a profiled function belongs to: (file suffix, function) -> part.
PARTS = [
    ("mesa/", None, "Mesa's events and clock"),
    ("sim/work.py", "Agenda", "Mesa's events and clock"),
    ("sim/model.py", "_draw_arrivals", "arrivals"),
    ("sim/agents.py", "choose_channel", "arrivals"),
    ("sim/lifecycle.py", "report_probability", "arrivals"),
    ("sim/lifecycle.py", "channel_weights", "arrivals"),
    ("sim/lifecycle.py", "_detect", "finding hidden issues"),
    ("sim/lifecycle.py", "seen_by", "finding hidden issues"),
    ("sim/lifecycle.py", "found", "finding hidden issues"),
    ("sim/lifecycle.py", None, "routing (an issue's life)"),
    ("sim/agents.py", None, "routing (an issue's life)"),
    ("sim/work.py", "Transit", "routing (an issue's life)"),
    ("sim/work.py", None, "desks, queues and shifts"),
    ("sim/workday.py", None, "the workday"),
    ("sim/residents.py", None, "word of mouth"),
    ("sim/model.py", "_spread_word", "word of mouth"),
    ("sim/outcomes.py", None, "recording"),
    ("sim/model.py", None, "the day's open and close"),
]


def part_of(filename: str, func: str, cls: str) -> str:
    for suffix, name, part in PARTS:
        if suffix in filename and (name is None or name in (func, cls) or func.startswith(
                name)):
            return part
    return "other (numpy, Python)"


def profile(scale: str, days: int = 20) -> dict[str, float]:
    from sim.model import GovernanceModel
    from sim.scenario import load_scenario

    model = GovernanceModel(load_scenario(ROOT / "scenarios" / "nanjing_baseline.toml",
                                          {"layout.scale": scale}), rng=1)
    model.run(10)
    prof = cProfile.Profile()
    prof.enable()
    model.run(days)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    by_part: dict[str, float] = {}
    classes = {}
    for mod in ("sim.work",):
        m = __import__(mod, fromlist=["*"])
        for cname in ("Agenda", "Transit", "Desk", "Team", "ShiftGroup"):
            cls = getattr(m, cname)
            for fname in vars(cls):
                classes.setdefault(fname, cname)
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        cls = classes.get(func, "") if filename.endswith("sim/work.py") else ""
        part = part_of(filename, func, cls)
        by_part[part] = by_part.get(part, 0.0) + tottime
    return by_part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="district",
                        choices=["community", "street", "district", "city"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    import json

    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, "-c", CHILD,
                              str(ROOT / "scenarios" / "nanjing_baseline.toml"), args.scale],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"  run: day {runs[-1]['day_ms']:.1f} ms, bare shuffle_do "
              f"{runs[-1]['bare_ms']:.1f} ms, ratio {runs[-1]['ratio']:.3f}, load "
              f"{os.getloadavg()[0]:.2f}", flush=True)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"{args.scale}: {med('residents'):,.0f} residents; set-up {med('setup_s'):.1f} s; "
          f"one day {med('day_ms'):.1f} ms; bare shuffle_do {med('bare_ms'):.1f} ms; "
          f"ratio {med('ratio'):.3f} (goal <= 0.04; median of {args.repeats}; load "
          f"{os.getloadavg()[0]:.2f})")
    if args.no_profile:
        return
    t0 = time.perf_counter()
    by_part = profile(args.scale)
    total = sum(by_part.values())
    print(f"where a day's time goes (cProfile, {time.perf_counter() - t0:.0f} s):")
    for part, seconds in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"  {part:<28} {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
