"""``govsim calibrate SPEC``: registered by ``sim.experiments.cli.register``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from sim.argtypes import add_executor_options


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "calibrate", help="fit assumptions to observed patterns (ABC-SMC) and report the fit",
        description="ABC-SMC (pyabc) of a calibration spec against its fitted targets; "
                    "resumes from its database by default. Writes the posterior, a "
                    "calibrated scenario and a bilingual fit report.")
    p.add_argument("spec", help="calibration spec (TOML), e.g. calibration/abc_tiny.toml")
    p.add_argument("--out", metavar="DIR",
                   help="results folder (default: results/calibration/<spec name>)")
    p.add_argument("--targets-from", action="append", metavar="FIT.json",
                   help="an export's fit.json (govsim fit-orders): its fitted part's closure "
                        "days as fitted targets, its holdout's as held out (repeatable)")
    add_executor_options(p)
    p.add_argument("--force", action="store_true",
                   help="start afresh (default: resume the run stored in the folder)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.calibrate import calibrate

    scheduler = args.scheduler or os.environ.get("GOVSIM_SCHEDULER") or None
    res = calibrate(args.spec, out=args.out, workers=args.workers, scheduler=scheduler,
                    force=args.force, quiet=args.quiet,
                    targets_from=args.targets_from)
    fit = res.fit
    for role in ("fitted", "held_out", "not_used"):
        sub = fit[fit["role"] == role]
        if sub.empty:
            continue
        print(f"{role} targets met: {int(sub['meets'].sum())} of {len(sub)}")
    for r in res.table.itertuples():
        print(f"  {r.key}: median {r.median:.4g} (90% {r.q05:.4g} to {r.q95:.4g}; "
              f"default {r.default})")
    print(f"calibrated scenario's values: {res.point_how}")
    resumed = f", resumed after generation {res.resumed_from}" if res.resumed_from else ""
    print(f"{res.generations} generations, {res.evaluations} model runs{resumed} "
          f"({res.wall_seconds:.1f} s)")
    print(f"report: {res.report}")
    print(f"calibrated scenario: {res.scenario}")
    return 0
