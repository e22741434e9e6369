"""How fast can the model close issues at all? The closure-time floor [P7].

Runs the baseline (community scale, 240 days, the calibration's window) with every
setting that delays a closure at its most favourable extreme — no reporting, relay,
sign-for or triage delay, every small matter fixed at once on the spot, issues arising
only in waking hours, handling of 0.1 hours, no administrative burden, 60 workers per
10,000, property companies taking all they can — and prints the closure-time statistics
of calibration/targets.toml over several seeds. What remains is the day shift: issues
that become known after a shift wait for the next one.

    python scripts/closure_floor.py [--seeds 6]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sim.calibration.targets import RunTables, statistic
from sim.run import simulate
from sim.scenario import DEFAULT_CATEGORIES, load_scenario

ROOT = Path(__file__).resolve().parent.parent
STATS = ("closure_q1_days", "closure_median_days", "closure_q3_days", "closure_within_7d")
FASTEST = {
    "residents.report_delay_days": 0.0, "residents.night_share": 0.0,
    "channels.relay_delay_days": 0.0, "platform.dispatch_delay_days": 0.0,
    "staffing.triage_hours": 0.0, "staffing.workers_per_10k": 60.0,
    "micro_grid.small_fix_share": 1.0, "micro_grid.small_fix_days": 0.0,
    "burden.ledgers": 0, "burden.certificate_items": 0, "burden.inspection_hours": 0.0,
    "burden.meeting_hours": 0.0, "burden.form_hours": 0.0, "burden.visit_hours": 0.0,
    "neighbourhoods.property_cut": 1.0, "neighbourhoods.property_staff_per_10k": 15.0,
    **{f"categories.{c}.handling.mean_hours": 0.1 for c in DEFAULT_CATEGORIES},
}


def one(seed: int) -> list[float]:
    sc = load_scenario(ROOT / "scenarios/nanjing_baseline.toml").with_overrides(
        FASTEST, origin="closure_floor")
    r = simulate(sc, days=240, seed=seed)
    t = RunTables(sc, r.summary, r.daily, r.issues)
    return [statistic(s, t) for s in STATS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args()
    with ProcessPoolExecutor(2) as ex:
        rows = np.array(list(ex.map(one, range(args.seeds))))
    print(f"closure-time floor over {args.seeds} seeds (median, min-max):")
    for name, col in zip(STATS, rows.T, strict=True):
        print(f"  {name:22s} {np.median(col):7.3f}  ({col.min():.3f} - {col.max():.3f})")


if __name__ == "__main__":
    main()
