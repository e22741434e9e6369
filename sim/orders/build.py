"""The fitted scenario: ``extends`` the base and sets what the export determines.

Only keys whose meaning matches what the export measures are set; each cites the
export in ``[sources]`` (file, sha256, rows used, period). The file's comments say
what the fit measured but the scenario cannot take (see ``NOT_MAPPED``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What the fit measures that no scenario key holds, and why (written into the file).
NOT_MAPPED: tuple[str, ...] = (
    "closure-time distributions as such: the model's days to close come out of queues, "
    "desk hours (categories.*.handling) and follow-through (staffing.*_works_days), which "
    "an export does not separate; --fit-tail sizes the dispatch delay, desk hours (one "
    "factor), follow-through and replies so that the model's closure days match the "
    "export's (each such key says so below); without it they are the base's",
    "closure by handling unit (办理单位 / Agency): the model routes by level (grid, "
    "community, street, department), not by named unit",
    "weekday and month profiles of arrivals: the model's arrivals are even over the week "
    "and the year; the hour profile enters only as the night share",
    "channel shares (MethodReceived / 来源渠道): an export sees only the platform's "
    "channels, not grid workers' own finds",
    "arrival rates without --population: the export's residents are unknown",
)


def base_reference(base: Path, out: Path) -> str:
    """``extends`` as the loader resolves it: relative to the scenario file's folder."""
    try:
        return os.path.relpath(base.resolve(), out.resolve())
    except ValueError:  # another drive (Windows): only an absolute path reaches it
        return str(base.resolve())


def citation(meta: Mapping[str, Any], what: str) -> str:
    files = "; ".join(f"{f['name']} (sha256 {f['sha256'][:16]})" for f in meta["files"])
    return (f"{files}: {meta['rows_fitted']:,} rows fitted, created {meta['period'][0]} to "
            f"{meta['period'][1]}: {what}")


def tail_citation(tail: Mapping[str, Any]) -> str:
    """What a key fitted by ``--fit-tail`` rests on: the targets, the method, the fit."""
    t, r = tail["targets"], tail["reached"]

    def fmt(d: Mapping[str, Any]) -> str:
        return ", ".join(f"{k} {'n/a' if d.get(k) is None else round(d[k], 3)}"
                         for k in ("q1", "median", "q3", "mean", "within7"))

    rec = tail.get("recency") or {}
    weighted = (f"; orders weighted by recency, half-life {rec['half_life_days']:g} days "
                f"before {str(rec['to'])[:10]}" if rec.get("half_life_days") else "")
    confirmed = tail.get("confirm") or {}
    also = (f", the best {confirmed['candidates']} re-run on seeds "
            f"{confirmed['seeds'][0]}-{confirmed['seeds'][-1]}"
            if confirmed.get("candidates") else "")
    return (f"fitted (--fit-tail {tail['budget_runs']}): Latin hypercube then Nelder-Mead "
            f"(scipy), {tail['runs']} runs of {tail['days']} days on seeds {tail['seeds']} "
            f"(common random numbers){also}, to the export's closure days from request to "
            f"closing ({fmt(t)}; the mean of closed orders re-weighted to the model's "
            f"{tail['window_days']:.0f}-day window{weighted}); reached {fmt(r)} (distance "
            f"{tail['distance']}, band units; fit.json: tail_fit)")


# Why a 12345 export's scenario runs on the Chinese working calendar (written as the
# calendar keys' source, after the export's citation).
CALENDAR_WHY = (
    "a 12345 export is a Chinese platform's, so the model runs on the Chinese working "
    "calendar (sim/holidays.py): offices, departments' crews and grid workers off on "
    "public holidays (State Council notices; Spring Festival 8 days from the eve) and on "
    "duty on make-up workdays, and time limits counted in working days [P11: 'within 3 "
    "working days', 'within 13 working days']; fit-orders --holidays off leaves the "
    "base's calendar")


