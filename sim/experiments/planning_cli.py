"""Command-line subcommands ``optimise`` and ``discover`` (planning under uncertainty).

Exit codes as for every govsim command: 0 done, 2 bad input (one line naming the
file, the key and what is allowed; nothing run, nothing written), 1 a bug.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from sim.argtypes import whole_number


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/<name>)")
    p.add_argument("--workers", type=whole_number(1), metavar="N",
                   help=f"worker processes for EMA's multiprocessing evaluator (default: this "
                        f"machine's cores, {os.cpu_count()}); 1 runs in this process")
    p.add_argument("--force", action="store_true",
                   help="forget stored evaluations and simulate everything again "
                        "(default: resume, reusing them)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.add_argument("--no-report", dest="report", action="store_false",
                   help="skip the report page")


def register(subparsers: Any) -> None:
    """Add ``optimise`` and ``discover`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "optimise", aliases=["optimize"],
        help="many-objective policy search over levers (EMA Workbench)",
        description="Search levers for the Pareto set of policies (cost vs on-time vs "
                    "incidents ...), optionally robust over sampled uncertainties; writes "
                    "pareto.csv, convergence and a report. Resumes by default.")
    p.add_argument("spec", help="optimise spec (TOML), e.g. experiments/staffing_mix_optimise.toml")
    _common(p)
    p.set_defaults(handler=cmd_optimise)
    p = subparsers.add_parser(
        "discover", help="scenario discovery (PRIM, CART): when does a reform fail?",
        description="Run a discover spec (sample uncertainties, simulate) or analyse a "
                    "sweep's results folder, and find the conditions under which an outcome "
                    "misses its threshold.")
    p.add_argument("target", help="discover spec (TOML) or a results folder "
                                  "(e.g. results/staffing_burden_sobol)")
    p.add_argument("--case", action="append", metavar="RULE",
                   help="a failure, e.g. \"on_time_share<0.85\" or \"incidents>20\" "
                        "(repeatable; default: the spec's [[cases]])")
    _common(p)
    p.set_defaults(handler=cmd_discover)


def cmd_optimise(args: argparse.Namespace) -> int:
    """``govsim optimise SPEC``."""
    from sim.experiments.optimise import run_optimise

    res = run_optimise(args.spec, out=args.out, workers=args.workers, force=args.force,
                       quiet=args.quiet, report=args.report)
    print(f"{len(res.pareto)} Pareto policies of {res.policies} evaluated ({res.runs} runs: "
          f"{res.simulated} simulated, {res.runs - res.simulated} reused) in {res.out} "
          f"({res.wall_seconds:.1f} s)")
    if args.report:
        print(f"report: {res.out / 'report' / 'report.html'}")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """``govsim discover SPEC|RESULTS``."""
    from sim.experiments.discover import run_discover

    res = run_discover(args.target, out=args.out, workers=args.workers, force=args.force,
                       quiet=args.quiet, cases=args.case, report=args.report)
    n_boxes = int((res.boxes["box"] > 0).sum()) if len(res.boxes) else 0
    print(f"{n_boxes} PRIM boxes over {res.runs} runs ({res.simulated} simulated) in "
          f"{res.out} ({res.wall_seconds:.1f} s)")
    if args.report:
        print(f"report: {res.out / 'report' / 'report.html'}")
    return 0
