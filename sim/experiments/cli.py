"""Command-line subcommands ``batch``, ``sweep`` and ``report``.

The project's ``govsim`` command calls :func:`register`; :func:`main` is a stand-alone
entry (``python -m sim.experiments``) with the same subcommands and exit codes:
0 all runs done, 1 some runs failed, 2 bad input (one line, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sim.argtypes import add_executor_options


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="experiment spec file (TOML), e.g. experiments/quickstart.toml")
    p.add_argument("--out", metavar="DIR",
                   help="results folder (default: results/<spec name>)")
    add_executor_options(p)
    p.add_argument("--force", action="store_true",
                   help="redo runs already stored (default: resume, skipping them)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar; only the closing line and errors")
    p.add_argument("--report", action="store_true",
                   help="write the report (as `govsim report DIR`) when the runs are done")


def register(subparsers: Any) -> None:
    """Add ``batch``, ``sweep`` and ``report`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "batch", help="run scenario files x replicates and compare them",
        description="Run every scenario of a batch spec with common random numbers; "
                    "resumes by default.")
    _add_run_options(p)
    p.set_defaults(handler=cmd_batch)
    p = subparsers.add_parser(
        "sweep", help="run a parameter sweep (factorial, lhs, sobol, morris)",
        description="Run every design point x replicate of a sweep spec; resumes by default.")
    _add_run_options(p)
    p.set_defaults(handler=cmd_sweep)
    p = subparsers.add_parser(
        "report", help="write an HTML + Markdown report of a batch or sweep",
        description="Analyse a results folder (CIs, paired differences, sensitivity) and "
                    "write DIR/report/report.html, report.md and figures.")
    p.add_argument("dir", help="results folder of a batch or sweep, e.g. results/quickstart")
    p.add_argument("--out", metavar="DIR", help="report folder (default: DIR/report)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    p.set_defaults(handler=cmd_report)
    p = subparsers.add_parser(
        "pilot", help="evaluate pilot communities: difference in differences, power",
        description="Difference-in-differences estimate of a pilot's effect [F35] over the "
                    "runs of a results folder, and how many pilot communities detect an "
                    "effect at 80%% power; writes DIR/pilot/.")
    p.add_argument("dir", help="results folder of a batch (or a govsim run folder)")
    p.add_argument("--outcome", default="on_time", choices=["on_time", "days_to_resolve",
                                                             "known"])
    p.set_defaults(handler=cmd_pilot)
    from sim.calibration.cli import register as register_calibration
    from sim.experiments.planning_cli import register as register_planning

    register_planning(subparsers)  # optimise, discover (EMA Workbench)
    register_calibration(subparsers)  # calibrate (pyabc)


def cmd_pilot(args: argparse.Namespace) -> int:
    from sim.experiments.pilots import OUTCOMES, evaluate

    result = evaluate(args.dir, args.outcome)
    pooled = result["pooled"]
    print(f"{OUTCOMES[args.outcome]}: difference in differences {pooled['estimate']:+.4f} "
          f"(95% CI {pooled['low']:+.4f} to {pooled['high']:+.4f}) over {pooled['runs']} "
          f"run(s)")
    for row in result["power"].itertuples():
        print(f"  to detect {row.effect:+g}: {row.pilot_communities_needed} pilot communities "
              f"at 80% power")
    print(f"written: {args.dir}/pilot/")
    return 0


def _run(args: argparse.Namespace, kind: str) -> int:
    from sim.experiments.runner import run_experiment

    res = run_experiment(args.spec, out=args.out, workers=args.workers,
                         scheduler=args.scheduler, force=args.force, quiet=args.quiet,
                         expect=kind, report=getattr(args, "report", False))
    if getattr(args, "report", False) and len(res.failed) + len(res.missing) < res.total:
        from sim.experiments.report import make_report

        print(f"report: {make_report(res.out, quiet=args.quiet)}")
    return finish(res, quiet=args.quiet, reported=getattr(args, "report", False))


def finish(res: Any, quiet: bool = False, reported: bool = False) -> int:
    """Print the closing lines of a batch or sweep; the exit code (1 if runs failed)."""
    print(f"{res.total} runs in {res.out}: {res.executed} executed, "
          f"{res.skipped} already done, {len(res.failed)} failed "
          f"({res.wall_seconds:.1f} s)")
    if not quiet and not reported:
        print(f"next: govsim report {res.out}")
    if res.failed or res.missing:
        print(f"{len(res.failed) + len(res.missing)} of {res.total} runs failed; "
              f"tracebacks in {res.out}/runs/<run_id>.failed.json; run the same command "
              "again to retry them", file=sys.stderr)
        return 1
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``govsim batch SPEC``."""
    return _run(args, "batch")


def cmd_sweep(args: argparse.Namespace) -> int:
    """``govsim sweep SPEC``."""
    return _run(args, "sweep")


def cmd_report(args: argparse.Namespace) -> int:
    """``govsim report DIR``."""
    from sim.experiments.report import make_report

    path = make_report(args.dir, out=args.out, quiet=args.quiet)
    print(f"report: {path}")
    return 0