def calendar_start(fit: Mapping[str, Any], days: int) -> str:
    """The date of the model's day 0, so that its days fall on the export's dates: with a
    holdout, the run's window after its first tenth starts on the holdout's first day;
    without one, day 0 is the fitted part's first day."""
    import pandas as pd

    ex = fit["export"]
    if fit.get("rows_holdout") and ex.get("holdout_from") is not None:
        day0 = pd.Timestamp(ex["holdout_from"]).floor("D") - pd.Timedelta(days=days // 10)
    else:
        day0 = pd.Timestamp(ex["period"][0]).floor("D")
    return day0.date().isoformat()


def scenario_text(name: str, extends: str, fit: Mapping[str, Any],
                  population: int | None, categories: list[str],
                  tail: Mapping[str, Any] | None = None,
                  calendar: str | None = None) -> tuple[str, list[str]]:
    """The TOML text and the keys it sets (with ``tail``: the keys ``--fit-tail`` sized;
    with ``calendar``, a date: the Chinese working calendar on from that day 0)."""
    meta = fit["export"]
    sets: dict[str, dict[str, Any]] = {}  # section -> key -> (value, why)
    cites: dict[str, str] = {}

    def put(section: str, key: str, value: Any, why: str) -> None:
        sets.setdefault(section, {})[key] = value
        cites[f"{section}.{key}"] = citation(meta, why)

    night = fit["arrivals"].get("night_share")
    if night is not None:
        put("residents", "night_share", round(night, 4),
            "share of requests made 22:00-07:00 (the request, not the moment the issue "
            "arose)")
    settled = fit["settled_on_call"]
    if settled.get("from_handling") and settled.get("share") is not None \
            and settled["share"] < 1:
        s = settled["share"]
        # The model answers enquiries at intake (直办) and makes work orders of the rest
        # (转办): enquiries per work order = settled / passed on [P5].
        put("platform", "enquiries_per_request", round(s / (1 - s), 4),
            f"受理类型 直办 {settled['settled']:,} / 转办 {settled['passed_on']:,}")
    if calendar is not None:
        put("calendar", "holidays", True, CALENDAR_WHY)
        put("calendar", "working_day_deadlines", True, CALENDAR_WHY)
        put("calendar", "start_date", calendar,
            f"day 0 = {calendar}, so that the model's days fall on the export's dates "
            "(with a holdout: its first day is the first day after the run's first tenth)")
    working = fit.get("deadlines_working_days") or {}
    years = fit["arrivals"]["days"] / 365.25
    orders = fit["orders_by_category"]
    for cat in categories:
        due = working.get(cat) if calendar is not None else None
        why = ("median working days from the request to its due time (the Chinese working "
               "calendar, as the model counts them with calendar.working_day_deadlines; "
               "P11)")
        if due is None:
            due = fit["deadlines"].get(cat)
            why = "median days from the request to its due time"
        if due is not None:
            put(f"categories.{cat}", "deadline_days", round(min(max(due, 0.01), 365.0), 3),
                why)
        n = orders.get(cat)
        if population and n and years > 0:
            # Work orders only: what is settled on the call is the model's enquiries.
            rate = n / years / population * 1000.0
            put(f"categories.{cat}", "rate_per_1000_per_year", round(min(rate, 100_000), 3),
                f"{n:,} work orders / {years:.2f} years / {population:,} residents "
                "(requests made: a lower bound on issues arising)")
    if tail is not None:
        why = tail_citation(tail)
        for p in tail["parameters"]:
            for key in p["keys"]:
                section, _, leaf = key.rpartition(".")
                put(section, leaf, p.get("set", {}).get(key, p["fitted"]), why)
    description = "Fitted to " + ", ".join(f["name"] for f in meta["files"])
    lines = [
        f"# Fitted by `govsim fit-orders` from {', '.join(f['name'] for f in meta['files'])}",
        f"# ({meta['shape']} shape; {fit['rows_used']:,} of {fit['rows_read']:,} rows used, "
        f"{meta['rows_fitted']:,} fitted, created {meta['period'][0]} to {meta['period'][1]}).",
        "# Every value set here cites the export in [sources]; everything else is the base's.",
        "# Measured but not set (no scenario key means the same thing):",
        *[f"#   - {t}" for t in NOT_MAPPED],
        "# Categories the export has no rows for keep the base's values.",
        "# fit.json beside this file holds every fitted figure.",
        f"extends = {json.dumps(extends)}",
        f"name = {json.dumps(name)}",
        f"description = {json.dumps(description, ensure_ascii=False)}",
    ]
    for section, values in sets.items():
        lines.append(f"\n[{section}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    lines.append("\n[sources]")
    lines += [f"{json.dumps(k)} = {json.dumps(v, ensure_ascii=False)}"
              for k, v in cites.items()]
    return "\n".join(lines) + "\n", list(cites)


def scenario_name(out: Path) -> str:
    """A plain name for the fitted scenario (it names results/<name> when run)."""
    text = "".join(c if c.isalnum() or c in "-_" else "_" for c in out.resolve().name)
    return (text.strip("_") or "fitted_orders")[:100]
