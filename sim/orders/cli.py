"""``govsim fit-orders EXPORT... --out DIR``: registered by ``sim.cli``."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number

DEFAULT_BASE = Path(__file__).resolve().parents[2] / "scenarios" / "nanjing_baseline.toml"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fit-orders", help="fit a scenario to a city's 12345 / 311 work-order export",
        description="Read a work-order export (CSV in UTF-8 or GBK, xlsx, Parquet), list "
                    "the rows not used, fit arrivals, the share settled on the call and "
                    "closure times, and write scenario.toml, fit.json, cleaning.csv and a "
                    "bilingual report into DIR (see docs/orders.md).")
    p.add_argument("exports", nargs="+", metavar="EXPORT", help="export file(s)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--shape", choices=("311", "12345", "auto"), default="auto",
                   help="column layout (default: auto, from the headers)")
    p.add_argument("--columns", metavar="MAP.toml",
                   help="[columns] field = \"header\" for another layout")
    p.add_argument("--tz", metavar="TZ", help="a fixed shift (+5, -3h) or a zone name "
                   "(the times are UTC, shown in that zone)")
    p.add_argument("--population", type=whole_number(1), metavar="N",
                   help="residents the export covers (for rates per 1,000)")
    p.add_argument("--base", metavar="SCENARIO", default=str(DEFAULT_BASE),
                   help="scenario the fitted one extends (default: nanjing_baseline)")
    p.add_argument("--holdout-from", metavar="DATE",
                   help="rows created on or after DATE are held out of the fit")
    p.add_argument("--check", type=whole_number(1), metavar="N",
                   help="run the fitted scenario N times and compare")
    p.add_argument("--fit-tail", type=whole_number(2), metavar="N",
                   help="size follow-through and replies so that the model's closure days "
                        "match the fitted part's: a search of at most N model runs")
    p.add_argument("--fit-seeds", type=whole_number(1), metavar="K", default=4,
                   help="seeds each --fit-tail candidate runs on (default 4: 1001..1004)")
    p.add_argument("--fit-half-life", type=float, metavar="DAYS", default=365.0,
                   help="--fit-tail's targets weight each fitted order by half for every "
                        "DAYS it lies before the holdout (or the fitted part's end): "
                        "recent months count most (default 365; 0: every order alike)")
    p.add_argument("--workers", type=whole_number(1), metavar="N", default=min(
                       2, os.cpu_count() or 1),
                   help="processes for --fit-tail (default: 2, or 1 on one core)")
    p.add_argument("--holidays", choices=("auto", "on", "off"), default="auto",
                   help="run the model on the Chinese working calendar (public holidays, "
                        "Spring Festival, deadlines in working days [P11]); auto (the "
                        "default): on for a 12345 export, off for a 311 one")
    p.add_argument("--sheet", metavar="NAME", help="the xlsx sheet to read (default: all)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_fit_orders)


def cmd_fit_orders(args: argparse.Namespace) -> int:
    from sim.errors import InputError
    from sim.orders.build import base_reference, calendar_start, scenario_name, scenario_text
    from sim.orders.pipeline import fit_exports
    from sim.orders.write import check_out, to_json, write_folder
    from sim.scenario import load_scenario

    t0 = time.perf_counter()
    out = check_out(args.out)  # refused before any work

    def say(msg: str) -> None:
        if not args.quiet:
            print(f"fit-orders: {msg}", file=sys.stderr, flush=True)

    base_path = Path(args.base)
    base = load_scenario(base_path)
    cats = list(base.categories)
    fitted = fit_exports(args.exports, shape=args.shape, columns=args.columns, tz=args.tz,
                         holdout_from=args.holdout_from, sheet=args.sheet,
                         categories=cats, say=say)
    fit = fitted.fit
    name = scenario_name(out)
    extends = base_reference(base_path, out)
    days = model_days(fit, base.run.days)
    on = args.holidays == "on" or (args.holidays == "auto"
                                   and fit["export"]["shape"] == "12345")
    cal = calendar_start(fit, days) if on else None
    fit["calendar"] = {"holidays": on, "option": args.holidays, "start_date": cal}
    text, keys = scenario_text(name, extends, fit, args.population, cats, calendar=cal)
    if args.fit_tail:
        tail = _fit_tail(args, fitted, _loaded(text, out), days, say)
        fit["tail_fit"] = tail
        text, keys = scenario_text(name, extends, fit, args.population, cats, tail, cal)
    fit["scenario"] = {"file": "scenario.toml", "base": str(base_path), "keys_set": keys}
    model = None
    if args.check:
        from sim.orders.check import run_check

        say(f"--check: {args.check} runs of the fitted scenario ({days} days each)")
        check, model = run_check(_loaded(text, out), args.check, cats, days=days,
                                 progress=not args.quiet)
        fit["closure"]["model"] = check.pop("all")
        fit["closure"]["model_all_known_to_resolved"] = check.pop("all_known_to_resolved")
        fit["closure_by_category"]["model"] = check.pop("by_category")
        fit["model_check"] = check | {
            "measured": "requests to the platform (hotline, app, rider), days from known_at "
                        "to closed_at (the platform's closing), open ones censored at the "
                        "run's end, those known in the first tenth left out; "
                        "closure.model_all_known_to_resolved: every issue known, to "
                        "resolved_at (the earlier measure)"}
    from sim.orders.report import figures, render

    say("writing the report")
    figs = figures(fitted.cleaned.used, model, fit)
    fit["seconds"] = round(time.perf_counter() - t0, 2)
    page, md = render(fit, figs)

    def loads(folder: Path) -> None:  # the fitted scenario must load as written
        try:
            load_scenario(folder / "scenario.toml")
        except InputError as exc:
            raise RuntimeError(f"the fitted scenario does not load: {exc}") from exc

    files: dict[str, Any] = {"scenario.toml": text, "fit.json": to_json(fit),
                             "cleaning.csv": fitted.cleaned.dropped,
                             "report.html": page, "report.md": md}
    files |= {f"figures/{k}": v for k, v in figs.items()}
    write_folder(out, files, check=loads)
    _print(fit, out)
    return 0


def model_days(fit: dict[str, Any], scenario_days: int) -> int:
    """Days the model runs for the check and the tail fit: with a holdout, long enough
    that its window after the first tenth is the holdout's span, so that its orders are
    watched as long as the holdout's were (the mean of closed orders depends on it)."""
    ex = fit["export"]
    if not fit["rows_holdout"] or ex["holdout_from"] is None:
        return scenario_days
    import pandas as pd

    span = (pd.Timestamp(ex["end"]) - pd.Timestamp(ex["holdout_from"])).total_seconds()
    return max(30, math.ceil(span / 86400 / 0.9))


