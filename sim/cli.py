"""The ``govsim`` command line: run, validate, show; batch, sweep, report; viz.

Exit codes: 0 success; 2 bad input (a one-line message naming the file, the key and
what is allowed; nothing written); 1 an unexpected failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence

from sim import __version__
from sim.argtypes import whole_number
from sim.errors import InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors are bad input: exit 2, one line
        raise InputError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="govsim", description=(
        "Agent-based simulator of community governance in a Chinese megacity "
        "(modelled on Nanjing)."))
    parser.add_argument("--version", action="version", version=f"govsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario and write its tables")
    run.add_argument("scenario", help="scenario file (TOML)")
    run.add_argument("--days", type=whole_number(1), help="days to simulate (default: the file's)")
    run.add_argument("--seed", type=whole_number(0), help="root seed (default: the file's)")
    run.add_argument("--out", help="output folder (default: results/<scenario name>)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a scenario key, e.g. "
                     "staffing.workers_per_10k=22 (repeatable)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--split", choices=["district"], help="split the run by district, one "
                     "model each, over --workers or --scheduler (sets run.split; "
                     "docs/performance.md says what changes); the same seed gives the same "
                     "tables wherever it runs")
    run.add_argument("--workers", type=whole_number(1), help="with --split: local worker "
                     "processes (default: this machine's cores; 1 runs them here)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="with --split: a Dask "
                     "scheduler (tcp://HOST:PORT) whose workers run the districts")
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file")
    validate.add_argument("scenario")
    validate.add_argument("--set", dest="overrides", action="append", default=[],
                          metavar="KEY=VALUE")
    validate.set_defaults(handler=cmd_validate)

    show = sub.add_parser("show", help="print the resolved parameters with their sources")
    show.add_argument("scenario")
    show.add_argument("--set", dest="overrides", action="append", default=[],
                      metavar="KEY=VALUE")
    show.set_defaults(handler=cmd_show)

    from sim.experiments.cli import register as register_experiments
    from sim.orders.cli import register as register_orders
    from sim.viz.cli import register as register_viz

    register_experiments(sub)
    register_orders(sub)
    register_viz(sub)
    return parser


def _load(args: argparse.Namespace):
    from sim.scenario import load_scenario, parse_overrides

    overrides = parse_overrides(args.overrides)
    if getattr(args, "days", None) is not None:
        overrides["run.days"] = args.days
    if getattr(args, "seed", None) is not None:
        overrides["run.seed"] = args.seed
    if getattr(args, "split", None) is not None:
        overrides["run.split"] = args.split
    return load_scenario(args.scenario, overrides)


def cmd_run(args: argparse.Namespace) -> int:
    from sim.outputs import default_place, resolve_output
    from sim.run import simulate, write_run

    scenario = _load(args)
    split = scenario.run.split == "district"
    if not split and (args.workers is not None or args.scheduler is not None):
        flag = "--workers" if args.workers is not None else "--scheduler"
        raise InputError(f"{args.scenario}: {flag}: only a run split by district runs "
                         "across processes; add --split district or set run.split = "
                         "\"district\" (docs/performance.md)")
    # Where the run goes is settled (and refused if unsafe) before it starts.
    default = None if args.out is not None else default_place(scenario.name, args.scenario)
    out = resolve_output(args.out, "run", default=default, origin=args.scenario)
    if not split:
        result = simulate(scenario, progress=not args.quiet)
    else:
        from sim.experiments.executor import part_mapper

        with part_mapper(args.workers, args.scheduler, progress=not args.quiet) as (
                mapper, where):
            result = simulate(scenario, mapper=mapper, where=where)
    write_run(result, out)
    print(headline_table(result.summary, scenario.name))
    print(f"wrote {out}/ (daily.parquet, issues.parquet, summary.json, scenario.toml, "
          f"manifest.json) in {result.wall_seconds:.1f} s")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = _load(args)
    print(f"{args.scenario}: ok ({scenario.name}, {scenario.layout.scale} scale, "
          f"{scenario.layout.residents:,} residents)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    print(_load(args).to_toml(), end="")
    return 0


HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("raised", "issues raised", "{:,.0f}"),
    ("resolution_rate", "resolved", "{:.1%}"),
    ("on_time_share", "resolved on time", "{:.1%}"),
    ("median_days_to_resolve", "median days to resolve", "{:.2f}"),
    ("p90_days_to_resolve", "p90 days to resolve", "{:.2f}"),
    ("resolved_at_grid_share", "resolved in the grid", "{:.1%}"),
    ("escalation_share", "escalated", "{:.1%}"),
    ("hazards_caught_share", "hazards caught before incident", "{:.1%}"),
    ("incidents", "incidents", "{:,.0f}"),
    ("admin_share", "grid workers' time on admin", "{:.1%}"),
    ("mean_trust", "residents' mean trust (0-1)", "{:.3f}"),
)


def headline_table(summary: dict[str, float], title: str) -> str:
    width = max(len(label) for _, label, _ in HEADLINES)
    lines = [title, "-" * (width + 12)]
    for key, label, fmt in HEADLINES:
        value = summary.get(key, float("nan"))
        text = "n/a" if value != value else fmt.format(value)
        lines.append(f"{label:<{width}}  {text:>9}")
    return "\n".join(lines)


@contextlib.contextmanager
def _library_warnings_hidden() -> Iterator[None]:
    """Libraries' warnings are for their developers, not for users of the command (run
    with ``python -W default`` to see them); worker processes inherit the setting."""
    if sys.warnoptions or os.environ.get("PYTHONWARNINGS"):
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.environ["PYTHONWARNINGS"] = "ignore"
        try:
            yield
        finally:
            os.environ.pop("PYTHONWARNINGS", None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        with _library_warnings_hidden():
            return int(args.handler(args) or 0)
    except InputError as exc:
        # One line, whatever a library's text inside the message holds.
        print("govsim: " + " ".join(str(exc).splitlines()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("govsim: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug, not bad input: keep the traceback for the report
        traceback.print_exc()
        print("govsim: unexpected failure (the traceback above is for a bug report)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