def _loaded(text: str, out: Path) -> Any:
    from sim.scenario import scenario_from_dict

    scenario = _staged_scenario(text, out)
    return scenario_from_dict(scenario.to_dict(), origin="fitted scenario")


def _fit_tail(args: argparse.Namespace, fitted: Any, scenario: Any, days: int,
              say: Any) -> dict[str, Any]:
    import pandas as pd

    from sim.orders.fit import recency_weights, weighted_closure_summary
    from sim.orders.pipeline import work_orders
    from sim.orders.tailfit import fit_seeds, fit_tail, targets_from

    u = work_orders(fitted.cleaned.used)
    data = u[~u["holdout"]]
    window = days - days // 10
    ex = fitted.fit["export"]
    end = (pd.Timestamp(ex["holdout_from"]) if ex["holdout_from"] is not None
           and fitted.fit["rows_holdout"] else data["created"].max())
    half_life = max(float(args.fit_half_life or 0.0), 0.0)
    w = recency_weights(data["created"], end, half_life) if half_life else None
    d, c = data["days"].to_numpy(), data["is_closed"].to_numpy()
    targets = targets_from(fitted.fit["closure"]["data"], d, c, window, w)
    say(f"--fit-tail: targets {', '.join(f'{k} {v:.3g}' for k, v in targets.items())} "
        f"(mean of closed re-weighted to a {window}-day window"
        + (f"; orders weighted by recency, half-life {half_life:g} days)" if w is not None
           else ")"))
    res = fit_tail(scenario, targets, budget=args.fit_tail, days=days, workers=args.workers,
                   seeds=fit_seeds(args.fit_seeds), say=say)
    weighting: dict[str, Any] = {"half_life_days": half_life or None,
                                 "to": str(end) if w is not None else None}
    if w is not None:
        weighting |= {"effective_orders": round(float(w.sum() ** 2 / (w * w).sum()), 1),
                      "unweighted_targets": targets_from(fitted.fit["closure"]["data"],
                                                         d, c, window),
                      "weighted_summary": weighted_closure_summary(d, c, w)}
    return res.record | {"window_days": window, "recency": weighting}


def _staged_scenario(text: str, out: Path) -> Any:
    """Load the scenario text as it will sit in ``out`` (``extends`` is relative)."""
    import tempfile

    from sim.scenario import load_scenario

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", suffix=".tmp",
                                     dir=out.parent) as tmp:
        path = Path(tmp) / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


def _print(fit: dict[str, Any], out: Path) -> None:
    dropped = ", ".join(f"{k} {v:,}" for k, v in fit["dropped"].items() if v) or "none"
    print(f"rows read {fit['rows_read']:,}, used {fit['rows_used']:,} (fitted "
          f"{fit['rows_fitted']:,}, holdout {fit['rows_holdout']:,}); not used: {dropped}")
    print(f"{'closure days':<14}{'q1':>8}{'median':>8}{'q3':>8}{'mean':>8}{'within7':>9}"
          f"{'orders':>9}")
    for part in ("data", "holdout", "model", "model_all_known_to_resolved"):
        s = fit["closure"].get(part)
        if not s or not s["n"]:
            continue
        f = [("n/a" if s[k] is None else f"{s[k]:.2f}") for k in ("q1", "median", "q3",
                                                                   "mean")]
        w = "n/a" if s["within7"] is None else f"{s['within7']:.1%}"
        label = "model (all)" if part.startswith("model_all") else part
        print(f"{label:<14}{f[0]:>8}{f[1]:>8}{f[2]:>8}{f[3]:>8}{w:>9}{s['n']:>9,}")
    best = fit["distributions"]["all"].get("best")
    print(f"closure distribution by AIC: {best}")
    tail = fit.get("tail_fit")
    if tail:
        vals = ", ".join(f"{p.get('name') or ' = '.join(p['keys'])} {p['fitted']:.4g}"
                         for p in tail["parameters"])
        print(f"--fit-tail: {tail['runs']} runs, {tail['seconds']:.0f} s, distance "
              f"{tail['distance']} (within the bands: {', '.join(tail['within_bands'])}); "
              f"{vals}")
    un = fit["mapping"]["unmapped"]
    if un["rows"]:
        top = ", ".join(f"{k} ({v:,})" for k, v in list(un["categories"].items())[:8])
        print(f"unmapped categories: {un['rows']:,} rows ({un['share']:.1%}): {top}")
    print(f"wrote {out}/ (scenario.toml, fit.json, cleaning.csv, report.html, report.md) "
          f"in {fit['seconds']:.1f} s")
